"""The event log's write side: ``record(name, **data)``, cheap enough to call inside a request.

``record()`` does no I/O. It waits for the surrounding transaction to commit
(nothing is logged for work that was rolled back), then appends the event to a
process-wide buffer. The buffer is written with one ``bulk_create``:

* when a request or a Celery task finishes (``request_finished``,
  ``task_postrun``), so a request that logs five events pays one INSERT, after
  its response has been sent;
* as soon as it holds ``BATCH_SIZE`` events;
* at once when nothing is going to flush it later: outside a request or task
  (a shell, a management command, a WebSocket consumer, a test), and by the
  next ``record()`` once the oldest buffered event has waited
  ``MAX_DELAY_SECONDS``;
* at interpreter exit.

Well-known keys become columns (``user_id``, ``mentor_id``, ``booking_id``,
``session_id``, ``amount_minor``, ``currency``, ``skill_ids``, ``site_id``,
``occurred_at``); everything else is kept in ``data``, which must be JSON.
Business events are kept as long as ``AnalyticsSettings.business_retention_days``
says (forever by default); every other event (behaviour, and the ``domain.*``
copies of the domain events plugins are told about) for ``retention_days``.
"""

from __future__ import annotations

import atexit
import logging
import re
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..models import AnalyticsSettings, Event

logger = logging.getLogger("peerlearn.analytics")

BATCH_SIZE = 200
MAX_DELAY_SECONDS = 5.0  # a buffered event is written by the next record() after this long at the latest
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
COLUMNS = ("user_id", "mentor_id", "booking_id", "session_id", "amount_minor", "currency", "skill_ids", "site_id")

#: Events that the dashboard's history is made of (kept per ``business_retention_days``).
BUSINESS_EVENTS = frozenset(
    {
        "user.signed_up",
        "booking.created",
        "booking.confirmed",
        "booking.cancelled",
        "booking.expired",
        "booking.completed",
        "booking.no_show",
        "booking.refunded",
        "booking.declined",
        "session.created",
        "session.rescheduled",
        "session.cancelled",
        "session.started",
        "session.ended",
        "payment.charged",
        "payment.refunded",
        "review.submitted",
    }
)
#: Events about what people looked at and did (kept per ``retention_days``, like any name not in BUSINESS_EVENTS).
BEHAVIOUR_EVENTS = frozenset(
    {
        "search.performed",
        "mentor.viewed",
        "recommendation.impression",
        "recommendation.click",
        "recommendation.view",
        "recommendation.dismiss",
        "recommendation.book",
        "room.joined",
        "room.left",
    }
)

_lock = threading.Lock()
_buffer: list[Event] = []
_scope = threading.local()  # .active: a request or task is in progress on this thread
_oldest: list[float] = []  # monotonic time the oldest buffered event was queued
_later: list[Event] = []  # record_later(): written with the next flush that is due anyway
_later_since: list[float] = []  # monotonic time the oldest of them was queued
_captured: ContextVar[list | None] = ContextVar("analytics_captured", default=None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(getattr(value, "pk", value))


def build(name: str, **data: Any) -> Event:
    """The unsaved :class:`Event` for ``record`` (checks the name; ids may be objects or ints)."""
    if not isinstance(name, str) or not NAME_RE.match(name) or len(name) > 64:
        raise ValueError(f"event names are dotted lower-case words, e.g. 'booking.created'; got {name!r}")
    occurred_at = data.pop("occurred_at", None) or timezone.now()
    fields: dict[str, Any] = {}
    for column in COLUMNS:
        if column in data:
            value = data.pop(column)
            if column == "skill_ids":
                value = sorted({int(getattr(v, "pk", v)) for v in (value or [])})
            elif column == "currency":
                value = (value or "").upper()[:3]
            elif value is not None:
                value = int(getattr(value, "pk", value))
            fields[column] = value
    return Event(name=name, occurred_at=occurred_at, data=_jsonable(data), **fields)


def record(name: str, **data: Any) -> None:
    """Log that ``name`` happened, once the current transaction commits. Never raises into the caller.

    ``record("booking.created", user_id=learner.pk, booking_id=b.pk, skill_ids=[...], lead_hours=30)``
    """
    captured = _captured.get()
    if captured is not None and name in BEHAVIOUR_EVENTS:
        captured.append((name, dict(data)))
    try:
        event = build(name, **data)
    except (ValueError, TypeError) as exc:
        logger.error("analytics event %r refused: %s", name, exc)
        return
    transaction.on_commit(lambda: _enqueue(event), robust=True)


@contextmanager
def capturing_behaviour() -> Iterator[list[tuple[str, dict]]]:
    """Collect the behaviour events recorded inside the block as ``(name, data)``, besides recording them.

    The anonymous page cache keeps them with a page, to record them again for each visitor it serves.
    """
    captured: list[tuple[str, dict]] = []
    token = _captured.set(captured)
    try:
        yield captured
    finally:
        _captured.reset(token)


def record_later(name: str, **data: Any) -> None:
    """Log a behaviour event without a write of its own: it waits for the next due flush.

    For events recorded on behalf of a page served from the cache: they are
    written together every ``MAX_DELAY_SECONDS`` or ``BATCH_SIZE`` events (or at
    exit), so a cached page costs no INSERT.
    """
    try:
        event = build(name, **data)
    except (ValueError, TypeError) as exc:
        logger.error("analytics event %r refused: %s", name, exc)
        return
    now = time.monotonic()
    with _lock:
        if not _later:
            _later_since[:] = [now]
        _later.append(event)
    if _later_due():
        flush()


def _later_due() -> bool:
    with _lock:
        return bool(_later) and (len(_later) >= BATCH_SIZE or time.monotonic() - _later_since[0] > MAX_DELAY_SECONDS)


def _in_scope() -> bool:
    return bool(getattr(_scope, "active", False))


def _enqueue(event: Event) -> None:
    now = time.monotonic()
    with _lock:
        if not _buffer:
            _oldest[:] = [now]
        _buffer.append(event)
        due = len(_buffer) >= BATCH_SIZE or now - _oldest[0] > MAX_DELAY_SECONDS
    if due or not _in_scope():
        flush()


#: Facts that happen at most once per booking: a second event for the same booking is a copy
#: (the live receiver and the backfill both saw it), and is not written.
ONCE_PER_BOOKING = frozenset(
    {
        "booking.created",
        "booking.confirmed",
        "booking.cancelled",
        "booking.expired",
        "booking.completed",
        "booking.no_show",
        "booking.refunded",
        "booking.declined",
        "payment.charged",
        "review.submitted",
    }
)


def without_copies(batch: list[Event]) -> list[Event]:
    """``batch`` less the once-per-booking events already in the log (or twice in the batch)."""
    keyed = [e for e in batch if e.name in ONCE_PER_BOOKING and e.booking_id is not None]
    if not keyed:
        return batch
    seen = set(
        Event.objects.filter(
            name__in={e.name for e in keyed}, booking_id__in={e.booking_id for e in keyed}
        ).values_list("name", "booking_id")
    )
    keyed_ids = {id(e) for e in keyed}
    kept = []
    for event in batch:
        key = (event.name, event.booking_id)
        if id(event) in keyed_ids:
            if key in seen:
                continue
            seen.add(key)
        kept.append(event)
    return kept


def pending() -> int:
    """Events waiting in this process's buffer."""
    with _lock:
        return len(_buffer) + len(_later)


def flush() -> int:
    """Write every buffered event now; returns how many were written."""
    with _lock:
        batch = list(_buffer) + list(_later)
        _buffer.clear()
        _later.clear()
    if not batch:
        return 0
    try:
        batch = without_copies(batch)
        Event.objects.bulk_create(batch, batch_size=BATCH_SIZE)
        with _lock:
            _signups_claimed.clear()  # written: the database now answers "already logged"
    except Exception:
        # The log must never take a page down; the events of this batch are lost, loudly.
        logger.exception("could not write %d analytics events", len(batch))
        return 0
    return len(batch)


def enter_scope(**kwargs) -> None:
    """A request or task starts on this thread: buffer its events until it ends."""
    _scope.active = True


def leave_scope(**kwargs) -> int:
    """A request or task ended (on whichever thread): write what is buffered; how many were written."""
    _scope.active = False
    with _lock:
        waiting = bool(_buffer)
    return flush() if waiting or _later_due() else 0


atexit.register(flush)


# --- retention ------------------------------------------------------------------------


def prune_events(now: datetime | None = None) -> dict[str, int]:
    """Delete events past their retention (see :class:`AnalyticsSettings`); returns counts deleted."""
    now = now or timezone.now()
    conf = AnalyticsSettings.load()
    deleted = {"behaviour": 0, "business": 0}
    cutoff = now - timedelta(days=conf.retention_days)
    deleted["behaviour"] = Event.objects.filter(occurred_at__lt=cutoff).exclude(name__in=BUSINESS_EVENTS)._prune()
    if conf.business_retention_days:
        cutoff = now - timedelta(days=conf.business_retention_days)
        deleted["business"] = Event.objects.filter(occurred_at__lt=cutoff, name__in=BUSINESS_EVENTS)._prune()
    return deleted


def events_named(names: Iterable[str], start: datetime, end: datetime):
    """Events of ``names`` with ``start <= occurred_at < end``."""
    return Event.objects.filter(name__in=list(names), occurred_at__gte=start, occurred_at__lt=end)


# Sign-ups logged but not yet written (cleared at each write, when the database can answer instead).
_signups_claimed: dict[int, None] = {}


def _claim_signup(user_id: int) -> bool:
    with _lock:
        if user_id in _signups_claimed:
            return False
        _signups_claimed[user_id] = None
        while len(_signups_claimed) > 10_000:
            _signups_claimed.pop(next(iter(_signups_claimed)))
        return True


def record_signup_once(user_id: int, *, via: str) -> None:
    """Log ``user.signed_up`` for a new account once, with its roles and interests as of the commit.

    Both a new ``User`` row and allauth's ``user_signed_up`` call this; whichever
    comes first writes the event.
    """

    def write() -> None:
        from core.accounts.models import User

        if Event.objects.filter(name="user.signed_up", user_id=user_id).exists() or not _claim_signup(user_id):
            return
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            return
        record(
            "user.signed_up",
            occurred_at=user.date_joined,
            user_id=user.pk,
            skill_ids=list(user.interests.values_list("id", flat=True)),
            roles=user.roles,
            via=via,
        )

    transaction.on_commit(write, robust=True)
