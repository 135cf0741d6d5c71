"""Every dashboard metric on a fixture whose answer was worked out by hand.

The range is Monday 2026-03-02 .. Wednesday 2026-03-04, one period per day; the
Wednesday is empty on purpose. Learners A, B, C; skills Python and SQL.
"""

from __future__ import annotations

from datetime import date, datetime

import pytest

from core.analytics.services.metrics import (
    ReportError,
    ReportRequest,
    build_report,
    parse_request,
    periods,
    retention_cohorts,
)
from tests.analytics.conftest import at

MON, TUE, WED = "2026-03-02", "2026-03-03", "2026-03-04"
NOW = at("2026-06-30")


@pytest.fixture
def world(db, user_factory, skills, mentor, log_event, make_session, make_booking, ledger):
    from core.scheduling.models import DateOverride, WeeklyRule

    py, sql = skills["python"].pk, skills["sql"].pk
    a, b, c = (user_factory(display_name=n) for n in "ABC")
    # bookings made: Mon 2 (A python, C python+sql), Tue 1 (B sql)
    log_event("booking.created", at(MON, "12:00"), user_id=a.pk, skill_ids=[py])
    log_event("booking.created", at(MON, "13:00"), user_id=c.pk, skill_ids=[py, sql])
    log_event("booking.created", at(TUE, "15:00"), user_id=b.pk, skill_ids=[sql])
    log_event("booking.confirmed", at(MON, "12:05"), user_id=a.pk, skill_ids=[py])
    # outcomes: Mon a no-show (python); Tue a completion (python), a cancellation of a confirmed
    # booking (sql) and an unpaid booking given up (python, not a cancellation)
    log_event("booking.no_show", at(MON, "18:00"), skill_ids=[py], old_status="confirmed")
    log_event("booking.completed", at(TUE, "10:00"), skill_ids=[py], old_status="confirmed")
    log_event("booking.cancelled", at(TUE, "11:00"), skill_ids=[sql], old_status="confirmed")
    log_event("booking.cancelled", at(TUE, "11:30"), skill_ids=[py], old_status="pending_payment")
    # ratings: Mon 5 (python); Tue 2 (sql), 4 (python)
    log_event("review.submitted", at(MON, "19:00"), skill_ids=[py], rating=5)
    log_event("review.submitted", at(TUE, "19:00"), skill_ids=[sql], rating=2)
    log_event("review.submitted", at(TUE, "20:00"), skill_ids=[py], rating=4)
    # searches: Mon A (python) 10:00, B 11:00, someone signed out; Tue A (python) 09:00
    log_event("search.performed", at(MON, "10:00"), user_id=a.pk, skill_ids=[py])
    log_event("search.performed", at(MON, "11:00"), user_id=b.pk)
    log_event("search.performed", at(MON, "11:30"))
    log_event("search.performed", at(TUE, "09:00"), user_id=a.pk, skill_ids=[py])
    # sign-ups: 4 in February, 2 on Monday, 1 on Wednesday
    for day in ("2026-02-01", "2026-02-02", "2026-02-10", "2026-02-20"):
        log_event("user.signed_up", at(day), roles=["learner"])
    log_event("user.signed_up", at(MON, "08:00"), roles=["learner"], skill_ids=[py])
    log_event("user.signed_up", at(MON, "09:00"), roles=["mentor"])
    log_event("user.signed_up", at(WED, "09:00"), roles=["learner"])
    # money: b1 python (EUR), b2 sql (INR), b3 python+sql (EUR)
    s1 = make_session(at(MON, "10:00"), skills=[skills["python"]], price_minor=1000)
    s2 = make_session(at(TUE, "18:00"), skills=[skills["sql"]], price_minor=5000, currency="INR")
    s3 = make_session(at(WED, "15:00"), skills=[skills["python"], skills["sql"]], price_minor=3000)
    make_session(at(MON, "11:00"))  # offered, nobody booked it
    b1 = make_booking(s1, a, status="confirmed")
    b2 = make_booking(s2, b, status="completed")
    b3 = make_booking(s3, c, status="cancelled")
    ledger("charge", 1000, "EUR", at(MON, "12:05"), b1)
    ledger("commission", 120, "EUR", at(MON, "12:05"), b1)
    ledger("mentor_earning", 880, "EUR", at(MON, "12:05"), b1)
    ledger("charge", 5000, "INR", at(TUE, "15:05"), b2)
    ledger("commission", 600, "INR", at(TUE, "15:05"), b2)
    ledger("refund", -1000, "EUR", at(TUE, "16:00"), b1)
    ledger("commission_reversal", -120, "EUR", at(TUE, "16:00"), b1)
    ledger("charge", 3000, "EUR", at(TUE, "17:00"), b3)
    ledger("commission", 360, "EUR", at(TUE, "17:00"), b3)
    ledger("charge", 9999, "EUR", at("2026-03-05", "00:00"), b3)  # the day after the range: left out
    # availability: Mon 09-17 (8 h), Tue 09-13 (4 h) but Tuesday 12-13 taken off, Wed nothing.
    # Sessions: Mon 10-11 booked, Mon 11-12 not booked, Tue 18-19 outside the hours, booked;
    # s3 (Wed 15-16) was cancelled-by-learner: no seat held, but offered.
    WeeklyRule.objects.create(mentor=mentor, weekday=0, start_time="09:00", end_time="17:00")
    WeeklyRule.objects.create(mentor=mentor, weekday=1, start_time="09:00", end_time="13:00")
    DateOverride.objects.create(
        mentor=mentor, date=date(2026, 3, 3), kind="unavailable", start_time="12:00", end_time="13:00"
    )
    return {"a": a, "b": b, "c": c, "py": py, "sql": sql}


def report(skill=None, granularity="day", start=MON, end=WED):
    return build_report(ReportRequest(date.fromisoformat(start), date.fromisoformat(end), granularity, skill), now=NOW)


def test_counts_rates_and_empty_periods(world):
    r = report()
    assert [p.label for p in r.periods] == [MON, TUE, WED]
    assert r.series["bookings"] == [2, 1, 0]
    assert r.series["confirmed"] == [1, 0, 0]
    assert r.series["completion_rate"] == [0.0, 0.5, None]
    assert r.series["cancellation_rate"] == [0.0, 0.5, None]
    assert r.series["no_show_rate"] == [1.0, 0.0, None]
    assert r.series["rating_average"] == [5.0, 3.0, None]
    assert r.series["searches"] == [3, 1, 0]
    # Monday: A booked at 12:00 after searching at 10:00, B booked on Tuesday (within 7 days)
    assert r.series["search_conversion"] == [1.0, 0.0, None]
    assert r.series["new_users"] == [2, 0, 1]
    assert r.series["growth_rate"] == [2 / 4, 0 / 6, 1 / 6]
    t = r.totals
    assert (t["bookings"], t["confirmed"], t["searches"], t["new_users"]) == (3, 1, 4, 3)
    assert t["completion_rate"] == pytest.approx(1 / 3)
    assert t["cancellation_rate"] == pytest.approx(1 / 3)
    assert t["no_show_rate"] == pytest.approx(1 / 3)
    assert t["rating_average"] == pytest.approx(11 / 3)
    assert t["search_conversion"] == pytest.approx(2 / 3)
    assert t["growth_rate"] == pytest.approx(3 / 4)


def test_money_per_currency_never_mixed(world):
    r = report()
    assert r.money["revenue"] == {"EUR": [1000, 2000, 0], "INR": [0, 5000, 0]}
    assert r.money["commission"] == {"EUR": [120, 240, 0], "INR": [0, 600, 0]}
    assert r.money["avg_session_value"] == {"EUR": [1000, 3000, None], "INR": [None, 5000, None]}
    assert r.totals["revenue"] == {"EUR": 3000, "INR": 5000}
    assert r.totals["commission"] == {"EUR": 360, "INR": 600}
    assert r.totals["avg_session_value"] == {"EUR": 2000, "INR": 5000}
    assert r.currencies == ["EUR", "INR"]


def test_utilisation_booked_over_offered_hours(world):
    r = report()
    # Mon: offered 8 h (the sessions lie inside), booked 1 h. Tue: 3 h of hours + the 18-19 session,
    # booked 1 h. Wed: only the cancelled-by-learner session is offered (1 h), none booked.
    assert r.series["offered_hours"] == [8.0, 4.0, 1.0]
    assert r.series["booked_hours"] == [1.0, 1.0, 0.0]
    assert r.series["utilisation"] == [1 / 8, 1 / 4, 0.0]
    assert r.totals["utilisation"] == pytest.approx(2 / 13)


def test_one_skill(world, skills):
    r = report(skills["python"])
    assert r.series["bookings"] == [2, 0, 0]
    assert r.series["completion_rate"] == [0.0, 1.0, None]
    assert r.series["no_show_rate"] == [1.0, 0.0, None]
    assert r.series["rating_average"] == [5.0, 4.0, None]
    assert r.series["searches"] == [1, 1, 0]
    assert r.series["search_conversion"] == [1.0, 0.0, None]
    assert r.series["new_users"] == [1, 0, 0]
    assert r.money["revenue"] == {"EUR": [1000, 2000, 0]}
    r = report(skills["sql"])
    assert r.money["revenue"] == {"EUR": [0, 3000, 0], "INR": [0, 5000, 0]}
    assert r.series["cancellation_rate"] == [None, 1.0, None]
    # the mentor teaches nothing yet: no one offers guitar
    r = report(skills["guitar"])
    assert r.series["bookings"] == [0, 0, 0]
    assert r.series["utilisation"] == [None, None, None]
    assert r.money["revenue"] == {}
    assert r.totals["completion_rate"] is None


def test_skill_utilisation_counts_the_mentors_who_teach_it(world, skills, mentor):
    mentor.skills.add(skills["python"])
    r = report(skills["python"])
    # the python mentor's hours, and only their python-tagged sessions (Mon 10-11 booked, Wed 15-16)
    assert r.series["offered_hours"] == [8.0, 3.0, 1.0]
    assert r.series["booked_hours"] == [1.0, 0.0, 0.0]


def test_weeks_and_a_whole_range_total(world):
    r = report(granularity="week", start="2026-02-25", end=WED)
    assert [(p.label, p.last_day.isoformat()) for p in r.periods] == [("2026-02-25", "2026-03-01"), (MON, WED)]
    assert r.series["bookings"] == [0, 3]
    assert r.series["completion_rate"] == [None, pytest.approx(1 / 3)]
    assert r.money["revenue"] == {"EUR": [0, 3000], "INR": [0, 5000]}


def test_skill_table(world, skills):
    rows = {row["skill"].name: row for row in report().skills}
    assert rows["Python"]["bookings"] == 2
    assert rows["Python"]["completion_rate"] == 0.5  # a no-show and a completion
    assert rows["Python"]["rating_average"] == 4.5
    assert rows["Python"]["revenue"] == {"EUR": 3000}
    assert rows["SQL"]["bookings"] == 2
    assert rows["SQL"]["revenue"] == {"EUR": 3000, "INR": 5000}
    assert rows["SQL"]["completion_rate"] == 0.0


def test_periods_cut_to_the_range():
    weeks = periods(date(2026, 3, 4), date(2026, 3, 17), "week")
    assert [(p.label, p.last_day.isoformat()) for p in weeks] == [
        ("2026-03-04", "2026-03-08"),
        ("2026-03-09", "2026-03-15"),
        ("2026-03-16", "2026-03-17"),
    ]
    months = periods(date(2026, 1, 30), date(2026, 3, 2), "month")
    assert [(p.label, p.last_day.isoformat()) for p in months] == [
        ("2026-01-30", "2026-01-31"),
        ("2026-02-01", "2026-02-28"),
        ("2026-03-01", "2026-03-02"),
    ]
    december = periods(date(2025, 12, 15), date(2026, 1, 3), "month")
    assert [p.label for p in december] == ["2025-12-15", "2026-01-01"]


def test_retention_by_signup_cohort(db, log_event):
    # January cohort: 4 learners (and a mentor, not counted); February cohort: 2 learners
    jan = [101, 102, 103, 104]
    for n, uid in enumerate(jan):
        log_event("user.signed_up", at(f"2026-01-0{n + 1}"), user_id=uid, roles=["learner"])
    log_event("user.signed_up", at("2026-01-05"), user_id=199, roles=["mentor"])
    log_event("user.signed_up", at("2026-02-03"), user_id=201, roles=["learner", "mentor"])
    log_event("user.signed_up", at("2026-02-04"), user_id=202, roles=["learner"])
    # January: 101, 102 book in January; 101 in February (twice); 103 in March
    log_event("booking.created", at("2026-01-10"), user_id=101)
    log_event("booking.created", at("2026-01-11"), user_id=102)
    log_event("booking.created", at("2026-02-10"), user_id=101)
    log_event("booking.created", at("2026-02-11"), user_id=101)
    log_event("booking.created", at("2026-03-10"), user_id=103)
    log_event("booking.created", at("2026-02-20"), user_id=202)
    req = ReportRequest(date(2026, 1, 1), date(2026, 2, 28), "month")
    cohorts = retention_cohorts(req, now=at("2026-03-15"), months=4)
    assert [(c.month, c.size) for c in cohorts] == [(date(2026, 1, 1), 4), (date(2026, 2, 1), 2)]
    assert cohorts[0].retention == [0.5, 0.25, 0.25, None]  # April has not begun
    assert cohorts[1].retention == [0.5, 0.0, None, None]


def test_a_range_starting_mid_month_has_cohorts_from_the_next_month(db, log_event):
    log_event("user.signed_up", at("2026-01-20"), user_id=1, roles=["learner"])
    req = ReportRequest(date(2026, 1, 15), date(2026, 1, 31), "day")
    assert retention_cohorts(req, now=at("2026-03-01")) == []


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "field", "fragment"),
    [
        ({"start": "2026-03-05", "end": "2026-03-01"}, "end", "before it starts"),
        ({"start": "yesterday"}, "start", "not a date"),
        ({"end": "2026-13-01"}, "end", "not a date"),
        ({"granularity": "hour"}, "granularity", "not one of"),
        ({"start": "2020-01-01", "end": "2026-03-01"}, "start", "at most"),
        ({"skill": "underwater-basket-weaving"}, "skill", "no skill"),
    ],
)
def test_bad_filters_name_the_field(db, params, field, fragment):
    with pytest.raises(ReportError) as info:
        parse_request(params, today=date(2026, 3, 10))
    assert info.value.field == field
    assert fragment in info.value.message


def test_default_range_and_skill_by_slug(db, skills):
    req = parse_request({"skill": "python"}, today=date(2026, 3, 10))
    assert (req.start, req.end, req.granularity, req.skill) == (
        date(2026, 2, 9),
        date(2026, 3, 10),
        "day",
        skills["python"],
    )
    assert req.start_at == datetime.fromisoformat("2026-02-09T00:00:00+00:00")
