"""A database or Redis that is briefly gone answers 503 "try again", never a 500 (see tests/faults)."""

from __future__ import annotations

import json
import sys

import pytest
from django.db import InterfaceError, OperationalError
from django.test import RequestFactory
from kombu.exceptions import OperationalError as BrokerDown
from redis.exceptions import ConnectionError as RedisDown
from rest_framework import exceptions

from core.api.errors import as_api_exception, handler500, unavailable


class _Driver(Exception):
    """What psycopg 3 raises: the SQLSTATE in ``sqlstate`` (None when the server never answered)."""

    def __init__(self, sqlstate: str | None) -> None:
        super().__init__("driver error")
        self.sqlstate = sqlstate


def _wrapped(sqlstate: str | None) -> OperationalError:
    exc = OperationalError("database error")
    exc.__cause__ = _Driver(sqlstate)
    return exc


@pytest.mark.parametrize(
    ("exc", "expected"),
    [
        (_wrapped(None), True),  # the server closed the connection / refused it
        (_wrapped("57P01"), True),  # admin shutdown: a restart
        (_wrapped("08006"), True),  # connection failure
        (InterfaceError("connection already closed"), True),
        (RedisDown("Connection refused"), True),
        (BrokerDown("Error 111 connecting"), True),
        (_wrapped("53100"), False),  # disk full: a real fault, stays a 500
        (_wrapped("55P03"), False),  # lock timeout: 409, handled before
        (OperationalError("no driver cause"), False),
        (ValueError("bug"), False),
    ],
)
def test_what_counts_as_briefly_unavailable(exc, expected):
    assert unavailable(exc) is expected


def test_the_api_answers_503_with_a_reason():
    api = as_api_exception(_wrapped("57P01"))
    assert isinstance(api, exceptions.APIException)
    assert (api.status_code, api.get_codes()) == (503, "unavailable")


@pytest.mark.parametrize("path", ["/api/sessions/", "/mentors/"])
def test_the_last_resort_handler_answers_503_json_or_a_page(path):
    request = RequestFactory().get(path)
    try:
        raise _wrapped(None)
    except OperationalError:
        assert sys.exc_info()[1] is not None
        response = handler500(request)
    assert response.status_code == 503 and response["Retry-After"] == "5"
    if path.startswith("/api/"):
        assert json.loads(response.content)["code"] == "unavailable"
    else:
        assert b"Back in a moment" in response.content


def test_other_crashes_stay_500():
    try:
        raise ValueError("a bug")
    except ValueError:
        response = handler500(RequestFactory().get("/api/sessions/"))
    assert response.status_code == 500
