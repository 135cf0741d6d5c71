"""Answers /healthz and /readyz before any other middleware runs.

First in MIDDLEWARE so a probe costs no session, no user, no database (for
/healthz) and is not turned away by the HTTPS redirect or ALLOWED_HOSTS: load
balancers probe over plain HTTP with their own Host header. Neither answer is
cached, and a 503 is not logged as a server error (it is the expected answer
while a dependency is down); what failed is logged as a warning, so the reason a
load balancer took a process out is in the process's own log.
"""

from __future__ import annotations

import logging

from django.http import JsonResponse

from . import checks

logger = logging.getLogger("peerlearn.health")

LIVENESS_PATH = "/healthz"
READINESS_PATH = "/readyz"


def _answer(status: int, body: dict) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    response._has_been_logged = True  # django.request would log a 503 as an error
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info.rstrip("/")
        if path == LIVENESS_PATH:
            return _answer(200, {"status": "ok"})
        if path == READINESS_PATH:
            results = checks.run()
            failed = {name: reason for name, reason in results.items() if reason != "ok"}
            if failed:
                logger.warning("not ready: %s", ", ".join(f"{name} {reason}" for name, reason in failed.items()))
            return _answer(503 if failed else 200, {"status": "unavailable" if failed else "ok", "checks": results})
        return self.get_response(request)
