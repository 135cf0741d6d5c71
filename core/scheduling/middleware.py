"""Seat holds end at their deadline, whether or not a worker runs.

Pages only look in the database when a hold may have run out: the earliest
deadline of a pending hold is kept in the cache, so most requests cost one
cache read instead of a query (and a pooled connection); and each process
remembers that read for up to :data:`LOCAL_SECONDS`, so most cost nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from .models import Booking
from .services.bookings import expire_due_holds

#: At most this many lapsed holds are expired by one request (the rest by the next ones, or the sweep).
HOLDS_PER_REQUEST = 50
#: Cache key of the earliest deadline of a pending hold (a POSIX timestamp).
DEADLINE_KEY = "scheduling:next-hold-deadline"
#: Look in the database at least this often, whatever the cached deadline says.
RECHECK_SECONDS = 30


#: A process trusts the cached deadline it read this long (seconds) before reading it again.
#: Safe below the shortest hold (a minute): a hold taken in another process meanwhile runs out later
#: than that; a hold taken or moved in this process forgets it at once (:func:`forget_hold_deadline`).
LOCAL_SECONDS = 5
_no_lapse_until = 0.0  # this process's memory of the cached deadline (a POSIX timestamp)


def holds_may_have_lapsed(now: datetime) -> bool:
    global _no_lapse_until
    at = now.timestamp()
    if at < _no_lapse_until:
        return False
    deadline = cache.get(DEADLINE_KEY)
    if deadline is None or deadline <= at:
        return True
    _no_lapse_until = min(deadline, at + LOCAL_SECONDS)
    return False


def remember_next_deadline(now: datetime) -> None:
    """Cache when the next pending hold runs out (or when to look again, if that is sooner)."""
    earliest = Booking.objects.filter(status=Booking.PENDING_PAYMENT, hold_expires_at__isnull=False).aggregate(
        at=Min("hold_expires_at")
    )["at"]
    recheck = now + timedelta(seconds=RECHECK_SECONDS)
    cache.set(DEADLINE_KEY, min(earliest or recheck, recheck).timestamp(), timeout=RECHECK_SECONDS)


def forget_hold_deadline() -> None:
    """A hold was taken or moved: the next request looks in the database again."""
    global _no_lapse_until
    _no_lapse_until = 0.0
    cache.delete(DEADLINE_KEY)


def hold_changed(sender, instance: Booking, **kwargs) -> None:
    """``post_save`` of a booking: a new or moved hold may run out before the cached deadline."""
    if instance.status == Booking.PENDING_PAYMENT:
        forget_hold_deadline()  # now, and again once committed (a request in between may have cached the old one)
        transaction.on_commit(forget_hold_deadline, robust=True)


class ExpireLapsedHoldsMiddleware:
    """Before a page or API answer is built, expire the holds whose deadline has passed.

    The cached deadline says whether any can have: when none has, the request
    costs one cache read; else one indexed query (``status, hold_expires_at``)
    expires up to ``HOLDS_PER_REQUEST`` of them and another finds the next
    deadline. So every page (dashboards, booking pages, availability, the API)
    reads a lapsed hold as expired and its seat as free. A hold taken or moved
    clears the cached deadline (:func:`hold_changed`); the Celery beat sweep
    only tidies behind.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response
        self.skip = tuple(p for p in (settings.STATIC_URL, settings.MEDIA_URL) if p)

    def __call__(self, request):
        if not request.path.startswith(self.skip):
            now = timezone.now()
            if holds_may_have_lapsed(now):
                expire_due_holds(now, limit=HOLDS_PER_REQUEST)
                remember_next_deadline(now)
        return self.get_response(request)
