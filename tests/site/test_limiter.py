"""core/ops/limiter.py: at most WEB_CONCURRENT_REQUESTS requests of a process hold a database connection at
once; a request waits for its turn before its first query, one answered without a query never waits."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import path
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from core.api import errors as api_errors
from core.ops import limiter
from core.ops.limiter import ConcurrencyLimitMiddleware, wait_for_slot

entered, release = threading.Event(), threading.Event()


def hold(request):
    """Takes its turn (as its first query would), then keeps it until the test lets go."""
    wait_for_slot()
    entered.set()
    release.wait(5)
    return HttpResponse("held")


def kept(request):
    """Answered from kept parts: no query, so no turn."""
    return HttpResponse("kept")


def query(request):
    wait_for_slot()
    return HttpResponse("queried")


@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def api_query(request):
    wait_for_slot()
    return Response({"ok": True})


urlpatterns = [
    path("hold/", hold),
    path("kept/", kept),
    path("query/", query),
    path("api/query/", api_query),
]
handler500 = api_errors.handler500


@pytest.fixture
def one_slot(settings, db):
    settings.ROOT_URLCONF = __name__
    settings.WEB_CONCURRENT_REQUESTS = 1
    settings.WEB_QUEUE_TIMEOUT = 0.2
    entered.clear()
    release.clear()
    client = Client(raise_request_exception=False)
    holder = threading.Thread(target=client.get, args=("/hold/",))
    holder.start()
    assert entered.wait(5)
    yield client
    release.set()
    holder.join(5)


def test_an_answer_without_a_query_never_waits_for_a_turn(one_slot):
    assert one_slot.get("/kept/").content == b"kept"


def test_a_request_that_needs_a_connection_waits_its_turn_then_gets_503(one_slot):
    page = one_slot.get("/query/")
    assert (page.status_code, page["Retry-After"]) == (503, "5")
    api = one_slot.get("/api/query/")
    assert (api.status_code, api["Retry-After"]) == (503, "5")
    assert json.loads(api.content) == {"detail": limiter.BUSY, "code": "busy"}


def test_the_turn_comes_back_when_the_answer_is_built(one_slot):
    release.set()
    for _ in range(3):  # each request takes the one slot and gives it back
        assert one_slot.get("/query/").content == b"queried"


def test_no_turn_outside_a_request_and_no_limit_without_a_pool(settings):
    wait_for_slot()  # a task, a socket, a job run after the answer: nothing to wait for
    settings.WEB_CONCURRENT_REQUESTS = 0
    middleware = ConcurrencyLimitMiddleware(lambda request: HttpResponse("ok"))
    assert middleware.slots is None
    assert middleware(RequestFactory().get("/")).content == b"ok"


@pytest.mark.realstack
@pytest.mark.django_db
def test_the_postgresql_backend_takes_the_turn_before_it_borrows_a_connection(settings):
    if not connection.pool:
        pytest.skip("the turn is taken for pooled connections only")
    settings.WEB_CONCURRENT_REQUESTS = 1
    settings.WEB_QUEUE_TIMEOUT = 0.2
    held, done = threading.Event(), threading.Event()
    answers: dict[str, object] = {}

    def first_query(name):
        def view(request):
            try:
                with connection.cursor() as cursor:  # this thread's first query: a new pooled connection
                    cursor.execute("SELECT 1")
                answers[name] = "queried"
                if name == "holder":
                    held.set()
                    done.wait(5)
            except limiter.Busy:
                answers[name] = "busy"
            finally:
                connection.close()  # back to the pool
            return HttpResponse()

        return view

    middleware = ConcurrencyLimitMiddleware(lambda request: first_query(request.path.strip("/"))(request))
    holder = threading.Thread(target=middleware, args=(RequestFactory().get("/holder/"),))
    holder.start()
    assert held.wait(5)
    other = threading.Thread(target=middleware, args=(RequestFactory().get("/other/"),))
    other.start()
    other.join(5)
    done.set()
    holder.join(5)
    assert answers == {"holder": "queried", "other": "busy"}


def test_slots_go_to_the_longest_waiter_first():
    slots = limiter.Slots(1)
    assert slots.acquire(timeout=0)
    order: list[int] = []
    waiting = []
    for n in range(3):
        thread = threading.Thread(target=lambda n=n: slots.acquire(timeout=5) and order.append(n))
        thread.start()
        waiting.append(thread)
        while len(slots._waiters) < n + 1:  # queued in this order
            threading.Event().wait(0.001)
    assert not slots.acquire(timeout=0.05)  # a newcomer does not go ahead of them
    for thread in waiting:
        slots.release()
        thread.join(5)
    assert order == [0, 1, 2]
    slots.release()
    assert slots.acquire(timeout=0)  # the last slot given back is free again
