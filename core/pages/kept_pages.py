"""A signed-in person's page kept whole, for the pages they open most (the learner's dashboard).

A dashboard is built from kept parts (seats, recommendations, notifications,
learning path: :func:`core.pages.cache.cached_part`), yet rendering it still
cost ~22 ms of CPU, the largest share of a crowd's signed-in time. So the page
itself is kept per person, as long as every part it was made of holds:

* the parts report the tags' versions they used and their expiry while the view
  renders (:func:`core.pages.cache.collecting_parts`); the page is stale the
  moment one of those tags, ``site`` or ``person:<id>`` is bumped, when the
  earliest part expires, and at most :data:`MAX_AGE` seconds after it was made
  (it says "5 minutes ago" of notifications);
* the key holds everything else the HTML depends on: host, address, theme,
  language, time zone, currency, the person, and a hash of their CSRF secret,
  so the forms' masked tokens in a kept page always match the browser's cookie;
* a request with messages waiting (django.contrib.messages) is never served a
  kept page and its page is never kept; neither is a page that shows sponsored
  slots (each view is counted) or one a part could not vouch for;
* the CSP nonce is swapped per answer, as the visitors' cache does, and so are
  the recommendation impression ids (:func:`fresh_per_answer`): every view of a
  kept page reports its own impressions.

A kept page answers with ``X-Page-Cache: hit``; the first with ``miss``.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from core.analytics.services import events
from core.themes.registry import active_theme

from .cache import (
    HEADER,
    PREFIX,
    SHAREABLE_COOKIES,
    _lookup,
    _remember_tags,
    _versions,
    answer_from,
    collecting_parts,
    stored_form,
)

#: The longest a kept page is served (relative times in it, such as "5 minutes ago", stay a minute behind at most).
MAX_AGE = 60


def fresh_per_answer(request: HttpRequest | None, value: str) -> None:
    """Mark ``value`` in this page as one that every answer gets anew (a recommendation's impression id)."""
    if request is not None:
        request.__dict__.setdefault("_fresh_per_answer", []).append(value)


def kept_for_person(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Keep the signed-in person's ``GET`` answer of ``view`` (see the module's docstring)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        key = _key(request)
        if key is None:
            return view(request, *args, **kwargs)
        hit = _serve(key, request)
        if hit is not None:
            return hit
        with collecting_parts() as parts, events.capturing_behaviour() as recorded:
            own = _own_versions(request)
            response = view(request, *args, **kwargs)
        if own is not None and parts.keepable and _storable(request, response):
            parts.add(own, None)
            if parts.keepable:
                _store(key, request, response, parts.versions, parts.expires, recorded)
                response[HEADER] = "miss"
        return response

    return wrapper


def _key(request: HttpRequest) -> str | None:
    """Where this request's page is kept; ``None``: not one to keep or serve from the cache."""
    if not settings.PAGE_CACHE_ENABLED or request.method != "GET" or not request.user.is_authenticated:
        return None
    secret = request.META.get("CSRF_COOKIE")
    if not secret or len(messages.get_messages(request)):  # no cookie yet, or messages to show
        return None
    parts = [
        request.scheme,
        request.get_host(),
        request.get_full_path(),
        active_theme.get(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        *(request.COOKIES.get(name, "") for name in SHAREABLE_COOKIES),
        request.user.pk,
        hashlib.sha256(secret.encode()).hexdigest(),
    ]
    return PREFIX + "person-page:" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def _own_tags(request: HttpRequest) -> list[str]:
    """What every signed-in page shows beside its parts: the site's settings and the person (name, roles)."""
    return ["site", f"person:{request.user.pk}"]


def _own_versions(request: HttpRequest) -> dict[str, str | None] | None:
    """The page's own tags' versions, read before it is built (a bump while building leaves it stale)."""
    versions = _versions(_own_tags(request))
    return None if None in versions.values() else versions


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if response.status_code != 200 or response.streaming or getattr(request, "sponsored_slots_shown", False):
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    return not len(messages.get_messages(request))


def _store(
    key: str,
    request: HttpRequest,
    response: HttpResponse,
    versions: dict[str, str],
    expires: float | None,
    recorded: list,
) -> None:
    body, headers = stored_form(request, response)
    made = timezone.now().timestamp()
    entry = {
        "versions": versions,
        "body": body,
        "headers": headers,
        "events": recorded,
        "until": min(expires, made + MAX_AGE) if expires is not None else made + MAX_AGE,
        "fresh": [value for value in getattr(request, "_fresh_per_answer", []) if value.encode() in body],
    }
    cache.set(key, entry, timeout=MAX_AGE)
    _remember_tags(key, versions)


def _serve(key: str, request: HttpRequest) -> HttpResponse | None:
    entry, versions = _lookup(key)
    if not isinstance(entry, dict) or timezone.now().timestamp() >= entry["until"]:
        return None
    if versions != entry["versions"]:
        if versions is None or set(versions) != set(entry["versions"]):
            _remember_tags(key, entry["versions"])  # this process learns the page's tags, then checks them
            if _versions(entry["versions"]) == entry["versions"]:
                return _answer(entry, request)
        return None
    return _answer(entry, request)


def _answer(entry: dict, request: HttpRequest) -> HttpResponse:
    body = entry["body"]
    for value in entry["fresh"]:
        body = body.replace(value.encode(), str(uuid.uuid4()).encode())
    get_token(request)  # as a rendering would: the CSRF cookie's expiry is renewed
    return answer_from(request, entry, body, "hit")
