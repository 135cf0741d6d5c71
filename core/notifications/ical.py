"""iCalendar (RFC 5545) text for invitations (iTIP, RFC 5546) and subscription feeds.

Written by hand rather than through a library because what we emit is small
and fixed: VCALENDAR with VEVENTs, UTC times, escaped TEXT values and lines
folded at 75 octets with CRLF endings. The test suite parses the output back
with the independent ``icalendar`` package.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

PRODID = "-//PeerLearn//PeerLearn Calendar 1.0//EN"
LINE_OCTETS = 75

METHOD_REQUEST = "REQUEST"
METHOD_CANCEL = "CANCEL"
METHOD_PUBLISH = "PUBLISH"

STATUS_CONFIRMED = "CONFIRMED"
STATUS_TENTATIVE = "TENTATIVE"
STATUS_CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Person:
    name: str
    email: str


@dataclass(frozen=True)
class CalendarEvent:
    """One VEVENT. Times must be timezone-aware; they are written in UTC."""

    uid: str
    start: datetime
    end: datetime
    summary: str
    description: str = ""
    url: str = ""
    location: str = ""
    sequence: int = 0
    status: str = STATUS_CONFIRMED
    organizer: Person | None = None
    attendees: tuple[Person, ...] = field(default_factory=tuple)
    last_modified: datetime | None = None
    alarm_before: timedelta | None = None


def format_utc(value: datetime) -> str:
    """``20250301T143000Z``: a DATE-TIME in UTC (form #2 of RFC 5545 3.3.5)."""
    if value.tzinfo is None:
        raise ValueError("iCalendar times must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def format_duration(value: timedelta) -> str:
    """A DURATION such as ``-PT15M`` or ``PT1H`` (whole seconds)."""
    seconds = int(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    out = f"{sign}P"
    if days:
        out += f"{days}D"
    if hours or minutes or seconds or not days:
        out += "T"
        if hours:
            out += f"{hours}H"
        if minutes:
            out += f"{minutes}M"
        if seconds or not (hours or minutes):
            out += f"{seconds}S"
    return out


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 3.3.11): backslash, semicolon, comma, newlines."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def param_value(value: str) -> str:
    """A parameter value (3.2): quoted when it holds ``:;,``; DQUOTE and controls cannot appear."""
    cleaned = "".join(ch for ch in value if ch != '"' and (ch == "\t" or ord(ch) >= 0x20) and ch != "\x7f")
    if any(ch in cleaned for ch in ":;,"):
        return f'"{cleaned}"'
    return cleaned


def fold(line: str) -> str:
    """Fold a content line into chunks of at most 75 octets, never splitting a UTF-8 character."""
    encoded = line.encode("utf-8")
    if len(encoded) <= LINE_OCTETS:
        return line
    parts: list[str] = []
    current = ""
    size = 0
    limit = LINE_OCTETS
    for ch in line:
        width = len(ch.encode("utf-8"))
        if size + width > limit:
            parts.append(current)
            current, size = "", 0
            limit = LINE_OCTETS - 1  # continuation lines start with one space
        current += ch
        size += width
    parts.append(current)
    return "\r\n ".join(parts)


def _mailto(person: Person, role: str | None = None) -> str:
    params = f";CN={param_value(person.name)}" if person.name else ""
    if role:
        params += f";{role}"
    return f"{params}:mailto:{person.email}"


def event_lines(event: CalendarEvent, dtstamp: datetime, method: str | None) -> list[str]:
    """The content lines of one VEVENT (unfolded)."""
    if event.end <= event.start:
        raise ValueError("an event must end after it starts")
    lines = [
        "BEGIN:VEVENT",
        f"UID:{event.uid}",
        f"DTSTAMP:{format_utc(dtstamp)}",
        f"DTSTART:{format_utc(event.start)}",
        f"DTEND:{format_utc(event.end)}",
        f"SEQUENCE:{int(event.sequence)}",
        f"SUMMARY:{escape_text(event.summary)}",
        f"STATUS:{STATUS_CANCELLED if method == METHOD_CANCEL else event.status}",
    ]
    if event.description:
        lines.append(f"DESCRIPTION:{escape_text(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{escape_text(event.location)}")
    if event.url:
        lines.append(f"URL;VALUE=URI:{event.url}")
    if event.last_modified:
        lines.append(f"LAST-MODIFIED:{format_utc(event.last_modified)}")
    if event.organizer:
        lines.append("ORGANIZER" + _mailto(event.organizer))
    for attendee in event.attendees:
        lines.append("ATTENDEE" + _mailto(attendee, "ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED"))
    lines.append("TRANSP:OPAQUE")
    if event.alarm_before and method != METHOD_CANCEL and event.status != STATUS_CANCELLED:
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(event.summary)}",
            f"TRIGGER:{format_duration(-event.alarm_before)}",
            "END:VALARM",
        ]
    lines.append("END:VEVENT")
    return lines


def render_calendar(
    events: Iterable[CalendarEvent],
    *,
    method: str | None = None,
    name: str = "",
    refresh: timedelta | None = None,
    dtstamp: datetime | None = None,
) -> str:
    """A whole VCALENDAR object as text, CRLF line endings, folded.

    ``method`` is ``REQUEST``/``CANCEL`` for an email invitation (iTIP) and
    ``None`` or ``PUBLISH`` for a subscription feed.
    """
    stamp = dtstamp or datetime.now(UTC)
    lines = ["BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN"]
    if method:
        lines.append(f"METHOD:{method}")
    if name:
        lines.append(f"X-WR-CALNAME:{escape_text(name)}")
    if refresh:
        # RFC 7986 REFRESH-INTERVAL, plus the older Microsoft/Apple spelling.
        lines.append(f"REFRESH-INTERVAL;VALUE=DURATION:{format_duration(refresh)}")
        lines.append(f"X-PUBLISHED-TTL:{format_duration(refresh)}")
    for event in events:
        lines.extend(event_lines(event, stamp, method))
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
