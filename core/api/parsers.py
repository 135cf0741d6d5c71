"""The API's JSON parser: one size and one depth limit, and the input rules of :mod:`.inputs`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy
from rest_framework import exceptions, parsers, status
from rest_framework.utils import json

from .inputs import BadInput, check_tree, json_too_deep


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("The request body is too large.")
    default_code = "too_large"


class JSONParser(parsers.JSONParser):
    """DRF's parser, bounded: at most ``API_JSON_MAX_BYTES`` and ``API_JSON_MAX_DEPTH`` levels.

    The body is read only up to the limit (a client announcing or sending more
    gets 413), its nesting is measured before decoding (400 ``too_deep``), and
    every string is checked like query strings and forms are (400).
    """

    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        limit = settings.API_JSON_MAX_BYTES
        request = (parser_context or {}).get("request")
        announced = _content_length(request)
        if announced > limit:
            raise PayloadTooLarge(f"JSON bodies are limited to {limit} bytes; this one has {announced}.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"JSON bodies are limited to {limit} bytes.")
        if json_too_deep(raw):
            raise exceptions.ParseError(
                gettext("JSON nested deeper than %(API_JSON_MAX_DEPTH)s levels is not accepted.")
                % {"API_JSON_MAX_DEPTH": settings.API_JSON_MAX_DEPTH},
                code="too_deep",
            )
        encoding = (parser_context or {}).get("encoding") or settings.DEFAULT_CHARSET
        try:
            text = raw.decode(encoding)
            constant = json.strict_constant if self.strict else None
            data = json.loads(text, parse_constant=constant)
        except (ValueError, RecursionError) as exc:
            raise exceptions.ParseError(gettext("JSON parse error - %(exc)s") % {"exc": exc}) from None
        try:
            check_tree(data)
        except BadInput as bad:
            detail = exceptions.ErrorDetail(bad.message, code=bad.code)
            raise exceptions.ValidationError({bad.field: [detail]}) from None
        return data


def _content_length(request: Any) -> int:
    meta = getattr(getattr(request, "_request", request), "META", {}) or {}
    try:
        return int(meta.get("CONTENT_LENGTH") or 0)
    except (TypeError, ValueError):
        return 0
