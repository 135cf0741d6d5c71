"""Work marked to run after the answer: outside a request at once; inside one once the response is closed."""

from __future__ import annotations

import logging

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from core.ops.after_response import AfterResponseMiddleware, after_response, later

pytestmark = pytest.mark.django_db  # closing a response sends request_finished, which closes old connections


def test_outside_a_request_it_runs_at_once():
    ran = []
    later(lambda: ran.append("now"))
    assert ran == ["now"]


def test_inside_a_request_it_waits_for_the_close_and_a_failing_job_stops_nothing(caplog):
    ran = []

    def broken():
        raise ValueError("a job that fails")

    def view(request):
        later(lambda: ran.append("first"))
        later(broken)
        later(lambda: later(lambda: ran.append("nested, at once")))
        later(lambda: ran.append("last"))
        return HttpResponse("ok")

    response = AfterResponseMiddleware(view)(RequestFactory().get("/"))
    assert ran == [], "nothing runs before the answer is sent"
    later(lambda: ran.append("outside"))  # the request's list ended with the middleware's call
    assert ran == ["outside"]
    with caplog.at_level(logging.ERROR, logger="core.ops.after_response"):
        response.close()
    assert ran == ["outside", "first", "nested, at once", "last"]
    assert "work after the response failed" in caplog.text


def test_a_view_that_raises_still_runs_what_it_deferred():
    ran = []

    def view(request):
        later(lambda: ran.append("told"))
        raise RuntimeError("the view failed")

    with pytest.raises(RuntimeError):
        AfterResponseMiddleware(view)(RequestFactory().get("/"))
    assert ran == ["told"]


def test_a_marked_receiver_gets_its_arguments_after_the_response():
    got = []

    @after_response
    def receiver(sender, **kwargs):
        got.append((sender, kwargs))

    def view(request):
        assert receiver("sender", booking=7) is None
        return HttpResponse("ok")

    response = AfterResponseMiddleware(view)(RequestFactory().get("/"))
    assert got == []
    response.close()
    assert got == [("sender", {"booking": 7})]
