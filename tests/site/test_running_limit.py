"""At most ``WEB_RUNNING_REQUESTS`` requests of a process run at once (peerlearn/running.py); the rest wait on
the event loop without a thread, and a visitor's page gets the next turn before signed-in work."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from asgiref.testing import ApplicationCommunicator
from django.core.exceptions import RequestAborted
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path
from peerlearn import running as running_module
from peerlearn.asgi_http import SyncChainASGIHandler
from peerlearn.running import RunningLimit, Turns

pytestmark = pytest.mark.asyncio

_lock = threading.Lock()
running = {"now": 0, "most": 0}


pairs = threading.Barrier(2, timeout=5)


def busy(request):
    with _lock:
        running["now"] += 1
        running["most"] = max(running["most"], running["now"])
    pairs.wait()  # two run together, or this times out (a third would be let in while two wait here)
    time.sleep(0.02)
    with _lock:
        running["now"] -= 1
    return HttpResponse("done")


finished: list[str] = []
slow_may_end = threading.Event()


def slow(request):
    slow_may_end.wait(5)  # a call to a provider that hangs: ends when the quick request is answered
    finished.append("slow")
    return HttpResponse("slow")


def quick(request):
    finished.append("quick")
    slow_may_end.set()
    return HttpResponse("quick")


def healthz(request):
    return HttpResponse("ok")


urlpatterns = [path("busy/", busy), path("slow/", slow), path("quick/", quick), path("healthz", healthz)]


def scope_of(url: str, headers: list[tuple[bytes, bytes]] = ()) -> dict:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http"}
    scope |= {"path": url, "raw_path": url.encode(), "query_string": b"", "root_path": ""}
    return scope | {
        "headers": [(b"host", b"testserver"), *headers],
        "server": ("testserver", 80),
        "client": ("127.0.0.1", 1),
    }


async def get(handler, url: str, headers: list[tuple[bytes, bytes]] = ()) -> int:
    app = ApplicationCommunicator(handler, scope_of(url, headers))
    await app.send_input({"type": "http.request", "body": b"", "more_body": False})
    start = await app.receive_output(5)
    await app.receive_output(5)
    await app.wait(5)
    return start["status"]


@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], WEB_RUNNING_REQUESTS=2)
async def test_no_more_than_the_limit_run_at_once_and_all_are_answered():
    running.update(now=0, most=0)
    handler = SyncChainASGIHandler()
    signed_in = [(b"cookie", b"sessionid=abc")]
    answers = await asyncio.gather(*(get(handler, "/busy/", signed_in if n % 2 else []) for n in range(6)))
    assert answers == [200] * 6
    assert running["most"] == 2


@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], WEB_RUNNING_REQUESTS=1)
async def test_a_request_that_runs_long_stops_holding_its_turn(monkeypatch):
    monkeypatch.setattr(running_module, "TURN_SECONDS", 0.05)
    finished.clear()
    slow_may_end.clear()
    handler = SyncChainASGIHandler()
    turns = handler.turns.limit
    hung = asyncio.create_task(get(handler, "/slow/"))
    await asyncio.sleep(0.01)
    answered = asyncio.create_task(get(handler, "/quick/"))
    await asyncio.sleep(0.01)
    assert finished == [] and len(turns.waiting[0]) == 1, "the quick request waits for the slow one's turn"
    assert await answered == 200  # without the turn's end it waited for the slow one: 5 s
    assert await hung == 200
    assert finished == ["quick", "slow"]


@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], WEB_RUNNING_REQUESTS=1)
async def test_a_request_waiting_for_its_turn_has_started_no_thread(monkeypatch):
    """Only a request with a turn runs anything on its thread (``request_started`` included): a crowd
    waiting on the event loop starts no threads (starting one stalled the loop, README "Holding a crowd")."""
    finished.clear()
    slow_may_end.clear()
    handler = SyncChainASGIHandler()
    lent = []
    borrow = handler.threads.borrow
    monkeypatch.setattr(handler.threads, "borrow", lambda: lent.append(borrow()) or lent[-1])
    hung = asyncio.create_task(get(handler, "/slow/"))
    await asyncio.sleep(0.01)
    queued = [asyncio.create_task(get(handler, "/quick/", [(b"cookie", b"sessionid=abc")])) for _ in range(3)]
    await asyncio.sleep(0.05)
    assert len(handler.turns.limit.waiting[1]) == 3
    assert len(lent) == 1 and lent[0]._threads, "only the running request has a thread; those waiting borrowed none"
    slow_may_end.set()
    assert await asyncio.gather(hung, *queued) == [200] * 4


@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], WEB_RUNNING_REQUESTS=1)
async def test_a_client_that_hangs_up_while_waiting_is_not_served_and_takes_no_turn():
    finished.clear()
    slow_may_end.clear()
    handler = SyncChainASGIHandler()
    hung = asyncio.create_task(get(handler, "/slow/"))
    await asyncio.sleep(0.01)
    gone = ApplicationCommunicator(handler, scope_of("/quick/"))
    await gone.send_input({"type": "http.request", "body": b"", "more_body": False})
    await asyncio.sleep(0.01)
    assert len(handler.turns.limit.waiting[0]) == 1
    await gone.send_input({"type": "http.disconnect"})
    await gone.wait(5)
    assert not any(handler.turns.limit.waiting)
    slow_may_end.set()
    assert await hung == 200
    assert finished == ["slow"], "the view of the request whose client left never ran"
    assert handler.turns.limit.free == 1


async def test_a_hang_up_that_comes_with_the_turn_wins_and_the_turn_passes_on():
    turns = Turns(1)
    assert await turns.take(scope_of("/quick/"), receive=None) is not None  # free: taken at once
    messages: asyncio.Queue = asyncio.Queue()
    queued = asyncio.create_task(turns.take(scope_of("/quick/"), messages.get))
    await asyncio.sleep(0)
    turns.limit.release()  # the turn is handed over ...
    messages.put_nowait({"type": "http.disconnect"})  # ... in the same instant the client hangs up
    with pytest.raises(RequestAborted):
        await queued
    assert turns.limit.free == 1 and not any(turns.limit.waiting)


async def test_a_request_cancelled_while_waiting_leaves_no_turn_taken_and_no_listener():
    turns = Turns(1)
    await turns.take(scope_of("/quick/"), receive=None)
    listening = asyncio.Event()

    async def receive():
        listening.set()
        await asyncio.Event().wait()  # the client says nothing

    queued = asyncio.create_task(turns.take(scope_of("/quick/"), receive))
    await listening.wait()
    queued.cancel()
    with pytest.raises(asyncio.CancelledError):
        await queued
    await asyncio.sleep(0)
    assert not any(turns.limit.waiting) and turns.limit.free == 0
    turns.limit.release()
    assert turns.limit.free == 1


async def test_health_checks_are_known_behind_a_script_prefix_and_with_a_slash():
    turns = Turns(1)
    await turns.take(scope_of("/quick/"), receive=None)  # the one turn is taken
    for scope in (scope_of("/healthz"), scope_of("/readyz/"), scope_of("/app/healthz") | {"root_path": "/app"}):
        assert await asyncio.wait_for(turns.take(scope, receive=None), 1) is None


async def waiting(limit: RunningLimit, first: bool, got: list[str], name: str) -> None:
    await limit.acquire(first=first)
    got.append(name)


async def test_a_waiting_visitor_goes_before_signed_in_requests_that_came_earlier():
    limit, got = RunningLimit(1), []
    await limit.acquire(first=False)
    tasks = [asyncio.create_task(waiting(limit, False, got, "signed in"))]
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(waiting(limit, True, got, "visitor")))
    await asyncio.sleep(0)
    limit.release()
    await asyncio.sleep(0)
    assert got == ["visitor"]
    limit.release()
    await asyncio.gather(*tasks)
    assert got == ["visitor", "signed in"] and limit.free == 0


async def test_signed_in_requests_are_not_starved_by_a_stream_of_visitors():
    limit, got = RunningLimit(1), []
    await limit.acquire(first=False)
    tasks = [asyncio.create_task(waiting(limit, False, got, "signed in"))]
    tasks += [asyncio.create_task(waiting(limit, True, got, f"visitor {n}")) for n in range(6)]
    await asyncio.sleep(0)
    for _ in range(7):
        limit.release()
        await asyncio.sleep(0)
    await asyncio.gather(*tasks)
    assert got[:5] == ["visitor 0", "visitor 1", "visitor 2", "visitor 3", "signed in"]


@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], WEB_RUNNING_REQUESTS=1)
async def test_a_health_check_never_waits_for_a_turn():
    finished.clear()
    slow_may_end.clear()
    handler = SyncChainASGIHandler()
    hung = asyncio.create_task(get(handler, "/slow/"))  # holds the one turn for 2 s
    await asyncio.sleep(0.01)
    assert await get(handler, "/healthz") == 200
    assert finished == [], "answered while the slow request still held the turn"
    slow_may_end.set()
    assert await hung == 200


async def test_a_request_that_goes_away_while_waiting_leaves_no_turn_taken():
    limit = RunningLimit(1)
    await limit.acquire(first=True)
    gone = asyncio.create_task(limit.acquire(first=False))
    await asyncio.sleep(0)
    gone.cancel()
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert not any(limit.waiting) and limit.free == 0
    limit.release()
    assert limit.free == 1


async def test_a_turn_handed_to_a_request_that_went_away_passes_on():
    limit = RunningLimit(1)
    await limit.acquire(first=True)
    gone = asyncio.create_task(limit.acquire(first=False))
    await asyncio.sleep(0)
    limit.release()  # the turn is handed over ...
    gone.cancel()  # ... as the client hangs up, before the request runs
    with pytest.raises(asyncio.CancelledError):
        await gone
    assert limit.free == 1
