"""The API's two ways of paging lists, strict about their parameters.

DRF's paginators silently ignore a ``page_size``, ``limit`` or ``offset``
they cannot read; these answer 400 naming the parameter instead, and their
parameters carry their bounds in the OpenAPI schema.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext
from rest_framework import pagination
from rest_framework.exceptions import ValidationError

MAX_PAGE_SIZE = 100


def _whole_number(request: Any, name: str, *, low: int, high: int | None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdigit()) or int(raw) < low or (high is not None and int(raw) > high):
        if high is not None:
            message = gettext("Expected a whole number from %(low)s to %(high)s.") % {"low": low, "high": high}
        else:
            message = gettext("Expected a whole number of at least %(low)s.") % {"low": low}
        raise ValidationError({name: [message]})
    return int(raw)


class PageNumberPagination(pagination.PageNumberPagination):
    """``?page=N&page_size=M`` (M up to 100); a page past the end is 404, as in DRF."""

    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Any) -> int:
        size = _whole_number(request, self.page_size_query_param, low=1, high=self.max_page_size)
        return size or self.page_size

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_page_size)
        return parameters


class LimitOffsetPagination(pagination.LimitOffsetPagination):
    """``?limit=N&offset=M`` (N up to 100)."""

    default_limit = 20
    max_limit = MAX_PAGE_SIZE

    def get_limit(self, request: Any) -> int:
        limit = _whole_number(request, self.limit_query_param, low=1, high=self.max_limit)
        return limit or self.default_limit

    def get_offset(self, request: Any) -> int:
        return _whole_number(request, self.offset_query_param, low=0, high=None) or 0

    def get_schema_operation_parameters(self, view: Any) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.limit_query_param:
                parameter["schema"].update(minimum=1, maximum=self.max_limit)
            if parameter["name"] == self.offset_query_param:
                parameter["schema"]["minimum"] = 0
        return parameters
