"""Database work of a WebSocket consumer, run off the event loop without queueing behind other sockets."""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections

#: The threads sockets' database work runs on (the size of asyncio's default pool), started by
#: :func:`start_threads` before a server process serves: a thread started on the event loop stalls
#: it until the thread runs, and in a crowd's first second every process started several.
THREADS = ThreadPoolExecutor(max_workers=min(32, (os.cpu_count() or 1) + 4), thread_name_prefix="socket-db")


def start_threads() -> None:
    """Start every thread of :data:`THREADS` now (each waits until all have started)."""
    count = THREADS._max_workers
    everyone = threading.Barrier(count, timeout=10)
    for started in [THREADS.submit(everyone.wait) for _ in range(count)]:
        started.result()


def db(fn: Callable[..., Any]) -> Callable[..., Awaitable[Any]]:
    """Run ``fn`` (database work) off the event loop.

    On PostgreSQL calls run on :data:`THREADS`, several at once, so handshakes
    overlap their queries instead of queueing behind one shared thread; SQLite
    serialises writers anyway, so there the shared thread stays.
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

    return database_sync_to_async(returning_its_connection, thread_sensitive=False, executor=THREADS)
