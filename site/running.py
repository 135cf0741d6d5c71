"""At most ``WEB_RUNNING_REQUESTS`` requests of one process count as running at once; the others
wait on the event loop, visitors' pages ahead of signed-in work.

Every request of a server process runs on a thread of its own, and all of them share the one
interpreter lock with the event loop, which reads and writes every connection of the process.
In a burst (a crowd arriving, fifty users a second with cold pages) a dozen threads took turns
on the lock: each round trip to Redis or PostgreSQL waited for the lock again, and a WebSocket
handshake, a few milliseconds alone, took 50-290 ms. A request waiting here runs no thread and
asks nothing of the lock; a visitor's page (no session, no token: almost always served from
the cache in a millisecond) is let in before the signed-in requests waiting with it, though
never more than :data:`VISITORS_IN_A_ROW` of them while another waits. Health checks never wait.

The turn is taken once the request's body is read (a slow upload holds none) and before
anything runs on the request's thread, ``request_started`` included (a waiting request has
started no thread: starting one stalls the event loop until it runs); a client that hangs up
while waiting is not served.

A request holds its turn for :data:`TURN_SECONDS` at most: one still running then (waiting for a
payment provider, say) stops counting, so slow calls elsewhere never hold up the process.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import get_script_prefix
from django.http import parse_cookie

from core.health.middleware import LIVENESS_PATH, READINESS_PATH
from core.pages.cache import visitor_asks

#: How long a running request counts against the limit.
TURN_SECONDS = 2.0
#: Visitors let in one after the other while a signed-in request waits, before it gets its turn.
VISITORS_IN_A_ROW = 4
#: Answered before any middleware that could wait (core.health): a load balancer must always get through.
UNLIMITED_PATHS = frozenset({LIVENESS_PATH, READINESS_PATH})


class RunningLimit:
    """Turns to run, handed to waiting visitors first (at most :data:`VISITORS_IN_A_ROW` while others
    wait), then to the others, each in the order they came. Used from the event loop's thread only."""

    def __init__(self, limit: int) -> None:
        self.free = limit
        self.waiting: tuple[deque[asyncio.Future], deque[asyncio.Future]] = (deque(), deque())
        self.visitors_in_a_row = 0

    def try_acquire(self) -> bool:
        """Take a free turn if no one is waiting for one."""
        if self.free > 0 and not (self.waiting[0] or self.waiting[1]):
            self.free -= 1
            return True
        return False

    async def acquire(self, first: bool) -> None:
        if self.try_acquire():
            return
        turn = asyncio.get_running_loop().create_future()
        queue = self.waiting[0 if first else 1]
        queue.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.release()  # handed this turn just as the request went away: pass it on
            elif turn in queue:
                queue.remove(turn)
            raise

    def release(self) -> None:
        visitors, others = self.waiting
        order = (others, visitors) if self.visitors_in_a_row >= VISITORS_IN_A_ROW else (visitors, others)
        for queue in order:
            while queue:
                turn = queue.popleft()
                if not turn.done():
                    self.visitors_in_a_row = self.visitors_in_a_row + 1 if queue is visitors else 0
                    turn.set_result(None)
                    return
        self.visitors_in_a_row = 0
        self.free += 1


class Turn:
    """One request's turn, given back once: when it ends, or after :data:`TURN_SECONDS` if sooner."""

    def __init__(self, limit: RunningLimit) -> None:
        self.limit, self.held = limit, True
        self.timer = asyncio.get_running_loop().call_later(TURN_SECONDS, self.give_back)

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.timer.cancel()
            self.limit.release()


class Turns:
    """The running limit of one server process, taken by a request once its body is read (:meth:`take`)."""

    def __init__(self, limit: int) -> None:
        self.limit = RunningLimit(limit)

    async def take(self, scope: dict, receive: Callable[[], Awaitable[dict]]) -> Turn | None:
        """Wait for a turn; ``None`` for a health check. Raises ``RequestAborted`` if the client hangs up meanwhile.

        Taken after the body is read, so a slow upload holds no turn, and before anything runs on the
        request's thread, so a waiting request has not started one.
        """
        if _path_info(scope) in UNLIMITED_PATHS:
            return None
        if self.limit.try_acquire():
            return Turn(self.limit)
        hang_up = asyncio.ensure_future(receive())  # after the whole body only ``http.disconnect`` can come
        waiting = asyncio.ensure_future(self.limit.acquire(_visitor(scope)))
        try:
            await asyncio.wait((waiting, hang_up), return_when=asyncio.FIRST_COMPLETED)
        except BaseException:
            hang_up.cancel()
            self._drop(waiting)
            raise
        if hang_up.done():  # gone, even if the turn came in the same instant
            if not hang_up.cancelled():
                hang_up.exception()  # retrieved: a failed receive means the client is gone too
            self._drop(waiting)
            raise RequestAborted
        hang_up.cancel()
        waiting.result()
        return Turn(self.limit)

    def _drop(self, waiting: asyncio.Future) -> None:
        """Stop waiting for a turn, passing it on if it was handed over already."""
        if not waiting.done():
            waiting.cancel()  # RunningLimit.acquire passes on a turn handed over in the same instant
        elif not waiting.cancelled() and waiting.exception() is None:
            self.limit.release()


def _path_info(scope: dict) -> str:
    """The path as the request will have it (``path_info``, without a script prefix or a trailing slash)."""
    return scope["path"].removeprefix(get_script_prefix(scope)).rstrip("/")


def _visitor(scope: dict) -> bool:
    headers = scope.get("headers", ())
    cookies = "; ".join(value.decode("latin-1") for name, value in headers if name == b"cookie")
    authorized = any(name == b"authorization" for name, _ in headers)
    return visitor_asks(scope.get("method"), authorized, parse_cookie(cookies))
