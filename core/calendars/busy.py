"""Busy times from mentors' calendars: read, cached, and handed to availability as a busy source.

A connection's busy times for its window (a day back to the mentor's horizon)
are read by the beat task, by *Refresh now*, or by an availability read that
finds the cached copy expired. The answer is kept twice: in the cache for
``PEERLEARN_CALENDARS["BUSY_TTL"]`` seconds (what most reads use) and on the
connection row (what stays in force when the calendar cannot be read). A read
that fails leaves the previous busy times in place, marks the connection
``busy_failing`` and backs off for ``BACKOFF`` seconds, so a hung server costs
one page at most one read budget and the next pages nothing; availability is
then ``stale``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.scheduling.services.availability import ExternalBusy, Interval, Settings, profile_for

from . import providers
from .models import CalendarConnection

logger = logging.getLogger("peerlearn.calendars")

MAX_WINDOW_DAYS = 120


def _conf(name: str) -> float:
    return float(settings.PEERLEARN_CALENDARS[name])


def cache_key(connection_id: int) -> str:
    return f"calendars:busy:{connection_id}"


def _backoff_key(connection_id: int) -> str:
    return f"calendars:backoff:{connection_id}"


def window(connection: CalendarConnection, now: datetime) -> tuple[datetime, datetime]:
    """The stretch whose busy times are read: from a day ago to the mentor's horizon (capped)."""
    horizon = Settings.of(profile_for(connection.mentor)).horizon
    days = min(horizon, timedelta(days=MAX_WINDOW_DAYS))
    return now - timedelta(days=1), now + days + timedelta(days=1)


def _record_failure(connection: CalendarConnection, outcome: providers.Outcome, now: datetime, *, read: bool) -> None:
    connection.last_error = outcome.message[:2000]
    connection.last_error_code = outcome.code[:20]
    connection.last_error_at = now
    fields = ["last_error", "last_error_code", "last_error_at", "updated_at"]
    if read:
        connection.busy_failing = True
        fields.append("busy_failing")
    connection.save(update_fields=fields)


def record_failure(connection: CalendarConnection, outcome: providers.Outcome, *, read: bool = False) -> None:
    """Keep the failure on the connection, for the mentor's page and the editors' list."""
    _record_failure(connection, outcome, timezone.now(), read=read)


def refresh_busy(connection: CalendarConnection, *, kind: str = "background", now: datetime | None = None):
    """Read the connection's busy times now; return the :class:`~.providers.Outcome`."""
    now = now or timezone.now()
    found = providers.provider_for(connection)
    if found is None:
        outcome = providers.Outcome(
            False, code="not_found", message=_("This kind of calendar is not available on the site any more.")
        )
    elif not connection.calendar_id:
        outcome = providers.Outcome(False, code="invalid", message=_("Choose which calendar to use."))
    else:
        plugin, provider = found
        start, end = window(connection, now)
        account = providers.account_for(connection, provider)
        outcome = providers.call(
            plugin, provider, "busy_times", account, start, end, expect=providers.BUSY_TYPE, kind=kind
        )
        if outcome.ok:
            _store(connection, outcome.value, start, end, now)
            return outcome
    _record_failure(connection, outcome, now, read=True)
    cache.set(_backoff_key(connection.pk), 1, int(_conf("BACKOFF")))
    logger.info("Calendar of mentor %s not read: %s", connection.mentor_id, outcome.message)
    return outcome


def _store(connection: CalendarConnection, found: Sequence, start: datetime, end: datetime, now: datetime) -> None:
    own = set(connection.events.values_list("uid", flat=True))
    intervals = sorted(
        (b.start, b.end)
        for b in found
        if b.uid not in own and b.start.tzinfo is not None and b.end.tzinfo is not None and b.end > b.start
    )
    connection.busy = [[s.isoformat(), e.isoformat()] for s, e in intervals]
    connection.busy_from, connection.busy_until = start, end
    connection.last_synced_at = now
    connection.busy_failing = False
    connection.save(update_fields=["busy", "busy_from", "busy_until", "last_synced_at", "busy_failing", "updated_at"])
    cache.set(cache_key(connection.pk), connection.busy, int(_conf("BUSY_TTL")))
    cache.delete(_backoff_key(connection.pk))


def forget(connection_id: int) -> None:
    """Drop the cached busy times (another calendar was chosen)."""
    cache.delete_many([cache_key(connection_id), _backoff_key(connection_id)])


def _parse(rows: Sequence) -> list[Interval]:
    intervals: list[Interval] = []
    for row in rows or ():
        start, end = parse_datetime(row[0]), parse_datetime(row[1])
        if start and end:
            intervals.append((start, end))
    return intervals


def is_stale(connection: CalendarConnection, now: datetime | None = None) -> bool:
    """Whether the busy times in force may be out of date: never read, the last read failed, or too old."""
    now = now or timezone.now()
    if connection.last_synced_at is None or connection.busy_failing:
        return True
    return now - connection.last_synced_at > timedelta(seconds=_conf("STALE_AFTER"))


def external_busy(mentor_ids: Sequence[int], start: datetime, end: datetime, *, refresh: bool) -> ExternalBusy:
    """The busy source registered with availability (see :mod:`core.scheduling.services.availability`)."""
    result = ExternalBusy()
    connections = list(
        CalendarConnection.objects.filter(mentor_id__in=mentor_ids).exclude(calendar_id="").select_related("mentor")
    )
    if not connections:
        return result
    cached = cache.get_many([cache_key(c.pk) for c in connections])
    for connection in connections:
        rows = cached.get(cache_key(connection.pk))
        if rows is None:
            if refresh and cache.add(_backoff_key(connection.pk), 1, int(_conf("READ_BUDGET")) + 1):
                # The backoff key doubles as "someone is reading it": one read per connection at a time.
                refresh_busy(connection, kind="read")
            rows = connection.busy
        intervals = [(s, e) for s, e in _parse(rows) if s < end and e > start]
        if intervals:
            result.intervals[connection.mentor_id] = intervals
        if is_stale(connection):
            result.stale.add(connection.mentor_id)
        if connection.last_synced_at:
            result.as_of[connection.mentor_id] = connection.last_synced_at
    return result
