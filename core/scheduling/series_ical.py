"""The ``.ics`` of a recurring series: one recurring VEVENT, in the mentor's zone.

Why this shape: Google Calendar, Outlook and Apple Calendar all import a master
VEVENT with ``RRULE`` plus ``EXDATE`` (cancelled sessions) and override VEVENTs
with the same UID and a ``RECURRENCE-ID`` (moved sessions) as *one* series the
person can see and edit as such. A set of bare ``RECURRENCE-ID`` instances
without a master is accepted by the RFC but shown by Google and Outlook as
loose, unrelated events. The rule is written in the mentor's zone with its
``VTIMEZONE`` (built from the tz database for the series' span), so 18:00
Europe/Berlin stays 18:00 on both sides of a daylight-saving change; a rule in
UTC would drift by an hour.

Built with the same helpers as :mod:`core.notifications.ical` (escaping,
folding, CRLF) and checked in the tests with the independent ``icalendar``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings

from core.notifications.ical import PRODID, escape_text, fold, format_utc, param_value

from .models import Booking, BookingSeries

INACTIVE = (Booking.CANCELLED, Booking.EXPIRED, Booking.REFUNDED)


def _offset(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}{mins:02d}"


def _local(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y%m%dT%H%M%S")


def _transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[datetime]:
    """UTC instants in (start, end] where the zone's offset changes (to the minute)."""
    found = []
    cursor = start
    step = timedelta(days=1)
    while cursor < end:
        after = min(cursor + step, end)
        if cursor.astimezone(zone).utcoffset() != after.astimezone(zone).utcoffset():
            lo, hi = cursor, after
            while hi - lo > timedelta(minutes=1):
                mid = lo + (hi - lo) / 2
                if mid.astimezone(zone).utcoffset() == lo.astimezone(zone).utcoffset():
                    lo = mid
                else:
                    hi = mid
            found.append(hi.replace(second=0, microsecond=0))
        cursor = after
    return found


def vtimezone_lines(zone: ZoneInfo, start: datetime, end: datetime) -> list[str]:
    """A VTIMEZONE covering [start, end]: the state at ``start`` and each change up to ``end``."""
    begin = start - timedelta(days=1)
    lines = ["BEGIN:VTIMEZONE", f"TZID:{zone.key}"]

    def component(at: datetime, before: timedelta, after_instant: datetime) -> list[str]:
        local = after_instant.astimezone(zone)
        kind = "DAYLIGHT" if local.dst() else "STANDARD"
        return [
            f"BEGIN:{kind}",
            f"DTSTART:{(at.astimezone(UTC) + before).strftime('%Y%m%dT%H%M%S')}",
            f"TZOFFSETFROM:{_offset(before)}",
            f"TZOFFSETTO:{_offset(local.utcoffset())}",
            f"TZNAME:{local.tzname()}",
            f"END:{kind}",
        ]

    first = begin.astimezone(zone).utcoffset()
    lines += component(begin, first, begin)
    for instant in _transitions(zone, begin, end + timedelta(days=1)):
        before = (instant - timedelta(minutes=1)).astimezone(zone).utcoffset()
        lines += component(instant, before, instant)
    lines.append("END:VTIMEZONE")
    return lines


def _person(prefix: str, user, role: str = "") -> str:
    name = user.display_name or user.email
    return f"{prefix};CN={param_value(name)}{role}:mailto:{user.email}"


def series_calendar(series: BookingSeries, *, dtstamp: datetime | None = None) -> str:
    """The whole series as a VCALENDAR (``METHOD:PUBLISH``: a file to add, not an email invitation)."""
    stamp = format_utc(dtstamp or datetime.now(UTC))
    zone = ZoneInfo(series.time_zone)
    occurrences = list(series.occurrences.select_related("booking").order_by("index"))
    first, last = occurrences[0], occurrences[-1]
    length = timedelta(minutes=series.duration_minutes)
    span_end = max(max(o.booking.ends_at for o in occurrences), last.rule_start + length)
    span_start = min(min(o.booking.starts_at for o in occurrences), first.rule_start)
    base = settings.PEERLEARN_BASE_URL.rstrip("/")
    url = f"{base}/schedule/series/{series.pk}/"
    mentor, learner = series.mentor, series.learner
    summary = f"PeerLearn: {mentor.display_name or mentor.email} and {learner.display_name or learner.email}"
    sequence = sum(o.booking.reschedule_count for o in occurrences) + sum(
        1 for o in occurrences if o.booking.status in INACTIVE
    )
    common = [
        f"DTSTAMP:{stamp}",
        f"SEQUENCE:{sequence}",
        f"SUMMARY:{escape_text(summary)}",
        f"URL;VALUE=URI:{url}",
        _person("ORGANIZER", mentor),
        _person("ATTENDEE", learner, ";ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED"),
    ]
    lines = ["BEGIN:VCALENDAR", f"PRODID:{PRODID}", "VERSION:2.0", "CALSCALE:GREGORIAN", "METHOD:PUBLISH"]
    lines += vtimezone_lines(zone, span_start, span_end)
    tz = f";TZID={zone.key}"
    lines += [
        "BEGIN:VEVENT",
        f"UID:{series.uid}",
        *common,
        f"DTSTART{tz}:{_local(first.rule_start, zone)}",
        f"DTEND{tz}:{_local(first.rule_start + length, zone)}",
        f"RRULE:FREQ=WEEKLY;INTERVAL={series.interval_weeks};COUNT={series.count}",
    ]
    cancelled = [o for o in occurrences if o.booking.status in INACTIVE]
    if cancelled:
        lines.append(f"EXDATE{tz}:" + ",".join(_local(o.rule_start, zone) for o in cancelled))
    lines += ["STATUS:CONFIRMED", "TRANSP:OPAQUE", "END:VEVENT"]
    for occurrence in occurrences:
        booking = occurrence.booking
        if booking.status in INACTIVE or booking.starts_at == occurrence.rule_start:
            continue
        lines += [
            "BEGIN:VEVENT",
            f"UID:{series.uid}",
            *common,
            f"RECURRENCE-ID{tz}:{_local(occurrence.rule_start, zone)}",
            f"DTSTART{tz}:{_local(booking.starts_at, zone)}",
            f"DTEND{tz}:{_local(booking.ends_at, zone)}",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
