"""Refuse hostile query strings and form bodies before any view sees them (rules: :mod:`.inputs`)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.utils.translation import gettext

from .errors import api_error, render_bad_request
from .inputs import BadInput, check_pairs

#: The largest id a database row can have (a signed 64-bit integer).
MAX_ID = 2**63 - 1
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class InputGuardMiddleware:
    """Query strings and form fields with a NUL character or non-ASCII digits get a 400.

    An id in the path past what a database integer holds is a 404 (no such object).

    Under /api/ the answer is the API's JSON error (``{"detail","code","errors"}``);
    on pages it is the 400 page with the reason. JSON bodies are checked by the
    API's parser (:class:`core.api.parsers.JSONParser`) against the same rules.
    Django's own guards (too large, too many fields) raised while the form is
    read here reach ``handler400``, which answers them in the same two ways.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any(
            part.isascii() and part.isdigit() and int(part) > MAX_ID
            for part in request.path.split("/")
            if len(part) > 18
        ):
            # No row has such an id, and the database cannot even compare it: not found.
            if request.path.startswith("/api/"):
                return api_error(404, gettext("Not found."), "not_found")
            raise Http404(gettext("No such object."))
        try:
            check_pairs(_pairs(request.GET))
            if request.method == "POST" and request.content_type in FORM_TYPES:
                check_pairs(_pairs(request.POST))
        except BadInput as bad:
            if request.path.startswith("/api/"):
                detail = gettext("Invalid input. %(errors)s") % {"errors": f"{bad.field}: {bad.message}"}
                return api_error(400, detail, "invalid", {bad.field: [bad.message]})
            return render_bad_request(request, bad.message)
        return self.get_response(request)


def _pairs(query: QueryDict):
    return ((name, value) for name, values in query.lists() for value in values)
