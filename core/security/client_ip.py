"""The client's address, read through a known number of trusted proxies.

Behind a reverse proxy ``REMOTE_ADDR`` is the proxy's address for everyone, so
every per-address limit would be shared by all users. Each trusted proxy
appends the address it saw to ``X-Forwarded-For``; with ``TRUSTED_PROXY_COUNT``
= N the client is the N-th entry from the right. Entries left of it were
written by the client and are never trusted; with N = 0 the header is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(address: str) -> str | None:
    try:
        return str(ipaddress.ip_address(address.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address rate limits and logs key on (``REMOTE_ADDR`` when no proxy is trusted)."""
    remote = request.META.get("REMOTE_ADDR", "")
    count = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if count <= 0 or not forwarded:
        return remote
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    if not hops:
        return remote
    # Fewer hops than proxies: the leftmost one was still written by a trusted proxy.
    return _valid(hops[-min(count, len(hops))]) or remote
