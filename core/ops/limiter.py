"""At most ``WEB_CONCURRENT_REQUESTS`` requests of one process build their answer at once; the rest queue.

Under ASGI every request runs on a thread of its own, so a burst of slow pages
ran dozens at once: each slower than alone (they share one interpreter lock),
each holding a pooled database connection all the while, until requests had
waited 10 s for a connection and got a 503 (README, "Holding a crowd"). With
the views' concurrency below the pool's size, a request waits *before* it
takes a connection, a few connections stay free for the WebSocket consumers
and the analytics writes, and the queue is served roughly in order. Pages
served by the anonymous page cache come before this middleware and never wait.
A request that waited ``WEB_QUEUE_TIMEOUT`` seconds gets a 503 with
``Retry-After``, as one that found no connection did.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

BUSY = "The site is very busy right now; please try again in a few seconds."


class ConcurrencyLimitMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        limit = settings.WEB_CONCURRENT_REQUESTS
        self.slots = threading.BoundedSemaphore(limit) if limit > 0 else None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self.slots is None:
            return self.get_response(request)
        if not self.slots.acquire(timeout=settings.WEB_QUEUE_TIMEOUT):
            return busy(request)
        try:
            return self.get_response(request)
        finally:
            self.slots.release()


def busy(request: HttpRequest) -> HttpResponse:
    from django.views import defaults

    from core.api.errors import api_error

    if request.path.startswith("/api/"):
        response = api_error(503, BUSY, "busy")
    else:
        response = defaults.server_error(request, template_name="503.html")
        response.status_code = 503
    response["Retry-After"] = "5"
    return response
