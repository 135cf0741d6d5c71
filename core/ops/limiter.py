"""At most ``WEB_CONCURRENT_REQUESTS`` requests of one process hold a database connection at once; the rest queue.

Under ASGI every request runs on a thread of its own, so a burst of slow pages
ran dozens at once: each slower than alone (they share one interpreter lock),
each holding a pooled database connection all the while, until requests had
waited 10 s for a connection and got a 503 (README, "Holding a crowd"). With
fewer slots than the pool has connections, a request waits *before* it takes a
connection, a few connections stay free for the WebSocket consumers and the
analytics writes, and the queue is served roughly in order.

A request takes its slot when it first needs a connection (the backend in
:mod:`core.ops.postgresql` calls :func:`wait_for_slot` before it borrows one from
the pool), not when it arrives, and gives it back when its answer is built.
An answer made from kept parts alone (the session list or recommendations with
an API token, a kept page) never queues behind the bookings and rebuilt pages
that hold the slots: under the load benchmark those cheap answers had waited
100 ms on average and 700 ms at p95 for a slot they did not need. Pages served by the anonymous
page cache come before this middleware and never wait either. A request that
waited ``WEB_QUEUE_TIMEOUT`` seconds gets a 503 with ``Retry-After``.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

BUSY = "The site is very busy right now; please try again in a few seconds."
#: Seconds a client is told to wait before it tries again.
RETRY_AFTER = 5


class Busy(Exception):
    """No slot came free within ``WEB_QUEUE_TIMEOUT``: the request is answered 503 (:func:`busy`)."""

    def __init__(self) -> None:
        super().__init__(BUSY)


class Slots:
    """Slots served in the order requests asked for them: a slot given back goes to the longest waiter.

    A semaphore lets a request that has just arrived take a slot before those already
    waiting for it (whichever thread runs first wins), so under a crowd a few waited
    until they timed out while newer ones went ahead.
    """

    def __init__(self, count: int) -> None:
        self._free = count
        self._lock = threading.Lock()
        self._waiters: deque[threading.Event] = deque()

    def acquire(self, timeout: float) -> bool:
        with self._lock:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            turn = threading.Event()
            self._waiters.append(turn)
        if turn.wait(timeout):
            return True
        with self._lock:
            if turn.is_set():  # handed over just as the wait ran out
                return True
            self._waiters.remove(turn)
            return False

    def release(self) -> None:
        with self._lock:
            if self._waiters:
                self._waiters.popleft().set()  # the slot passes straight to the longest waiter
            else:
                self._free += 1


@dataclass
class _Turn:
    """One request's claim on its process's slots: ``held`` once it has taken one."""

    slots: Slots
    held: bool = False


_current = threading.local()


class ConcurrencyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        limit = settings.WEB_CONCURRENT_REQUESTS
        self.slots = Slots(limit) if limit > 0 else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.slots is None:
            return self.get_response(request)
        outer = getattr(_current, "turn", None)  # a request answered inside another (rare) keeps its own turn
        turn = _current.turn = _Turn(self.slots)
        try:
            return self.get_response(request)
        finally:
            _current.turn = outer
            if turn.held:
                self.slots.release()


def wait_for_slot() -> None:
    """Take this request's slot before it takes a database connection (once per request; a no-op
    outside one, for sockets, tasks and code run after the answer). Raises :class:`Busy`."""
    turn = getattr(_current, "turn", None)
    if turn is None or turn.held:
        return
    if not turn.slots.acquire(timeout=settings.WEB_QUEUE_TIMEOUT):
        raise Busy()
    turn.held = True


def busy(request: HttpRequest) -> HttpResponse:
    """The 503 of a request that found no slot: JSON under ``/api/``, the 503 page elsewhere."""
    from django.views import defaults

    from core.api.errors import api_error

    if request.path.startswith("/api/"):
        response = api_error(503, BUSY, "busy")
    else:
        response = defaults.server_error(request, template_name="503.html")
        response.status_code = 503
    response["Retry-After"] = str(RETRY_AFTER)
    return response
