"""What the CalDAV provider reads beyond the contract: recurring and all-day events, against Radicale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.plugins import CalendarAccount, CalendarError
from plugins.calendars.caldav.plugin import CalDAVProvider, event_ics

from . import harnesses  # noqa: F401 - registers the Radicale harness


@pytest.fixture
def radicale(calendar_harness_for):
    return calendar_harness_for("calendar_caldav")


def _account(harness, calendar_id: str) -> CalendarAccount:
    return CalendarAccount(
        values=harness.connection_values(),
        calendar_id=calendar_id,
        time_zone="Europe/Paris",
        secret_names=frozenset({"password"}),
    )


def _put(harness, calendar_id: str, body: list[str]) -> None:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//test//EN",
        "BEGIN:VEVENT",
        *body,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    harness.server.calendar(calendar_id).add_event("\r\n".join(lines) + "\r\n")


def test_recurring_events_are_expanded_and_all_day_events_use_the_mentors_zone(radicale):
    calendar_id = radicale.new_calendar()
    monday = (datetime.now(UTC) + timedelta(days=7 - datetime.now(UTC).weekday())).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    _put(
        radicale,
        calendar_id,
        [
            "UID:weekly@test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{monday:%Y%m%dT%H%M%SZ}",
            "DURATION:PT1H",
            "RRULE:FREQ=WEEKLY;COUNT=3",
            "SUMMARY:Team call",
        ],
    )
    day = (monday + timedelta(days=1)).date()
    _put(
        radicale,
        calendar_id,
        [
            "UID:allday@test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
            "SUMMARY:Conference",
        ],
    )
    _put(
        radicale,
        calendar_id,
        [
            "UID:cancelled@test",
            "DTSTAMP:20260101T000000Z",
            f"DTSTART:{monday + timedelta(hours=3):%Y%m%dT%H%M%SZ}",
            "DURATION:PT1H",
            "STATUS:CANCELLED",
            "SUMMARY:Called off",
        ],
    )
    provider = CalDAVProvider(timeout=5, allow_private_hosts=True)
    busy = provider.busy_times(_account(radicale, calendar_id), monday - timedelta(days=1), monday + timedelta(days=30))
    weekly = sorted(b.start for b in busy if b.uid == "weekly@test")
    assert weekly == [monday, monday + timedelta(days=7), monday + timedelta(days=14)]
    (allday,) = [b for b in busy if b.uid == "allday@test"]
    paris = ZoneInfo("Europe/Paris")
    assert allday.start == datetime(day.year, day.month, day.day, tzinfo=paris)
    assert allday.end - allday.start == timedelta(days=1)
    assert not [b for b in busy if b.uid == "cancelled@test"]


def test_private_hosts_are_refused_by_default(radicale):
    provider = CalDAVProvider(timeout=5, allow_private_hosts=False)
    with pytest.raises(CalendarError) as caught:
        provider.list_calendars(_account(radicale, ""))
    assert caught.value.code == "invalid" and "private network" in caught.value.message


def test_the_stored_event_escapes_text_and_folds_long_lines():
    from core.plugins import CalendarEventData

    start = datetime(2030, 1, 7, 9, tzinfo=UTC)
    text = event_ics(
        CalendarEventData(
            uid="peerlearn-session-1@x",
            title="A; b, c",
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            description="line one\nline two " + "x" * 120,
        )
    )
    assert "SUMMARY:A\\; b\\, c" in text and "DTSTART:20300107T090000Z" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert "line one\\nline two" in text
