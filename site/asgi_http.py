"""Django's ASGI handler for HTTP, running each request's middleware chain and view on a reused thread.

Django's own ``ASGIHandler`` does two costly things per request, both measured
with py-spy under ``bench.load`` (README, "Holding a crowd"):

* It builds the middleware chain in async mode. Every middleware built on
  ``MiddlewareMixin`` is async-capable, so a request crossed between the event
  loop and its thread at each boundary between sync-only and async-capable
  middleware, and again for the view and for each ``process_response``: six
  hops into a thread and one back (counted in ``tests/site/test_asgi_http.py``),
  each waiting for a busy loop. All of PeerLearn's middleware and HTTP views are
  synchronous, so the chain is built in sync mode, as WSGI does, and entered once.
* It gives each request a new single-thread executor (``ThreadSensitiveContext``):
  a new thread started on the event loop, which waits until the thread runs,
  and another thread to join it at the end. Under load the loop stalled there
  (two thirds of its samples) and every request on the worker waited with it.
  Here each request borrows a single-thread executor from a pool and gives it
  back: threads live on, like a WSGI server's.

Thread-sensitive code of one request (``request_started`` and
``request_finished`` receivers, the chain, ``response.close()``) still runs on
one thread, so the pooled database connection goes back from the thread that
took it.
"""

from __future__ import annotations

import sys
from concurrent.futures import Executor, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler

if TYPE_CHECKING:  # imported with the chain: the running limit reads models, loaded after django.setup()
    from .running import Turn

#: Idle request threads kept per process; more are started while more requests run at once.
IDLE_THREADS_KEPT = 64


class RequestThreads:
    """Single-thread executors lent to requests, one at a time each (used from the event loop's thread only)."""

    def __init__(self, keep: int = IDLE_THREADS_KEPT) -> None:
        self.keep = keep
        self.idle: list[ThreadPoolExecutor] = []

    def borrow(self) -> ThreadPoolExecutor:
        return self.idle.pop() if self.idle else _one_thread()

    def start(self, count: int) -> None:
        """Start ``count`` threads before the first request (a thread started on the event loop stalls it)."""
        started = [_one_thread() for _ in range(count)]
        for executor in started:
            executor.submit(int).result()
        self.idle.extend(started)

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self.idle) < self.keep:
            self.idle.append(executor)
        else:
            executor.shutdown(wait=False)


def _one_thread() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")


class LentThread(Executor):
    """A request's thread, borrowed on its first use (once the request has its turn) and given back at its end.

    A request waiting for its turn holds none: the threads started before serving go to the
    requests that run, and a crowd waiting on the event loop makes no new ones.
    """

    def __init__(self, threads: RequestThreads) -> None:
        self.threads = threads
        self.executor: ThreadPoolExecutor | None = None

    def submit(self, fn, /, *args, **kwargs):
        if self.executor is None:
            self.executor = self.threads.borrow()
        return self.executor.submit(fn, *args, **kwargs)

    def give_back(self) -> None:
        if self.executor is not None:
            self.threads.give_back(self.executor)
            self.executor = None


class SyncChainASGIHandler(ASGIHandler):
    """``ASGIHandler`` whose middleware chain is built as for WSGI, entered with one hop on a reused thread."""

    def __init__(self) -> None:
        super().__init__()
        self.threads = RequestThreads()

    def load_middleware(self, is_async: bool = False) -> None:
        from django.conf import settings

        from .running import Turns

        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)
        self.turns = Turns(settings.WEB_RUNNING_REQUESTS) if settings.WEB_RUNNING_REQUESTS > 0 else None

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)
        thread = LentThread(self.threads)
        request = _Request(scope)
        token = _request.set(request)
        try:
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            _request.reset(token)
            if request.turn:
                request.turn.give_back()
            thread.give_back()

    async def read_body(self, receive):
        """The body, then the request's turn to run (``WEB_RUNNING_REQUESTS``, :mod:`peerlearn.running`).

        Everything after this runs on the request's thread (``request_started``, the chain, the
        response's end), so a request waiting for its turn has started no thread.
        """
        body = await super().read_body(receive)
        if self.turns is not None:
            request = _request.get()
            try:
                request.turn = await self.turns.take(request.scope, receive)
            except BaseException:
                body.close()
                raise
        return body


@dataclass
class _Request:
    """What the handler keeps of the request it is serving between ``__call__`` and ``read_body``."""

    scope: dict
    turn: Turn | None = None


_request: ContextVar[_Request] = ContextVar("peerlearn_request")


def get_asgi_application() -> SyncChainASGIHandler:
    """Like ``django.core.asgi.get_asgi_application``, with the one-hop handler."""
    django.setup(set_prefix=False)
    share_the_interpreter_sooner()
    return SyncChainASGIHandler()


def share_the_interpreter_sooner() -> None:
    """Hand the interpreter lock to a waiting thread after ``WEB_SWITCH_INTERVAL_MS``, not Python's 5 ms.

    A request thread whose query has answered waits for the lock until the thread holding it
    (rendering a page, the event loop) lets go: up to the switch interval, at every query, and a
    booking makes about 40. Under the load benchmark 1 ms instead of 5 ms took 15-25 % off the
    signed-in requests' p50 and p95 (README, "Holding a crowd", fourth look).
    """
    from django.conf import settings

    if settings.WEB_SWITCH_INTERVAL_MS > 0:
        sys.setswitchinterval(settings.WEB_SWITCH_INTERVAL_MS / 1000)
