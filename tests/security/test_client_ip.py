"""core.security.client_ip: X-Forwarded-For is read only through the trusted proxies."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from core.security.client_ip import client_ip


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, None, "10.0.0.1"),
        (0, "203.0.113.9", "10.0.0.1"),  # no proxy trusted: a client's own header is ignored
        (1, None, "10.0.0.1"),
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "203.0.113.9, 198.51.100.7", "198.51.100.7"),  # the client wrote the left entry
        (2, "203.0.113.9, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        (2, "198.51.100.7", "198.51.100.7"),  # fewer hops than proxies: the leftmost, still a proxy's
        (1, "not-an-address", "10.0.0.1"),
        (1, " 2001:db8::1 ", "2001:db8::1"),
        (1, ",", "10.0.0.1"),
    ],
)
def test_client_ip(settings, count, forwarded, expected):
    settings.TRUSTED_PROXY_COUNT = count
    assert client_ip(request_from("10.0.0.1", forwarded)) == expected
