"""Channel-layer sends from synchronous code (views, signal receivers, tasks) on one event loop per process.

``async_to_sync(layer.group_send)`` called outside an event loop runs each send
on a new loop in a new thread, and channels-redis keeps its connections per
loop: every push started a thread and opened a Redis connection, 2.5 ms of CPU
(a booking pushes twice, a cancellation too). Here the sends go to one loop that
lives as long as the process, so its connections are reused: 0.26 ms a send.

The in-memory layer (the embedded default, most tests) keeps asyncio queues that
belong to the loop listening on them, so it is still called through
``async_to_sync``, which runs the send on that loop when there is one.
"""

from __future__ import annotations

import asyncio
import os
import threading
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

#: The longest a request waits for the channel layer to take a message (Redis not answering).
SEND_TIMEOUT = 5.0

_lock = threading.Lock()
_loop: tuple[int, asyncio.AbstractEventLoop] | None = None


def group_send(group: str, event: dict[str, Any]) -> None:
    """Send ``event`` to every socket in ``group``; nothing without a channel layer.

    Raises what the layer raises, and :class:`TimeoutError` after :data:`SEND_TIMEOUT`:
    callers decide whether a failed push fails their work (they log it and carry on).
    """
    layer = get_channel_layer()
    if layer is None:
        return
    if isinstance(layer, InMemoryChannelLayer):
        async_to_sync(layer.group_send)(group, event)
        return
    future = asyncio.run_coroutine_threadsafe(layer.group_send(group, event), _process_loop())
    try:
        future.result(timeout=SEND_TIMEOUT)
    except FutureTimeout:
        future.cancel()
        raise TimeoutError(f"the channel layer took no message for {group} in {SEND_TIMEOUT:.0f} s") from None


def _process_loop() -> asyncio.AbstractEventLoop:
    """This process's send loop, started on first use (a forked child, such as a Celery worker, starts its own)."""
    global _loop
    with _lock:
        if _loop is None or _loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="channel-layer-sends", daemon=True).start()
            _loop = (os.getpid(), loop)
        return _loop[1]
