"""Recurring series: dates across DST, all or nothing with the first clash named, changes, the .ics, the API."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from dateutil.rrule import rrulestr

from core.scheduling.models import Booking, BookingSeries, DateOverride, SeriesOccurrence, SeriesPolicy, Session
from core.scheduling.series_ical import series_calendar
from core.scheduling.services import bookings as svc
from core.scheduling.services import series
from core.scheduling.services.errors import InvalidRequest

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def next_weekday_before_dst(weekday: int = 0) -> date:
    """A date on ``weekday`` two weeks before the next spring-forward in Berlin (so a series crosses it)."""
    today = datetime.now(BERLIN).date()
    for year in (today.year, today.year + 1):
        march_end = date(year, 3, 31)
        change = march_end - timedelta(days=(march_end.weekday() + 1) % 7)  # last Sunday of March
        first = change - timedelta(days=14)
        first -= timedelta(days=(first.weekday() - weekday) % 7)
        if first > today + timedelta(days=2):
            return first
    raise AssertionError("no spring change ahead")


def berlin(day: date, hour: int = 18) -> datetime:
    return datetime.combine(day, time(hour), BERLIN)


@pytest.fixture
def mentor(mentor_factory):
    return mentor_factory("Europe/Berlin", [(d, "09:00", "21:00") for d in range(7)], horizon=366)


@pytest.fixture
def other_learner(user_factory):
    return user_factory(time_zone="Asia/Kolkata")


def counts() -> tuple[int, int, int, int]:
    return (
        BookingSeries.objects.count(),
        SeriesOccurrence.objects.count(),
        Booking.objects.count(),
        Session.objects.count(),
    )


# --- dates ----------------------------------------------------------------------------


def test_weekly_dates_keep_the_local_time_across_the_spring_change():
    first = date(2027, 3, 15)  # Monday; Berlin springs forward on Sunday 28 March 2027
    starts = series.occurrence_starts(first, time(18), BERLIN, 1, 4)
    assert [s.astimezone(UTC).hour for s in starts] == [17, 17, 16, 16]
    assert {s.astimezone(BERLIN).strftime("%a %H:%M") for s in starts} == {"Mon 18:00"}
    assert [s.astimezone(BERLIN).date() for s in starts] == [first + timedelta(weeks=n) for n in range(4)]


def test_fortnightly_dates_across_the_autumn_change():
    starts = series.occurrence_starts(date(2026, 10, 13), time(18), BERLIN, 2, 3)  # back to CET on 25 Oct
    assert [s.astimezone(UTC).strftime("%m-%d %H:%M") for s in starts] == ["10-13 16:00", "10-27 17:00", "11-10 17:00"]


def test_a_local_time_the_clock_skips_moves_to_the_jump():
    starts = series.occurrence_starts(date(2027, 3, 21), time(2, 30), BERLIN, 1, 2)
    assert starts[1] == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)  # 02:30 does not exist: 03:00 CEST


# --- booking all or nothing -------------------------------------------------------------


def test_a_weekly_series_books_every_session_at_the_same_local_time(mentor, learner):
    first = next_weekday_before_dst()
    made = series.book_series(mentor, learner, berlin(first), "weekly", 4, 60)
    occurrences = list(series.occurrences_of(made))
    assert [o.index for o in occurrences] == [1, 2, 3, 4]
    assert {o.booking.starts_at.astimezone(BERLIN).strftime("%H:%M") for o in occurrences} == {"18:00"}
    assert len({o.booking.starts_at.astimezone(UTC).hour for o in occurrences}) == 2  # the DST change
    assert all(o.booking.status == Booking.CONFIRMED for o in occurrences)  # free mentor: confirmed at once
    assert made.local_time == time(18) and made.time_zone == "Europe/Berlin" and made.count == 4


@pytest.mark.parametrize(
    ("obstacle", "reason"),
    [("published", series.MENTOR_BUSY), ("taken", series.SEAT_TAKEN), ("day_off", series.NO_AVAILABILITY)],
)
def test_one_clash_books_nothing_and_is_named(mentor, learner, other_learner, session_factory, obstacle, reason):
    first = next_weekday_before_dst()
    third = berlin(first + timedelta(weeks=2))
    if obstacle == "published":
        session_factory(mentor, start=third.astimezone(UTC), capacity=3)
    elif obstacle == "taken":
        svc.book_slot(mentor, other_learner, third.astimezone(UTC), 60)
    else:
        DateOverride.objects.create(mentor=mentor, date=third.date(), kind=DateOverride.UNAVAILABLE)
    before = counts()
    with pytest.raises(series.SeriesClash) as caught:
        series.book_series(mentor, learner, berlin(first), "weekly", 6, 60)
    assert counts() == before
    clash = caught.value.as_dict()
    assert clash["index"] == 3 and clash["reason"] == reason
    assert caught.value.occurrence.start == third
    assert third.strftime("%d %b %Y 18:00") in caught.value.message and "Europe/Berlin" in caught.value.message


def test_the_learners_own_booking_is_a_clash(mentor, mentor_factory, learner):
    first = next_weekday_before_dst()
    elsewhere = mentor_factory("Europe/Berlin", [(d, "09:00", "21:00") for d in range(7)])
    svc.book_slot(elsewhere, learner, berlin(first + timedelta(weeks=1)).astimezone(UTC), 60)
    plan = series.plan_series(mentor, learner, berlin(first), "weekly", 3, 60)
    assert [o.clash for o in plan.occurrences] == ["", series.LEARNER_BUSY, ""]
    assert plan.first_clash.index == 2


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"count": 0}, "count", "bad_count"),
        ({"count": 1}, "count", "bad_count"),
        ({"count": 500}, "count", "bad_count"),
        ({"cadence": "monthly"}, "cadence", "cadence_not_offered"),
        ({"days": -1}, "start", "past_start"),
        ({"days": 3 * 365}, "start", "beyond_horizon"),
        ({"length": 45}, "duration_minutes", "bad_length"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(mentor, learner, change, field, code):
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=change.get("days", 5))
    before = counts()
    with pytest.raises(InvalidRequest) as caught:
        series.book_series(
            mentor, learner, start, change.get("cadence", "weekly"), change.get("count", 4), change.get("length", 60)
        )
    assert (caught.value.field, caught.value.code) == (field, code)
    assert counts() == before


def test_a_cadence_the_site_turned_off_is_refused(mentor, learner):
    from wagtail.models import Site

    policy = SeriesPolicy.for_site(Site.objects.get(is_default_site=True))
    policy.fortnightly_offered = False
    policy.max_sessions = 10
    policy.save()
    start = berlin(next_weekday_before_dst())
    with pytest.raises(InvalidRequest) as caught:
        series.book_series(mentor, learner, start, "fortnightly", 4, 60)
    assert caught.value.code == "cadence_not_offered"
    with pytest.raises(InvalidRequest) as caught:
        series.book_series(mentor, learner, start, "weekly", 11, 60)
    assert caught.value.code == "bad_count" and "10" in caught.value.message


# --- changes ---------------------------------------------------------------------------


def test_cancel_one_then_the_rest(mentor, learner):
    made = series.book_series(mentor, learner, berlin(next_weekday_before_dst()), "weekly", 5, 60)
    series.cancel_occurrences(made, 2, learner)
    statuses = [o.booking.status for o in series.occurrences_of(made)]
    assert statuses == ["confirmed", "cancelled", "confirmed", "confirmed", "confirmed"]
    results = series.cancel_occurrences(made, 3, learner, rest=True)
    assert len(results) == 3
    assert [o.booking.status for o in series.occurrences_of(made)][2:] == ["cancelled"] * 3
    assert Session.objects.filter(status=Session.SCHEDULED).count() == 1  # the slot sessions went with them


def test_strangers_cannot_cancel(mentor, learner, other_learner):
    from core.scheduling.services.errors import NotAllowed

    made = series.book_series(mentor, learner, berlin(next_weekday_before_dst()), "weekly", 2, 60)
    with pytest.raises(NotAllowed):
        series.cancel_occurrences(made, 1, other_learner)


def test_move_one_then_the_rest_keeping_the_local_time(mentor, learner):
    first = next_weekday_before_dst()
    made = series.book_series(mentor, learner, berlin(first), "weekly", 4, 60)
    moved = series.reschedule_occurrences(made, 2, learner, berlin(first + timedelta(weeks=1, days=1), 10))
    assert len(moved) == 1 and moved[0].starts_at == berlin(first + timedelta(weeks=1, days=1), 10)
    occurrences = list(series.occurrences_of(made))
    assert [o.moved for o in occurrences] == [False, True, False, False]
    # the rest from session 3: one day later, 19:00 local, on both sides of the change
    series.reschedule_occurrences(made, 3, mentor, berlin(first + timedelta(weeks=2, days=1), 19), rest=True)
    occurrences = list(series.occurrences_of(made))
    assert [o.booking.starts_at.astimezone(BERLIN).strftime("%a %H:%M") for o in occurrences[2:]] == ["Tue 19:00"] * 2


def test_moving_onto_a_taken_time_changes_nothing(mentor, learner, other_learner):
    first = next_weekday_before_dst()
    made = series.book_series(mentor, learner, berlin(first), "weekly", 3, 60)
    svc.book_slot(mentor, other_learner, berlin(first + timedelta(days=1), 12).astimezone(UTC), 60)
    with pytest.raises(series.SeriesClash) as caught:
        series.reschedule_occurrences(made, 1, learner, berlin(first + timedelta(days=1), 12), rest=True)
    assert caught.value.as_dict()["reason"] == series.SEAT_TAKEN
    assert not any(o.moved for o in series.occurrences_of(made))


def test_moving_the_rest_a_week_later_does_not_trip_over_itself(mentor, learner):
    first = next_weekday_before_dst()
    made = series.book_series(mentor, learner, berlin(first), "weekly", 3, 60)
    series.reschedule_occurrences(made, 1, mentor, berlin(first + timedelta(weeks=1)), rest=True)
    assert [o.booking.starts_at for o in series.occurrences_of(made)] == series.occurrence_starts(
        first + timedelta(weeks=1), time(18), BERLIN, 1, 3
    )


# --- the .ics ----------------------------------------------------------------------------


def test_ics_is_one_recurring_event_with_exdates_and_overrides(mentor, learner):
    first = next_weekday_before_dst()
    made = series.book_series(mentor, learner, berlin(first), "weekly", 5, 60)
    series.cancel_occurrences(made, 4, learner)
    series.reschedule_occurrences(made, 2, learner, berlin(first + timedelta(weeks=1, days=2), 9))
    text = series_calendar(made)
    calendar = icalendar.Calendar.from_ical(text)
    events = [c for c in calendar.walk("VEVENT")]
    assert len(calendar.walk("VTIMEZONE")) == 1
    master = next(e for e in events if "RRULE" in e)
    assert {str(e["UID"]) for e in events} == {made.uid}
    assert master["RRULE"]["FREQ"] == ["WEEKLY"] and master["RRULE"]["COUNT"] == [5]
    assert master["DTSTART"].dt == berlin(first)
    exdates = [d.dt for d in master["EXDATE"].dts]
    assert exdates == [berlin(first + timedelta(weeks=3))]
    override = next(e for e in events if "RECURRENCE-ID" in e)
    assert override["RECURRENCE-ID"].dt == berlin(first + timedelta(weeks=1))
    assert override["DTSTART"].dt == berlin(first + timedelta(weeks=1, days=2), 9)
    # expanding the rule in the zone gives 18:00 local every week, before and after the change
    rule = rrulestr(master["RRULE"].to_ical().decode(), dtstart=master["DTSTART"].dt)
    expanded = list(rule)
    assert [d.astimezone(BERLIN).hour for d in expanded] == [18] * 5
    assert len({d.astimezone(UTC).hour for d in expanded}) == 2
    # the VTIMEZONE carries the spring change the series crosses
    zone = calendar.walk("VTIMEZONE")[0]
    assert any(sub.name == "DAYLIGHT" for sub in zone.subcomponents)


# --- REST ---------------------------------------------------------------------------------


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def body(mentor, start, **extra) -> dict:
    return {"mentor": mentor.pk, "start": start.isoformat(), "cadence": "weekly", "count": 6, **extra}


def test_api_books_shows_cancels_and_moves(api_client, mentor, learner, other_learner):
    first = next_weekday_before_dst()
    client = as_user(api_client, learner)
    preview = client.post("/api/series/preview/", body(mentor, berlin(first)), format="json")
    assert preview.status_code == 200 and preview.json()["bookable"] is True
    assert len(preview.json()["occurrences"]) == 6 and Booking.objects.count() == 0
    created = client.post("/api/series/", body(mentor, berlin(first)), format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["count"] == 6 and data["local_time"] == "18:00" and len(data["occurrences"]) == 6
    pk = data["id"]
    assert client.get(f"/api/series/{pk}/").status_code == 200
    assert as_user(api_client, other_learner).get(f"/api/series/{pk}/").status_code == 404
    client = as_user(api_client, learner)
    cancelled = client.post(f"/api/series/{pk}/occurrences/6/cancel/", {"reason": "holiday"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["occurrences"][5]["booking"]["status"] == "cancelled"
    new_start = berlin(first + timedelta(weeks=1, days=1), 11)
    moved = client.post(f"/api/series/{pk}/occurrences/2/reschedule/", {"start": new_start.isoformat()}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["occurrences"][1]["moved"] is True
    listed = as_user(api_client, mentor).get("/api/series/?as=mentor").json()
    assert [s["id"] for s in listed["results"]] == [pk]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"count": 0}, "count"), ({"count": 500}, "count"), ({"cadence": "monthly"}, "cadence"), ({"days": -2}, "start")],
)
def test_api_bad_input_is_400_with_a_reason_and_nothing_written(api_client, mentor, learner, change, field):
    start = datetime.now(UTC) + timedelta(days=change.pop("days", 5))
    before = counts()
    response = as_user(api_client, learner).post("/api/series/", body(mentor, start, **change), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert counts() == before


def test_api_years_ahead_is_400(api_client, mentor, learner):
    response = as_user(api_client, learner).post(
        "/api/series/", body(mentor, datetime.now(UTC) + timedelta(days=3 * 365)), format="json"
    )
    assert response.status_code == 400 and response.json()["errors"]["start"]


def test_api_clash_is_409_naming_it(api_client, mentor, learner, other_learner):
    first = next_weekday_before_dst()
    svc.book_slot(mentor, other_learner, berlin(first + timedelta(weeks=4)).astimezone(UTC), 60)
    before = counts()
    response = as_user(api_client, learner).post("/api/series/", body(mentor, berlin(first)), format="json")
    assert response.status_code == 409
    payload = response.json()
    assert payload["code"] == "series_clash" and payload["clash"]["index"] == 5
    assert payload["clash"]["reason"] == "seat_taken" and "Session 5" in payload["detail"]
    assert counts() == before


# --- pages --------------------------------------------------------------------------------


def test_pages_preview_book_and_group(client, mentor, learner):
    first = next_weekday_before_dst()
    client.force_login(learner)
    form = {"start": berlin(first).isoformat(), "duration_minutes": 60, "cadence": "weekly", "count": 3}
    preview = client.post(f"/mentors/{mentor.pk}/series/", form)
    assert preview.status_code == 200 and b"series-dates" in preview.content
    assert BookingSeries.objects.count() == 0
    done = client.post(f"/mentors/{mentor.pk}/series/", {**form, "confirmed": "1"})
    made = BookingSeries.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/schedule/series/{made.pk}/"
    page = client.get(done["Location"])
    assert page.status_code == 200 and page.content.count(b"data-index=") == 3
    assert b"Recurring series" in client.get("/dashboard/").content
    first_booking = series.anchor_booking(made)
    assert b"See the whole series" in client.get(f"/schedule/bookings/{first_booking.pk}/").content
    ics = client.get(f"/schedule/series/{made.pk}/invite.ics")
    assert ics["Content-Type"].startswith("text/calendar") and b"RRULE:FREQ=WEEKLY;INTERVAL=1;COUNT=3" in ics.content
    client.force_login(mentor)
    assert b"Recurring series" in client.get("/dashboard/mentor/").content
    client.force_login(learner)
    moved = client.post(
        f"/schedule/series/{made.pk}/2/reschedule/",
        {"start": berlin(first + timedelta(weeks=1, days=1), 10).strftime("%Y-%m-%dT%H:%M")},
    )
    assert moved.status_code == 302
    assert [o.moved for o in series.occurrences_of(made)] == [False, True, False]


def test_page_preview_names_the_clash(client, mentor, learner, other_learner):
    first = next_weekday_before_dst()
    svc.book_slot(mentor, other_learner, berlin(first + timedelta(weeks=1)).astimezone(UTC), 60)
    client.force_login(learner)
    form = {"start": berlin(first).isoformat(), "duration_minutes": 60, "cadence": "weekly", "count": 3}
    response = client.post(f"/mentors/{mentor.pk}/series/", {**form, "confirmed": "1"})
    assert response.status_code == 409 and b"series-clash" in response.content
    assert b"Session 2 cannot be booked" in response.content
    assert BookingSeries.objects.count() == 0
    bad = client.post(f"/mentors/{mentor.pk}/series/", {**form, "count": "500"})
    assert bad.status_code == 400 and b"series-error" in bad.content


# --- the Wagtail admin -------------------------------------------------------------------


def test_editors_see_series_in_the_admin_but_cannot_edit_them(client, mentor, learner, user_factory):
    made = series.book_series(mentor, learner, berlin(next_weekday_before_dst()), "weekly", 3, 60)
    series.cancel_occurrences(made, 3, learner)
    editor = user_factory(is_staff=True, is_superuser=True)
    client.force_login(editor)
    listing = client.get("/admin/scheduling/series/")
    assert listing.status_code == 200 and learner.display_name.encode() in listing.content
    inspect = client.get(f"/admin/scheduling/series/inspect/{made.pk}/")
    assert inspect.status_code == 200
    assert b"Cancelled" in inspect.content and b"Confirmed" in inspect.content
    assert client.get(f"/admin/scheduling/series/edit/{made.pk}/").status_code in (302, 403)
    assert client.get("/admin/scheduling/series/new/").status_code in (302, 403)
    settings_page = client.get("/admin/settings/scheduling/seriespolicy/")
    assert settings_page.status_code in (200, 302)
