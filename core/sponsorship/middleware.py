"""Keep pages that showed sponsored slots (counted per view) out of every cache."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers


class SponsoredNoCacheMiddleware:
    """A template tag that placed sponsored slots sets ``request.sponsored_slots_shown``; mark the page private."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "sponsored_slots_shown", False):
            add_never_cache_headers(response)
        return response
