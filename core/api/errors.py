"""Every API error is JSON with a reason: ``{"detail": ..., "code": ..., "errors": {...}}``.

``errors`` maps a field name to its messages for validation failures.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail
from rest_framework.views import exception_handler as drf_exception_handler

from core.ops.limiter import RETRY_AFTER, Busy, busy

from .refusals import Refusal

#: PostgreSQL broke a lock cycle (40P01) or a lock wait timed out (55P03): nothing was saved, retrying may work.
LOCK_FAILURES = ("40P01", "55P03")


class RefusedError(exceptions.APIException):
    """A domain :class:`Refusal` as an API error, with the refusal's status and code."""

    def __init__(self, status: int, message: str, code: str) -> None:
        self.status_code = status
        super().__init__(detail=message, code=code)


def as_api_exception(exc: Exception) -> Exception:
    """The DRF exception a domain refusal or a lock failure stands for; anything else unchanged."""
    if isinstance(exc, Refusal):
        if exc.status == 400 and exc.field:
            return exceptions.ValidationError({exc.field: [ErrorDetail(exc.message, code=exc.code)]})
        return RefusedError(exc.status, exc.message, exc.code)
    if isinstance(exc, OperationalError) and _sqlstate(exc) in LOCK_FAILURES:
        return RefusedError(409, gettext("Another request held what this one needed; try again."), "busy")
    if isinstance(exc, SuspiciousOperation):
        return RefusedError(*_guard_refusal(exc))
    if isinstance(exc, Busy):
        return _retry_later(RefusedError(503, str(exc), "busy"))
    if unavailable(exc):
        return _retry_later(RefusedError(503, UNAVAILABLE, "unavailable"))
    if isinstance(exc, Http404):  # get_object_or_404 in a view
        return exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    return exc


def _retry_later(exc: RefusedError) -> RefusedError:
    exc.wait = RETRY_AFTER  # DRF answers it as Retry-After
    return exc


UNAVAILABLE = "The service is briefly unavailable (a restart); please try again in a few seconds."


def unavailable(exc: BaseException | None) -> bool:
    """A lost or refused connection to the database (or Redis, the broker): 503, retrying helps.

    A database error counts when the server never answered (no SQLSTATE), or
    answered with a connection (08) or shutdown (57P) code: a restarted
    PostgreSQL. Lock failures are 409 (above); anything else stays a 500.
    """
    from kombu.exceptions import OperationalError as BrokerUnavailable
    from redis.exceptions import ConnectionError as RedisUnavailable

    if isinstance(exc, InterfaceError | RedisUnavailable | BrokerUnavailable):
        return True
    if not isinstance(exc, OperationalError) or exc.__cause__ is None:
        return False
    code = _sqlstate(exc)
    return code is None or code.startswith(("08", "57P"))


def _sqlstate(exc: BaseException) -> str | None:
    """PostgreSQL's error code behind a Django database error (psycopg 3 ``sqlstate``, psycopg2 ``pgcode``)."""
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


def _guard_refusal(exc: Exception) -> tuple[int, str, str]:
    """Status, message and code for what Django's own guards raise (body size, field count, bad host...)."""
    if isinstance(exc, RequestDataTooBig):
        return 413, gettext("The request body is too large."), "too_large"
    if isinstance(exc, TooManyFieldsSent):
        return 400, gettext("The request has too many fields."), "too_many_fields"
    if isinstance(exc, TooManyFilesSent):
        return 400, gettext("The request has too many files."), "too_many_files"
    return 400, gettext("The request was refused as malformed."), "bad_request"


def _first_code(codes: Any) -> str:
    if isinstance(codes, str):
        return codes
    if isinstance(codes, dict):
        return "invalid"
    if isinstance(codes, list) and codes:
        return _first_code(codes[0])
    return "error"


def exception_handler(exc: Exception, context: dict) -> Any:
    exc = as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        summary = "; ".join(
            f"{field}: {messages[0] if isinstance(messages, list) and messages else messages}"
            for field, messages in errors.items()
        )
        detail = gettext("Invalid input. %(errors)s") % {"errors": summary} if summary else gettext("Invalid input.")
        response.data = {"detail": detail, "code": "invalid", "errors": errors}
    elif isinstance(exc, exceptions.APIException):
        detail = response.data.get("detail", exc.detail) if isinstance(response.data, dict) else exc.detail
        response.data = {"detail": str(detail), "code": _first_code(exc.get_codes())}
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


@csrf_exempt  # a POST or DELETE to an unknown path is a 404 too, not a CSRF page
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """No endpoint at this address under /api/, whatever the method."""
    return JsonResponse(
        {"detail": gettext("No API endpoint at %(path)s.") % {"path": request.path}, "code": "not_found"}, status=404
    )


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return not_found(request)
    return defaults.page_not_found(request, exception)


def api_error(status: int, detail: str, code: str, errors: dict | None = None) -> JsonResponse:
    """The JSON error body of every refusal under /api/ that happens outside a DRF view."""
    body: dict[str, Any] = {"detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def handler400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """Django's guards (body too large, too many fields, bad host) end here: 400 or 413."""
    if _is_api(request):
        return api_error(*_guard_refusal(exception or SuspiciousOperation()))
    if isinstance(exception, RequestDataTooBig):
        return render_bad_request(request, gettext("The form sent was too large."), status=413)
    return render_bad_request(request, gettext("The request could not be understood."))


def handler403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    if _is_api(request):
        return api_error(403, gettext("You do not have permission to perform this action."), "permission_denied")
    return defaults.permission_denied(request, exception or PermissionDenied())


def render_bad_request(request: HttpRequest, reason: str, *, status: int = 400) -> HttpResponse:
    """The page a person sees for input the site refuses, with the reason."""
    from django.template import loader

    try:
        html = loader.render_to_string("400.html", {"reason": reason, "status": status}, request)
    except Exception:  # a broken request must still get an answer
        html = f"<h1>Bad request</h1><p>{reason}</p>"
    return HttpResponse(html, status=status)


def handler500(request: HttpRequest) -> HttpResponse:
    if isinstance(sys.exc_info()[1], Busy):  # no slot came for its first query (core.ops.limiter)
        return busy(request)
    if unavailable(sys.exc_info()[1]):
        if _is_api(request):
            response = JsonResponse({"detail": UNAVAILABLE, "code": "unavailable"}, status=503)
        else:
            response = defaults.server_error(request, template_name="503.html")
            response.status_code = 503
        response["Retry-After"] = str(RETRY_AFTER)
        return response
    if _is_api(request):
        return JsonResponse(
            {"detail": gettext("Server error: it has been logged."), "code": "server_error"}, status=500
        )
    return defaults.server_error(request)
