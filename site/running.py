"""At most ``WEB_RUNNING_REQUESTS`` requests of one process count as running their middleware and view
at once; the others wait on the event loop, visitors' pages ahead of signed-in work.

Every request of a server process runs on a thread of its own, and all of them share the one
interpreter lock with the event loop, which reads and writes every connection of the process.
In a burst (a crowd arriving, fifty users a second with cold pages) a dozen threads took turns
on the lock: each round trip to Redis or PostgreSQL waited for the lock again, and a WebSocket
handshake, a few milliseconds alone, took 50-290 ms. A request waiting here runs no thread and
asks nothing of the lock; a visitor's page (no session, no token: almost always served from
the cache in a millisecond) is let in before the signed-in requests waiting with it, though
never more than :data:`VISITORS_IN_A_ROW` of them while another waits. Health checks never wait.

A request holds its turn for :data:`TURN_SECONDS` at most: one still running then (waiting for a
payment provider, say) stops counting, so slow calls elsewhere never hold up the process.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from django.http import HttpRequest, HttpResponse

from core.health.middleware import LIVENESS_PATH, READINESS_PATH
from core.pages.cache import is_visitor

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

    async def acquire(self, first: bool) -> None:
        if self.free > 0 and not (self.waiting[0] or self.waiting[1]):
            self.free -= 1
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


class _Turn:
    """One request's turn, given back once: when it ends, or after :data:`TURN_SECONDS` if sooner."""

    def __init__(self, limit: RunningLimit) -> None:
        self.limit, self.held = limit, True

    def give_back(self) -> None:
        if self.held:
            self.held = False
            self.limit.release()


def limited(
    chain: Callable[[HttpRequest], Awaitable[HttpResponse]], limit: int
) -> Callable[[HttpRequest], Awaitable[HttpResponse]]:
    """``chain`` (the middleware chain, on its thread) run under a :class:`RunningLimit` of ``limit``."""
    turns = RunningLimit(limit)

    async def run(request: HttpRequest) -> HttpResponse:
        if request.path_info in UNLIMITED_PATHS:
            return await chain(request)
        await turns.acquire(first=is_visitor(request))
        turn = _Turn(turns)
        timer = asyncio.get_running_loop().call_later(TURN_SECONDS, turn.give_back)
        try:
            return await chain(request)
        finally:
            timer.cancel()
            turn.give_back()

    run.turns = turns  # type: ignore[attr-defined] - for tests
    return run
