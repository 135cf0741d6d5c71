"""The iCalendar writer: RFC 5545 text that an independent parser reads back unchanged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from core.notifications import ical

START = datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("Europe/London"))  # the night clocks go forward


def event(**kw) -> ical.CalendarEvent:
    values = dict(
        uid="session-7@peerlearn.test",
        start=START,
        end=START.astimezone(UTC) + timedelta(hours=2),  # real hours: wall-clock + would give 1 h here
        summary="Calculus; limits, series & more",
        description="Line one\nLine two, with a comma; and a semicolon \\ backslash",
        url="https://peerlearn.test/sessions/7/",
        location="https://peerlearn.test/sessions/7/room/",
        sequence=3,
        organizer=ical.Person("Maya, the mentor via PeerLearn", "no-reply@peerlearn.test"),
        attendees=(ical.Person('Lee "L" Learner', "lee@example.org"),),
    )
    values.update(kw)
    return ical.CalendarEvent(**values)


def parse(text: str) -> icalendar.Calendar:
    assert text.endswith("\r\n")
    assert "\n" not in text.replace("\r\n", ""), "every line ends with CRLF"
    for line in text.split("\r\n"):
        assert len(line.encode("utf-8")) <= 75, f"unfolded line: {line!r}"
    return icalendar.Calendar.from_ical(text)


def test_request_round_trips_through_an_independent_parser():
    text = ical.render_calendar([event()], method=ical.METHOD_REQUEST, dtstamp=datetime(2026, 3, 1, tzinfo=UTC))
    calendar = parse(text)
    assert calendar["VERSION"] == "2.0"
    assert calendar["PRODID"] == ical.PRODID
    assert calendar["METHOD"] == "REQUEST"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == "session-7@peerlearn.test"
    assert vevent["SEQUENCE"] == 3
    start = vevent.decoded("DTSTART")
    assert start == START and start.utcoffset() == timedelta(0), "DTSTART is written in UTC"
    assert "DTSTART:20260329T003000Z" in text
    assert vevent.decoded("DTEND") - start == timedelta(hours=2)
    assert str(vevent["SUMMARY"]) == "Calculus; limits, series & more"
    assert str(vevent["DESCRIPTION"]) == "Line one\nLine two, with a comma; and a semicolon \\ backslash"
    assert str(vevent["STATUS"]) == "CONFIRMED"
    assert str(vevent["ORGANIZER"]) == "mailto:no-reply@peerlearn.test"
    assert vevent["ORGANIZER"].params["CN"] == "Maya, the mentor via PeerLearn"
    assert str(vevent["ATTENDEE"]) == "mailto:lee@example.org"
    assert vevent["ATTENDEE"].params["CN"] == "Lee L Learner", "DQUOTE cannot appear in a parameter"
    assert vevent.decoded("DTSTAMP") == datetime(2026, 3, 1, tzinfo=UTC)


def test_cancel_forces_cancelled_status_and_drops_alarms():
    text = ical.render_calendar([event(alarm_before=timedelta(minutes=15))], method=ical.METHOD_CANCEL)
    calendar = parse(text)
    assert calendar["METHOD"] == "CANCEL"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert not vevent.walk("VALARM")


def test_long_unicode_lines_fold_on_character_boundaries():
    summary = "Mandarin for beginners — 你好世界 " * 6
    text = ical.render_calendar([event(summary=summary, description="é" * 200)])
    (vevent,) = parse(text).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == summary
    assert str(vevent["DESCRIPTION"]) == "é" * 200


def test_feed_calendar_has_name_refresh_and_alarm():
    text = ical.render_calendar(
        [event(alarm_before=timedelta(minutes=15)), event(uid="session-8@peerlearn.test", status="TENTATIVE")],
        method=ical.METHOD_PUBLISH,
        name="PeerLearn sessions",
        refresh=timedelta(minutes=30),
    )
    calendar = parse(text)
    assert str(calendar["X-WR-CALNAME"]) == "PeerLearn sessions"
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT30M" in text
    first, second = calendar.walk("VEVENT")
    (alarm,) = first.walk("VALARM")
    assert alarm.decoded("TRIGGER") == -timedelta(minutes=15)
    assert str(second["STATUS"]) == "TENTATIVE"


def test_naive_or_backwards_times_are_refused():
    with pytest.raises(ValueError):
        ical.render_calendar([event(start=datetime(2026, 1, 1, 10), end=datetime(2026, 1, 1, 11))])
    with pytest.raises(ValueError):
        ical.render_calendar([event(end=START - timedelta(minutes=1))])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (timedelta(minutes=15), "PT15M"),
        (-timedelta(minutes=15), "-PT15M"),
        (timedelta(hours=1, minutes=30), "PT1H30M"),
        (timedelta(days=1), "P1D"),
        (timedelta(0), "PT0S"),
    ],
)
def test_durations(value, expected):
    assert ical.format_duration(value) == expected
