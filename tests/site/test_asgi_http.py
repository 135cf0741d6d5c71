"""HTTP under ASGI: the middleware chain and the view run on one thread, entered once from the event loop."""

from __future__ import annotations

import threading

import pytest
from asgiref import sync
from asgiref.testing import ApplicationCommunicator
from django.core.signals import request_finished
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path
from django.utils.deprecation import MiddlewareMixin
from peerlearn.asgi_http import SyncChainASGIHandler

seen: list[tuple[str, int]] = []


class Recording(MiddlewareMixin):
    """Async-capable, like most of Django's middleware: Django's own handler runs its hooks on the event loop's side."""

    def process_request(self, request):
        seen.append(("process_request", threading.get_ident()))

    def process_response(self, request, response):
        seen.append(("process_response", threading.get_ident()))
        return response


def sync_only(get_response):
    def middleware(request):
        seen.append(("sync middleware", threading.get_ident()))
        return get_response(request)

    return middleware


def view(request):
    seen.append(("view", threading.get_ident()))
    return HttpResponse("made in one thread")


together = threading.Barrier(5, timeout=5)


def waits_for_four_others(request):
    together.wait()  # only returns if five requests run at once, each on its own thread
    seen.append(("view", threading.get_ident()))
    return HttpResponse("together")


def broken(request):
    raise ValueError("a view that fails")


urlpatterns = [path("one-thread/", view), path("together/", waits_for_four_others), path("broken/", broken)]


def finished(**kwargs):
    seen.append(("request_finished", threading.get_ident()))


async def get(handler, url: str) -> tuple[int, bytes]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http"}
    scope |= {"path": url, "raw_path": url.encode(), "query_string": b"", "root_path": ""}
    scope |= {"headers": [(b"host", b"testserver")], "server": ("testserver", 80), "client": ("127.0.0.1", 1)}
    app = ApplicationCommunicator(handler, scope)
    await app.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await app.receive_output(5)
    body = await app.receive_output(5)
    await app.wait(5)
    return start["status"], body["body"]


@pytest.mark.asyncio
@override_settings(
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[f"{__name__}.Recording", f"{__name__}.sync_only", f"{__name__}.Recording"],
    DEBUG_PROPAGATE_EXCEPTIONS=False,
)
async def test_chain_view_and_request_end_share_one_thread(monkeypatch):
    seen.clear()
    hops = {"into a thread": 0, "back to the loop": 0}

    def counting(original, name):
        def call(self, *args, **kwargs):
            hops[name] += 1
            return original(self, *args, **kwargs)

        return call

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counting(sync.SyncToAsync.__call__, "into a thread"))
    monkeypatch.setattr(sync.AsyncToSync, "__call__", counting(sync.AsyncToSync.__call__, "back to the loop"))
    request_finished.connect(finished)
    try:
        status, body = await get(SyncChainASGIHandler(), "/one-thread/")
    finally:
        request_finished.disconnect(finished)
    # request_started's receivers, the chain, response.close() (request_finished): Django's own
    # handler makes 6 hops into a thread and 1 back to the loop for this chain.
    assert hops == {"into a thread": 3, "back to the loop": 0}
    assert (status, body) == (200, b"made in one thread")
    steps = [step for step, _ in seen]
    assert steps == [
        "process_request",
        "sync middleware",
        "process_request",
        "view",
        "process_response",
        "process_response",
        "request_finished",
    ]
    assert len({thread for _, thread in seen}) == 1, seen  # Django's own handler: the loop's thread and others


@pytest.mark.asyncio
@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[f"{__name__}.Recording"], DEBUG=False)
async def test_a_failing_view_is_a_500_page_not_a_crash():
    status, _ = await get(SyncChainASGIHandler(), "/broken/")
    assert status == 500


@pytest.mark.asyncio
@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], WEB_RUNNING_REQUESTS=0)  # five at once: no running limit
async def test_requests_reuse_threads_and_still_run_at_once():
    """Django's handler starts (and joins) a new thread per request; here threads are lent and kept."""
    import asyncio

    handler = SyncChainASGIHandler()
    seen.clear()
    for _ in range(3):
        assert await get(handler, "/one-thread/") == (200, b"made in one thread")
    assert len({thread for _, thread in seen}) == 1 and len(handler.threads.idle) == 1

    seen.clear()
    answers = await asyncio.gather(*(get(handler, "/together/") for _ in range(5)))
    assert answers == [(200, b"together")] * 5
    assert len({thread for _, thread in seen}) == 5
    assert len(handler.threads.idle) == 5


@pytest.mark.parametrize(("setting", "expected"), [(1, 0.001), (0.5, 0.0005), (0, 0.005)])
def test_a_server_process_hands_the_interpreter_over_sooner(setting, expected):
    """WEB_SWITCH_INTERVAL_MS sets the interpreter's switch interval; 0 leaves Python's own (5 ms)."""
    import sys

    from peerlearn.asgi_http import get_asgi_application

    before = sys.getswitchinterval()
    sys.setswitchinterval(0.005)
    try:
        with override_settings(WEB_SWITCH_INTERVAL_MS=setting):
            get_asgi_application()
            assert sys.getswitchinterval() == pytest.approx(expected)
    finally:
        sys.setswitchinterval(before)
