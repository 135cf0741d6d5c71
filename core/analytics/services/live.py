"""The dashboard's live tiles and their push to every open ``ws/dashboard/`` socket.

The tiles are read from the operational tables (bookings, sessions, the
ledger), not from the buffered log, so a tile is right the moment the change
commits. "Today" is the UTC day.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from core.ops.group_send import group_send
from core.payments.models import LedgerEntry
from core.scheduling.currency import format_money
from core.scheduling.models import Booking, Session

logger = logging.getLogger("peerlearn.analytics")

GROUP = "analytics-dashboard"
PUSH_WINDOW_SECONDS = 1
LEADING_KEY = "analytics:tiles:pushed"
TRAILING_KEY = "analytics:tiles:due"
WATCHED_KEY = "analytics:tiles:watched"
#: How long an open dashboard counts as watching after it last spoke (its page pings every 30 s).
WATCH_SECONDS = 90


def day_start(now: datetime) -> datetime:
    return datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)


def live_tiles(now: datetime | None = None) -> dict[str, Any]:
    """Bookings made today, sessions in progress now, and today's revenue per currency (net of refunds)."""
    now = now or timezone.now()
    start = day_start(now)
    revenue_rows = (
        LedgerEntry.objects.filter(kind__in=LedgerEntry.CASH_KINDS, created_at__gte=start, created_at__lte=now)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .order_by("currency")
    )
    revenue = [
        {
            "currency": row["currency"],
            "amount_minor": int(row["total"] or 0),
            "label": format_money(int(row["total"] or 0), row["currency"]),
        }
        for row in revenue_rows
    ]
    return {
        "bookings_today": Booking.objects.filter(created_at__gte=start, created_at__lte=now).count(),
        "sessions_in_progress": Session.objects.filter(status=Session.IN_PROGRESS).count(),
        "revenue_today": revenue,
        "as_of": now.isoformat(),
    }


def push_tiles() -> None:
    """Send fresh tiles to every open dashboard; a dead channel layer is logged, never raised."""
    try:
        group_send(GROUP, {"type": "tiles", "tiles": live_tiles()})
    except Exception:
        logger.exception("could not push the dashboard tiles")


def watched() -> None:
    """An open dashboard socket connected or spoke: changes are pushed for the next ``WATCH_SECONDS``."""
    cache.set(WATCHED_KEY, 1, timeout=WATCH_SECONDS)


def push_tiles_soon() -> None:
    """Push once the current transaction commits (at once outside one), at most once a second."""
    transaction.on_commit(push_tiles_coalesced, robust=True)


def push_tiles_coalesced() -> None:
    """The first change of a second pushes at once; the rest of that second share one push a second later.

    A crowd books several seats a second and each push reads three tables: the
    tiles stay at most a second behind, and the later push, from the worker,
    reads every change made before it. Without the cache (Redis down) nothing is
    pushed: the sockets ride on the same Redis, and a reconnecting dashboard
    asks for the tiles again. Where tasks run in-process (the embedded default)
    every change pushes: a countdown cannot wait there, and there is no crowd.
    With no dashboard open (none connected or pinged within ``WATCH_SECONDS``) nothing
    is read or pushed: a dashboard that opens asks for the tiles as it connects.
    """
    from core.analytics.tasks import push_live_tiles

    if not cache.get(WATCHED_KEY):
        return
    if push_live_tiles.app.conf.task_always_eager or cache.add(LEADING_KEY, 1, timeout=PUSH_WINDOW_SECONDS):
        push_tiles()
    elif cache.add(TRAILING_KEY, 1, timeout=PUSH_WINDOW_SECONDS):
        push_live_tiles.apply_async(countdown=PUSH_WINDOW_SECONDS)
