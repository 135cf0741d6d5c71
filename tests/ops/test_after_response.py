"""Work marked to run after the answer: outside a request at once; inside one once the answer is sent."""

from __future__ import annotations

import logging

import pytest
from django.core.signals import request_finished, request_started

from core.ops.after_response import after_response, later

pytestmark = pytest.mark.django_db  # request_started and request_finished close old connections


def test_outside_a_request_it_runs_at_once():
    ran = []
    later(lambda: ran.append("now"))
    assert ran == ["now"]


def test_inside_a_request_it_waits_for_the_end_and_a_failing_job_stops_nothing(caplog):
    ran = []

    def broken():
        raise ValueError("a job that fails")

    request_started.send(sender=None)
    try:
        later(lambda: ran.append("first"))
        later(broken)
        later(lambda: later(lambda: ran.append("nested, at once")))
        later(lambda: ran.append("last"))
        assert ran == []
    finally:
        with caplog.at_level(logging.ERROR, logger="core.ops.after_response"):
            request_finished.send(sender=None)
    assert ran == ["first", "nested, at once", "last"]
    assert "work after the response failed" in caplog.text
    later(lambda: ran.append("after the request"))
    assert ran[-1] == "after the request"


def test_a_marked_receiver_gets_its_arguments_later():
    got = []

    @after_response
    def receiver(sender, **kwargs):
        got.append((sender, kwargs))

    request_started.send(sender=None)
    assert receiver("sender", booking=7) is None and got == []
    request_finished.send(sender=None)
    assert got == [("sender", {"booking": 7})]
