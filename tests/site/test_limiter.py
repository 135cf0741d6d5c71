"""core/ops/limiter.py: a process builds at most WEB_CONCURRENT_REQUESTS answers at once; the rest queue."""

from __future__ import annotations

import json
import threading

from django.http import HttpResponse
from django.test import RequestFactory

from core.ops.limiter import ConcurrencyLimitMiddleware


def test_requests_past_the_limit_wait_their_turn_then_get_503(settings, db):
    settings.WEB_CONCURRENT_REQUESTS = 1
    settings.WEB_QUEUE_TIMEOUT = 0.2
    entered, release = threading.Event(), threading.Event()

    def view(request):
        if request.path == "/slow/":
            entered.set()
            release.wait(5)
        return HttpResponse("done")

    middleware = ConcurrencyLimitMiddleware(view)
    factory = RequestFactory()
    slow = threading.Thread(target=middleware, args=(factory.get("/slow/"),))
    slow.start()
    assert entered.wait(5)
    page = middleware(factory.get("/mentors/"))
    api = middleware(factory.get("/api/sessions/"))
    assert (page.status_code, page["Retry-After"]) == (503, "5")
    assert api.status_code == 503 and json.loads(api.content)["code"] == "busy"
    release.set()
    slow.join(5)
    assert middleware(factory.get("/mentors/")).content == b"done"  # the slot came back


def test_no_limit_without_a_pool(settings):
    settings.WEB_CONCURRENT_REQUESTS = 0
    middleware = ConcurrencyLimitMiddleware(lambda request: HttpResponse("ok"))
    assert middleware.slots is None
    assert middleware(RequestFactory().get("/")).content == b"ok"
