"""Prometheus metrics: HTTP requests counted and timed by route, method and status.

Off unless ``METRICS_ENABLED``; then ``GET /metrics`` answers only a bearer ``METRICS_TOKEN``.
With several worker processes (``WEB_CONCURRENCY``), ``PROMETHEUS_MULTIPROC_DIR`` makes each
process write its figures to a shared folder and a scrape adds them up, whichever process
answers it (prometheus_client's multiprocess mode; scripts/procfile empties the folder when
the web process starts).
"""

from __future__ import annotations

import hmac
import os
import time

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

# In multiprocess mode every process writes its figures there from the first metric on,
# worker and beat included (they may import this module): the folder must exist.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.makedirs(os.environ["PROMETHEUS_MULTIPROC_DIR"], exist_ok=True)

REQUESTS = Counter(
    "peerlearn_http_requests", "HTTP requests answered, by route, method and status.", ["route", "method", "status"]
)
LATENCY = Histogram(
    "peerlearn_http_request_duration_seconds",
    "Time from request to response, by route and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
_REGEX_MARKS = frozenset("^$()[]\\*+?")


def route_label(request: HttpRequest) -> str:
    """The URL pattern that answered (`mentors/<slug:slug>/`), never the raw path: labels stay few.

    A regular-expression pattern (Wagtail's page catch-all) is named by its view (`wagtail_serve`).
    """
    match = getattr(request, "resolver_match", None)
    if match is not None:
        if match.route and not _REGEX_MARKS.intersection(match.route):
            return match.route
        return match.view_name or "<unnamed>"
    if request.path.startswith(settings.STATIC_URL):
        return "<static>"
    return "<unmatched>"


def observe(request: HttpRequest, status: int, seconds: float) -> None:
    route = route_label(request)
    method = request.method if request.method in _METHODS else "other"
    REQUESTS.labels(route, method, str(status)).inc()
    LATENCY.labels(route, method).observe(seconds)


class MetricsMiddleware:
    """Outermost middleware: times the whole stack. Not loaded at all when metrics are off."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response) -> None:
        if not settings.METRICS_ENABLED:
            raise MiddlewareNotUsed
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest):
        if self.is_async:
            return self._acall(request)
        started = time.perf_counter()
        response = self.get_response(request)
        observe(request, response.status_code, time.perf_counter() - started)
        return response

    async def _acall(self, request: HttpRequest):
        started = time.perf_counter()
        response = await self.get_response(request)
        observe(request, response.status_code, time.perf_counter() - started)
        return response


def bearer_token_matches(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token) and hmac.compare_digest(given.strip(), token)


def exposition() -> bytes:
    """All processes' figures in multiprocess mode, else this process's (plus its own stats)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """404 when metrics are off (the endpoint does not exist), 401 without the right token."""
    if not settings.METRICS_ENABLED:
        raise Http404(gettext("Metrics are disabled."))
    if not bearer_token_matches(request, settings.METRICS_TOKEN):
        return HttpResponse(
            "A bearer token is required.\n",
            status=401,
            content_type="text/plain",
            headers={"WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
