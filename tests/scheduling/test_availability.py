"""Free slots: the DST matrix, nonexistent and ambiguous local times, overrides, notice, horizon, buffers."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.scheduling.models import DateOverride, SchedulingProfile
from core.scheduling.services.availability import free_slots, local_to_utc, mentors_with_free_time

pytestmark = pytest.mark.django_db

# (zone, the dates clocks change in 2026: spring forward / fall back in that hemisphere's order)
DST_CHANGES = {
    "Europe/London": [date(2026, 3, 29), date(2026, 10, 25)],
    "America/New_York": [date(2026, 3, 8), date(2026, 11, 1)],
    "Australia/Sydney": [date(2026, 4, 5), date(2026, 10, 4)],
    # No DST in India: the rule must stay put while the *viewer's* zones change around it.
    "Asia/Kolkata": [date(2026, 3, 29), date(2026, 10, 25)],
}


def _utc(day: date, zone: str) -> tuple[datetime, datetime]:
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(0), tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    return start, end


@pytest.mark.parametrize("zone", sorted(DST_CHANGES))
@pytest.mark.parametrize("change", [0, 1])
@pytest.mark.parametrize("offset_days", [-1, 0, 1])
def test_nine_to_five_stays_nine_to_five_across_dst(mentor_factory, zone, change, offset_days):
    mentor = mentor_factory(zone)
    day = DST_CHANGES[zone][change] + timedelta(days=offset_days)
    start, end = _utc(day, zone)
    slots = free_slots(mentor, start, end, now=start - timedelta(days=3))
    local = [(s.start.astimezone(ZoneInfo(zone)), s.end.astimezone(ZoneInfo(zone))) for s in slots]
    assert [s.strftime("%H:%M") for s, _ in local] == [f"{h:02d}:00" for h in range(9, 17)]
    assert all(s.date() == day for s, _ in local)
    assert local[-1][1].strftime("%H:%M") == "17:00"
    assert all(slot.length_minutes == 60 and slot.start.tzinfo == UTC for slot in slots)


# A 09:00 local start on either side of a change, in UTC and as seen by a viewer elsewhere.
CROSS_ZONE = [
    ("Europe/London", date(2026, 3, 28), "2026-03-28T09:00:00+00:00", "America/New_York", "05:00 EDT"),
    ("Europe/London", date(2026, 3, 30), "2026-03-30T08:00:00+00:00", "America/New_York", "04:00 EDT"),
    ("Europe/London", date(2026, 10, 24), "2026-10-24T08:00:00+00:00", "Asia/Kolkata", "13:30 IST"),
    ("Europe/London", date(2026, 10, 26), "2026-10-26T09:00:00+00:00", "Asia/Kolkata", "14:30 IST"),
    ("America/New_York", date(2026, 3, 7), "2026-03-07T14:00:00+00:00", "Europe/London", "14:00 GMT"),
    ("America/New_York", date(2026, 3, 9), "2026-03-09T13:00:00+00:00", "Europe/London", "13:00 GMT"),
    ("America/New_York", date(2026, 10, 31), "2026-10-31T13:00:00+00:00", "Australia/Sydney", "00:00 AEDT"),
    ("America/New_York", date(2026, 11, 2), "2026-11-02T14:00:00+00:00", "Australia/Sydney", "01:00 AEDT"),
    ("Australia/Sydney", date(2026, 4, 4), "2026-04-03T22:00:00+00:00", "Asia/Kolkata", "03:30 IST"),
    ("Australia/Sydney", date(2026, 4, 6), "2026-04-05T23:00:00+00:00", "Asia/Kolkata", "04:30 IST"),
    ("Australia/Sydney", date(2026, 10, 3), "2026-10-02T23:00:00+00:00", "Europe/London", "00:00 BST"),
    ("Australia/Sydney", date(2026, 10, 5), "2026-10-04T22:00:00+00:00", "Europe/London", "23:00 BST"),
    ("Asia/Kolkata", date(2026, 3, 28), "2026-03-28T03:30:00+00:00", "Europe/London", "03:30 GMT"),
    ("Asia/Kolkata", date(2026, 3, 30), "2026-03-30T03:30:00+00:00", "Europe/London", "04:30 BST"),
    ("Asia/Kolkata", date(2026, 4, 4), "2026-04-04T03:30:00+00:00", "Australia/Sydney", "14:30 AEDT"),
    ("Asia/Kolkata", date(2026, 4, 6), "2026-04-06T03:30:00+00:00", "Australia/Sydney", "13:30 AEST"),
]


@pytest.mark.parametrize(("zone", "day", "first_utc", "viewer", "viewer_text"), CROSS_ZONE)
def test_first_slot_in_utc_and_in_the_viewers_zone(mentor_factory, zone, day, first_utc, viewer, viewer_text):
    mentor = mentor_factory(zone)
    start, end = _utc(day, zone)
    slots = free_slots(mentor, start, end, now=start - timedelta(days=3))
    assert slots[0].start.isoformat() == first_utc
    assert slots[0].start.astimezone(ZoneInfo(viewer)).strftime("%H:%M %Z") == viewer_text


def _hours(mentor, zone: str, day: date) -> float:
    start, end = _utc(day, zone)
    slots = free_slots(mentor, start, end, now=start - timedelta(days=3))
    return len(slots) * 0.5


@pytest.mark.parametrize(
    ("zone", "day", "ranges", "expected_hours"),
    [
        # spring forward: 02:00-03:00 does not exist, the range 01:00-04:00 lasts two hours
        ("America/New_York", date(2026, 3, 8), ("01:00", "04:00"), 2),
        ("Europe/London", date(2026, 3, 29), ("00:00", "03:00"), 2),
        ("Australia/Sydney", date(2026, 10, 4), ("01:00", "04:00"), 2),
        # a range wholly inside the gap disappears that day
        ("America/New_York", date(2026, 3, 8), ("02:00", "02:30"), 0),
        # fall back: 01:00-02:00 happens twice, the range covers both
        ("America/New_York", date(2026, 11, 1), ("00:00", "03:00"), 4),
        ("Europe/London", date(2026, 10, 25), ("00:30", "02:00"), 2.5),
        ("Australia/Sydney", date(2026, 4, 5), ("02:00", "03:00"), 2),
        # ordinary days for comparison
        ("America/New_York", date(2026, 3, 9), ("01:00", "04:00"), 3),
        ("Asia/Kolkata", date(2026, 3, 8), ("01:00", "04:00"), 3),
    ],
)
def test_nonexistent_and_ambiguous_local_times(mentor_factory, zone, day, ranges, expected_hours):
    mentor = mentor_factory(zone, [(day.weekday(), *ranges)], lengths=[30], step=30)
    assert _hours(mentor, zone, day) == expected_hours


def test_nonexistent_time_moves_to_the_jump():
    tz = ZoneInfo("America/New_York")
    jump = datetime(2026, 3, 8, 7, 0, tzinfo=UTC)
    assert local_to_utc(date(2026, 3, 8), 2 * 60 + 30, tz) == jump
    assert local_to_utc(date(2026, 3, 8), 2 * 60 + 30, tz, is_end=True) == jump
    # ambiguous: first occurrence for a start, second for an end
    assert local_to_utc(date(2026, 11, 1), 90, tz) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert local_to_utc(date(2026, 11, 1), 90, tz, is_end=True) == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    # Lord Howe moves by half an hour
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    assert local_to_utc(date(2026, 10, 4), 2 * 60 + 15, lord_howe).astimezone(lord_howe).strftime("%H:%M") == "02:30"


def test_midnight_end_and_ranges_across_midnight_join(mentor_factory):
    mentor = mentor_factory("Asia/Kolkata", [(0, "22:00", "00:00"), (1, "00:00", "01:00")], lengths=[120], step=60)
    monday = date(2026, 12, 7)
    start = datetime(2026, 12, 7, tzinfo=UTC) - timedelta(days=1)
    slots = free_slots(mentor, start, start + timedelta(days=3), now=start - timedelta(days=1))
    local = [s.start.astimezone(ZoneInfo("Asia/Kolkata")) for s in slots]
    assert [(d.date(), d.strftime("%H:%M")) for d in local] == [(monday, "22:00"), (monday, "23:00")]


def test_overrides_day_off_time_off_and_extra_time(mentor_factory):
    mentor = mentor_factory("Europe/London", [(0, "09:00", "17:00")])
    monday = date(2026, 12, 7)
    start, end = _utc(monday, "Europe/London")
    now = start - timedelta(days=3)
    assert len(free_slots(mentor, start, end, now=now)) == 8
    DateOverride.objects.create(mentor=mentor, date=monday, kind="unavailable", start_time=time(12), end_time=time(14))
    assert [s.start.hour for s in free_slots(mentor, start, end, now=now)] == [9, 10, 11, 14, 15, 16]
    DateOverride.objects.create(mentor=mentor, date=monday, kind="available", start_time=time(19), end_time=time(21))
    assert [s.start.hour for s in free_slots(mentor, start, end, now=now)] == [9, 10, 11, 14, 15, 16, 19, 20]
    DateOverride.objects.create(mentor=mentor, date=monday, kind="unavailable")  # the whole day off...
    assert [s.start.hour for s in free_slots(mentor, start, end, now=now)] == [19, 20]  # ...except extra time
    # extra time on a day without weekly hours
    tuesday = monday + timedelta(days=1)
    DateOverride.objects.create(mentor=mentor, date=tuesday, kind="available", start_time=time(8), end_time=time(10))
    t_start, t_end = _utc(tuesday, "Europe/London")
    assert [s.start.hour for s in free_slots(mentor, t_start, t_end, now=now)] == [8, 9]


def test_notice_horizon_lengths_and_step(mentor_factory):
    mentor = mentor_factory("UTC", [(0, "09:00", "12:00")], notice=120, horizon=10, lengths=[30, 60], step=30)
    monday = datetime(2026, 12, 7, tzinfo=UTC)
    now = monday.replace(hour=8, minute=10)  # notice: nothing before 10:10
    slots = free_slots(mentor, monday, monday + timedelta(days=1), now=now)
    assert [(s.start.strftime("%H:%M"), s.length_minutes) for s in slots] == [
        ("10:30", 30),
        ("10:30", 60),
        ("11:00", 30),
        ("11:00", 60),
        ("11:30", 30),
    ]
    assert [s.start.strftime("%H:%M") for s in free_slots(mentor, monday, monday + timedelta(days=1), 60, now=now)] == [
        "10:30",
        "11:00",
    ]
    assert free_slots(mentor, monday, monday + timedelta(days=1), 45, now=now) == []  # not offered
    # horizon: 10 days ahead and no further
    later = free_slots(mentor, monday, monday + timedelta(days=40), 60, now=now)
    assert max(s.start for s in later) < now + timedelta(days=10)
    assert {s.start.date() for s in later} == {date(2026, 12, 7), date(2026, 12, 14)}


def test_sessions_and_bookings_block_time_with_buffers(mentor_factory, session_factory, user_factory):
    from core.scheduling.services.bookings import book_session

    mentor = mentor_factory("UTC", buffer=15, lengths=[60], step=30)
    day = (datetime.now(UTC) + timedelta(days=5)).replace(hour=0, minute=0, second=0, microsecond=0)
    session_factory(mentor, start=day.replace(hour=12), minutes=60, capacity=3)
    starts = [s.start.strftime("%H:%M") for s in free_slots(mentor, day, day + timedelta(days=1))]
    # 12:00-13:00 taken, plus 15 minutes either side: 10:30 ends 11:30 (< 11:45), 13:30 starts after 13:15
    assert "10:30" in starts and "11:00" not in starts and "13:00" not in starts and "13:30" in starts
    # the mentor's own booking as a learner blocks their time too
    other = mentor_factory("UTC")
    lesson = session_factory(other, start=day.replace(hour=15), minutes=60)
    book_session(lesson, mentor)
    starts = [s.start.strftime("%H:%M") for s in free_slots(mentor, day, day + timedelta(days=1))]
    # 15:00-16:00 taken, buffers to 16:15: no hour fits before 17:00 any more
    assert starts == ["09:00", "09:30", "10:00", "10:30", "13:30"]


def test_mentors_with_free_time(mentor_factory, user_factory):
    busy_free = mentor_factory("Asia/Kolkata")
    no_rules = mentor_factory("UTC", [])
    far = mentor_factory("UTC", [], horizon=30)
    DateOverride.objects.create(
        mentor=far,
        date=(datetime.now(UTC) + timedelta(days=20)).date(),
        kind="available",
        start_time=time(9),
        end_time=time(12),
    )
    not_mentor = user_factory()
    profile = SchedulingProfile.objects.get(mentor=busy_free)
    assert mentors_with_free_time([busy_free.pk, no_rules.pk, far.pk, not_mentor.pk], 7) == {busy_free.pk}
    assert mentors_with_free_time([busy_free.pk, no_rules.pk, far.pk], 30) == {busy_free.pk, far.pk}
    profile.min_notice_minutes = 8 * 24 * 60
    profile.save()
    assert mentors_with_free_time([busy_free.pk], 7) == set()
    assert mentors_with_free_time([], 7) == set()
