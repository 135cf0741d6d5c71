"""Database work of a WebSocket consumer, run off the event loop without queueing behind other sockets."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections


def db(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run ``fn`` (database work) off the event loop.

    On PostgreSQL each call gets a worker thread of its own, so a thousand
    handshakes overlap their queries instead of queueing behind one shared
    thread; SQLite serialises writers anyway, so there the shared thread stays.
    """
    sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
    if sqlite:
        return database_sync_to_async(fn, thread_sensitive=True)

    @functools.wraps(fn)
    def returning_its_connection(*args, **kwargs):
        # Channels' own clean-up runs outside the call's context and missed the
        # connection it used: with the pool, each handshake kept one for good.
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return database_sync_to_async(returning_its_connection, thread_sensitive=False)
