"""A strict Content-Security-Policy on every response, with a fresh nonce per request.

Scripts run only from our own origin or with the request's nonce: no
``'unsafe-inline'`` and no ``'unsafe-eval'`` for scripts (the theme ships
Alpine's CSP build). The policy comes from the ``CONTENT_SECURITY_POLICY``
setting; the middleware adds the nonce to ``script-src`` and this host's
WebSockets (``ws:``/``wss:``) to ``connect-src`` for the room and notification
sockets. A view adds sources for one response with :func:`allow` (a payment
gateway's Stripe.js, say). A response that already carries a policy keeps it
(Wagtail serves documents with its own).

Templates write ``<script nonce="{% csp_nonce %}">`` (``{% load csp %}``). A
small middleware rather than django-csp: the per-request host for WebSockets
and per-view sources would go through django-csp's private response
attributes, and this is all the project needs.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from contextvars import ContextVar

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse

HEADER = "Content-Security-Policy"
REPORT_ONLY_HEADER = "Content-Security-Policy-Report-Only"

_nonce: ContextVar[str] = ContextVar("csp_nonce", default="")


def current_nonce() -> str:
    """The nonce of the request being answered ('' outside a request)."""
    return _nonce.get()


def allow(request: HttpRequest, directive: str, sources: Iterable[str]) -> None:
    """Add ``sources`` to ``directive`` of this response's policy only."""
    extra = request.__dict__.setdefault("_csp_extra", {})
    extra.setdefault(directive, []).extend(source for source in sources if source)


def policy_for(request: HttpRequest) -> str:
    directives: dict[str, list[str]] = {
        name: list(sources) for name, sources in settings.CONTENT_SECURITY_POLICY.items()
    }
    directives.setdefault("script-src", []).append(f"'nonce-{request.csp_nonce}'")
    try:
        host = request.get_host()
    except DisallowedHost:  # answered 400 already; no socket to allow
        host = ""
    if host:
        directives.setdefault("connect-src", []).extend([f"ws://{host}", f"wss://{host}"])
    for name, sources in getattr(request, "_csp_extra", {}).items():
        directives.setdefault(name, []).extend(sources)
    parts = []
    for name, sources in directives.items():
        unique = list(dict.fromkeys(sources))
        parts.append(" ".join([name, *unique]) if unique else name)
    return "; ".join(parts)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.csp_nonce = secrets.token_urlsafe(18)
        token = _nonce.set(request.csp_nonce)
        try:
            response = self.get_response(request)
        finally:
            _nonce.reset(token)
        header = REPORT_ONLY_HEADER if getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", False) else HEADER
        if HEADER not in response and REPORT_ONLY_HEADER not in response:
            response[header] = policy_for(request)
        return response
