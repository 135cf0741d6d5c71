"""OpenAPI schema generation: what is documented, and the refusals every operation can give.

Views document their own answers and the refusals of their domain (409 for a
taken slot, 502 for a failed gateway...). The refusals that come from the
machinery around every view are added here, once, so the schema stays
truthful without each view repeating them: 400 (the input guard reads every
query string, see :mod:`core.api.inputs`), 401 and 403 where a view
authenticates and checks permissions, 404 where the path names an object,
413 and 415 where a body is read, 429 where requests are rate-limited.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse, extend_schema_serializer
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny

from .middleware import MAX_ID


def only_public_api(endpoints):
    """Document /api/ only; Wagtail's admin API is internal to the admin."""
    return [endpoint for endpoint in endpoints if endpoint[0].startswith("/api/")]


@extend_schema_serializer(component_name="Error")
class ErrorSerializer(serializers.Serializer):
    """The body of every refusal under /api/ (:mod:`core.api.errors`)."""

    detail = serializers.CharField(help_text="What was wrong, for a person.")
    code = serializers.CharField(help_text="A stable machine-readable reason, e.g. invalid, not_found, too_large.")
    errors = serializers.DictField(
        required=False,
        help_text="Bad input only: each field at fault with its messages (a list of strings).",
    )


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})

STANDARD_ERRORS = {
    "400": "Bad input: a parameter or field is invalid (NUL characters and non-ASCII digits included); "
    "`errors` names each field with its messages. Nothing was changed.",
    "401": "Not signed in, or the token is not valid.",
    "403": "Signed in but not allowed to do this (or a browser session without its CSRF token).",
    "404": "No such object, or not one you may see.",
    "413": "The body is larger than the API accepts (JSON: 1 MiB).",
    "409": "The object's state does not allow this now, or a concurrent request held it: nothing was changed.",
    "415": "The body's content type is not JSON, form or multipart.",
    "429": "Too many requests: wait and try again.",
}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        for parameter in (operation or {}).get("parameters", []):
            if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
                parameter["schema"].update(minimum=0, maximum=MAX_ID)  # see InputGuardMiddleware
        return operation

    def map_parsers(self) -> list[str]:
        """Bodies are documented as JSON, plus multipart where a file is uploaded.

        The parsers also read HTML forms, but a form cannot carry nested lists
        or tell an empty optional field from a missing one, so it is not the
        API's documented format.
        """
        types = super().map_parsers()
        wanted = {"application/json", "multipart/form-data"} if self._uploads_files() else {"application/json"}
        return [media_type for media_type in types if media_type in wanted] or types

    def _uploads_files(self) -> bool:
        serializer = self.get_request_serializer()
        if isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer):
            serializer = serializer()
        fields = getattr(serializer, "fields", {})
        return any(isinstance(field, serializers.FileField) for field in fields.values())

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        for code in self._standard_error_codes():
            if code not in responses:
                error = OpenApiResponse(ErrorSerializer, description=STANDARD_ERRORS[code])
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        for code, response in responses.items():
            if code >= "400" and "content" not in response:  # a view described the error, not its body
                error = OpenApiResponse(ErrorSerializer, description=response.get("description", ""))
                responses[code] = self._get_response_for_code(error, code, direction=direction)
        return responses

    def _standard_error_codes(self) -> list[str]:
        view = self.view
        codes = ["400"]
        if view.get_authenticators():
            codes.append("401")
        if not all(isinstance(permission, AllowAny) for permission in view.get_permissions()):
            codes.append("403")
        if "{" in self.path or isinstance(self._get_paginator(), PageNumberPagination):  # a page past the end
            codes.append("404")
        if self.method in BODY_METHODS:
            codes += ["413", "415"]
        if self.method in BODY_METHODS or self.method == "DELETE":  # a lock failure is a 409 for any write
            codes.append("409")
        if view.get_throttles() or self.path.startswith("/api/auth/"):  # auth: allauth's limits too
            codes.append("429")
        return codes
