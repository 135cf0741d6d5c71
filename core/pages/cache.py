"""The anonymous page cache: whole responses for visitors, kept in the site's cache (Redis in production).

A visitor's page (home, mentor search, a mentor, a topic, a session) is the same
for every visitor with the same address, language, time-zone and currency
cookies, so it is rendered once and then served from the cache without a query:
that is what lets two cores answer a crowd (README, "Holding a crowd").

What is stored, and for whom:

* only ``GET`` requests that carry no cookie but the allow-listed ones
  (:data:`SHAREABLE_COOKIES`: CSRF, time zone, price currency, language) and no
  ``Authorization`` header: a signed-in person never gets a cached page, and
  their page is never stored;
* only answers a view opted into with :func:`cache_page_for_visitors` (Wagtail
  pages and the session page do), that are 200 HTML, set no cookie (so no CSRF
  token, session or message is in them), vary on nothing but ``Cookie`` and
  ``Accept-Language`` and are not marked private or no-store;
* the CSP nonce of the request that rendered the page is swapped for a
  placeholder, and every hit gets its own request's nonce back (the CSP
  middleware sits outside this one), so the nonce in the page always matches
  the header.

Invalidation: each stored page names the *tags* it depends on (``site`` always;
``mentor:<user id>``, ``session:<id>``, ``listings``, ``sessions``); each tag has
a version in the cache and :func:`bump` gives it a new one, so every page that
named it is stale at once (``receivers.py`` bumps on publishing, bookings,
sessions, availability, reviews, settings; redirects act on 404s only, which are never kept). Pages also expire after
``PAGE_CACHE_TIMEOUT`` seconds, for what changes with time alone (trending
lists, "free within 7 days"): each one after a share of that drawn by chance
(half to all of it, :func:`_fresh_until`), so that what a crowd filled together
on a cold cache is not all rebuilt together every ``PAGE_CACHE_TIMEOUT`` (in the
load benchmark that was a minute of seconds-long answers every five minutes).
An expired page stays stored a while longer, so it is rebuilt once, as below,
not by every visitor who asks for it meanwhile. A hit costs one cache round
trip: the page and its tags' versions.

One rebuild at a time: when a stored page has gone stale, the first request to
ask for it rebuilds it and, until that answer is stored, the others get the
stale page (``X-Page-Cache: stale``) instead of each building it again. Under a
crowd a booking made a mentor's page stale several times a second, and every
visitor who came during the rebuild rebuilt it too. The stale page is served
only while a rebuild is running (at most ``REBUILD_SECONDS``), never after.

Page views stay counted: the behaviour events the first rendering recorded
(``mentor.viewed``, ``search.performed``) are kept with the page and recorded
again, batched, for every hit (:func:`core.analytics.services.events.record_later`).

Off with ``PAGE_CACHE_ENABLED=false``; the test settings turn it off, and the
tests of this module and the production-settings tests turn it on.
"""

from __future__ import annotations

import hashlib
import pickle
import random
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re

from core.analytics.services import events
from core.ops.after_response import batched, pending

from . import in_process as held_in_process
from . import live_parts

PREFIX = "pagecache:"
#: Cookies that do not make a page personal: they are part of the cache key instead (or unused by pages).
SHAREABLE_COOKIES = ("peerlearn_tz", "peerlearn_currency")
#: Headers a stored page may vary on (both are in the key).
SHAREABLE_VARY = {"cookie", "accept-language"}
NONCE_PLACEHOLDER = b"\x00csp-nonce\x00"
HEADER = "X-Page-Cache"
#: The longest one request holds the right to rebuild a stale page or part (a crashed one lets go by then).
REBUILD_SECONDS = 10
_NOT_STORED = ("content-length", "set-cookie", HEADER.lower())
T = TypeVar("T")


def cache_page_for_visitors(request: HttpRequest, *tags: str) -> None:
    """Let this request's answer be kept for visitors; ``tags`` name what it shows (``site`` is implied)."""
    chosen = request.__dict__.setdefault("_page_cache_tags", {"site"})
    chosen.update(tags)


def bump(*tags: str) -> None:
    """Make every stored page that named one of ``tags`` stale."""
    if tags:
        held_in_process.drop(tags)
        rebuilt = pending(REBUILT_PARTS)
        for key in [key for key, (_, entry) in (rebuilt or {}).items() if set(tags) & set(entry["versions"])]:
            del rebuilt[key]  # built from what the bump says changed: neither served again nor written
        cache.set_many({_tag_key(tag): secrets.token_hex(6) for tag in tags}, timeout=None)


def bump_on_commit(*tags: str) -> None:
    """:func:`bump` once the transaction commits, so nothing is rebuilt from the old rows under the new version."""
    transaction.on_commit(lambda: bump(*tags), robust=True)


def cached_part(
    name: str,
    parts: Iterable[object],
    tags: Iterable[str],
    build: Callable[[], T],
    *,
    expires: Callable[[T], float | None] | None = None,
    stale_while_rebuilding: bool = False,
    in_process: bool = False,
) -> T:
    """``build()``, kept until one of ``tags`` is bumped (or ``PAGE_CACHE_TIMEOUT``): parts of signed-in pages.

    For what one person (or everyone) sees that is costly to build and changes
    only with named events: a learner's learning path (``person:<id>``), the
    session list (``sessions``). ``parts`` make the key (the person, the
    address, the language, the time zone: everything the value depends on).
    A hit is one cache round trip for the value and the tags' versions
    together; the versions are read before building, so a bump while building
    leaves the stored value stale rather than current. ``build()`` is called
    directly when the page cache is off or the cache does not answer.
    ``expires(value)``: when a stored value goes stale with time alone (a Unix time; ``None``: never),
    for what changes with the clock (a room opening, a minute-old ranking).
    ``stale_while_rebuilding``: for a value everyone shares (the session list), a stale one is
    returned while another request rebuilds it, as the page cache does for pages.
    Inside :func:`collecting_parts` each call reports the tags' versions it used and the value's
    expiry, so a page made of kept parts can be kept whole (:mod:`core.pages.kept_pages`).
    ``in_process``: for a part that is the same for everyone (no person in it), also held by the
    process for a few seconds (:mod:`core.pages.in_process`), so most hits cost no round trip.
    """
    if not settings.PAGE_CACHE_ENABLED:
        return build()
    key = part_key(name, parts)
    if in_process:
        return _held_in_process(key, lambda: _cached_part(key, tags, build, expires, stale_while_rebuilding))
    return _cached_part(key, tags, build, expires, stale_while_rebuilding)


def _held_in_process(key: str, read: Callable[[], T]) -> T:
    """The part this process holds, else ``read()`` it and hold it with what it reported."""
    held = held_in_process.get(key)
    if held is not None and (held.until is None or timezone.now().timestamp() < held.until):
        _report(held.versions, held.until)
        return held.value  # type: ignore[return-value]
    with collecting_parts() as used:
        value = read()
    if not used.keepable:
        _report(None, None)  # a stale value, or the cache did not answer: not held, and no page keeps it
    elif used.versions:
        held_in_process.put(key, value, used.versions, used.expires)
        _report(used.versions, used.expires)
    return value


def _cached_part(
    key: str,
    tags: Iterable[str],
    build: Callable[[], T],
    expires: Callable[[T], float | None] | None,
    stale_while_rebuilding: bool,
) -> T:
    rebuilt = _rebuilt_in_this_request(key)
    if rebuilt is not None:
        _report(rebuilt["versions"], _earliest(expires(rebuilt["value"]) if expires else None, rebuilt["fresh_until"]))
        return rebuilt["value"]
    tag_keys = {_tag_key(tag): tag for tag in tags}
    found = _read([key, *tag_keys])
    versions = {tag: found.get(tag_key) for tag_key, tag in tag_keys.items()}
    entry = _stored_entry(found.get(key))
    if isinstance(entry, dict) and None not in versions.values() and entry.get("versions") == versions:
        value = entry["value"]
        until = _earliest(expires(value) if expires else None, entry.get("fresh_until"))
        if until is None or timezone.now().timestamp() < until:
            _report(versions, until)
            return value
    if stale_while_rebuilding and isinstance(entry, dict) and None not in versions.values():
        if not _claim_rebuild(key):
            _report(None, None)  # a stale value: the page it goes into must not be kept
            return entry["value"]
        try:
            return _build_and_keep(key, versions, build, expires, shared=True)
        finally:
            _release_rebuild(key)
    if None in versions.values():
        for tag, version in versions.items():
            if version is None:
                cache.add(_tag_key(tag), secrets.token_hex(6), timeout=None)
        versions = _versions(versions)
        if None in versions.values():  # the cache is not answering: nothing to keep
            _report(None, None)
            return build()
    return _build_and_keep(key, versions, build, expires)


_read_ahead: ContextVar[dict[str, object] | None] = ContextVar("peerlearn_parts_read_ahead", default=None)
_ABSENT = object()


@contextmanager
def parts_read_together(*specs: tuple[str, Iterable[object], Iterable[str]]) -> Iterator[None]:
    """Read the parts ``(name, parts, tags)`` and their tags' versions in one cache round trip, for the
    :func:`cached_part` calls inside the block that ask for them (each value is used once).

    For parts a request reads one after the other, where the first decides whether the next is
    needed: read together, the second costs no round trip of its own.
    """
    if not settings.PAGE_CACHE_ENABLED:
        yield
        return
    keys = [key for name, parts, tags in specs for key in (part_key(name, parts), *map(_tag_key, tags))]
    found = cache.get_many(keys)
    token = _read_ahead.set({key: found.get(key, _ABSENT) for key in keys})
    try:
        yield
    finally:
        _read_ahead.reset(token)


def _read(keys: list[str]) -> dict[str, object]:
    """``cache.get_many(keys)``, from what :func:`parts_read_together` read when it read them all."""
    ahead = _read_ahead.get()
    if ahead is None or not all(key in ahead for key in keys):
        return cache.get_many(keys)
    ahead_values = {key: ahead[key] for key in keys}
    del ahead[keys[0]]  # the part itself once: a value rebuilt meanwhile is read anew
    return {key: value for key, value in ahead_values.items() if value is not _ABSENT}


def part_key(name: str, parts: Iterable[object]) -> str:
    """Where :func:`cached_part` keeps ``name`` for ``parts``."""
    return PREFIX + "part:" + name + ":" + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


def _build_and_keep(
    key: str,
    versions: dict[str, str | None],
    build: Callable[[], T],
    expires: Callable[[T], float | None] | None,
    *,
    shared: bool = False,
) -> T:
    """Build the part and keep it: in a request, with the request's other rebuilt parts in one write after
    the answer (a dashboard a booking made stale rebuilt seven, each its own round trip before the answer);
    at once outside one, and for a shared part others wait on (its rebuild claim ends when this returns).

    A part written later is pickled now: the request may still change the objects in it (Django keeps a
    person's permissions on the person), and the cache must hold them as they were built.
    """
    value = build()
    fresh_until = _fresh_until()
    entry = {"versions": versions, "value": value, "fresh_until": fresh_until}
    batch = None if shared else batched(REBUILT_PARTS, _write_rebuilt_parts)
    if batch is None:
        cache.set(key, entry, timeout=_stored_for())
    else:
        batch[key] = (pickle.dumps(entry, pickle.HIGHEST_PROTOCOL), entry)
    _report(versions, _earliest(expires(value) if expires else None, fresh_until))
    return value


#: The request's batch of rebuilt parts (:func:`core.ops.after_response.batched`): key → (pickled, entry).
REBUILT_PARTS = "pages.rebuilt-parts"


def _write_rebuilt_parts(entries: dict[str, tuple[bytes, dict]]) -> None:
    cache.set_many({key: pickled for key, (pickled, _) in entries.items()}, timeout=_stored_for())


def _rebuilt_in_this_request(key: str) -> dict | None:
    """A part this request rebuilt and has not written yet (it is read again, e.g. by a second block)."""
    batch = pending(REBUILT_PARTS)
    return batch[key][1] if batch is not None and key in batch else None


def stored_part(name: str, parts: Iterable[object]) -> dict | None:
    """The entry kept for a part (``versions``, ``value``, ``fresh_until``), or None: what the cache holds."""
    entry = _stored_entry(cache.get(part_key(name, parts)))
    return entry if isinstance(entry, dict) else None


def _stored_entry(found: object) -> object:
    """A part's entry as read from the cache (one written after its request's answer was pickled then)."""
    return pickle.loads(found) if isinstance(found, bytes) else found  # noqa: S301 - our own cache's entry


def _fresh_until() -> float:
    """When a page or part kept now goes stale with time alone: after half to all of ``PAGE_CACHE_TIMEOUT``,
    drawn by chance, so that values made together are not all rebuilt together."""
    return timezone.now().timestamp() + settings.PAGE_CACHE_TIMEOUT * random.uniform(0.5, 1.0)  # noqa: S311


def _stored_for() -> int:
    """How long the cache holds a page or part: past its freshness, so a stale one can be served while one
    request rebuilds it."""
    return 2 * settings.PAGE_CACHE_TIMEOUT


def _earliest(*times: float | None) -> float | None:
    known = [time for time in times if time is not None]
    return min(known) if known else None


@dataclass
class KeptParts:
    """What the kept parts of one rendering used: their tags' versions and the earliest expiry.

    ``keepable`` turns false when a part could not vouch for its value (a stale one served while
    another request rebuilt it, a tag read twice at two versions, the cache not answering).
    """

    versions: dict[str, str] = field(default_factory=dict)
    expires: float | None = None
    keepable: bool = True

    def add(self, versions: dict[str, str | None] | None, until: float | None) -> None:
        if versions is None or None in versions.values():
            self.keepable = False
            return
        for tag, version in versions.items():
            if self.versions.setdefault(tag, version) != version:
                self.keepable = False
        if until is not None:
            self.expires = until if self.expires is None else min(self.expires, until)


_collecting: ContextVar[KeptParts | None] = ContextVar("peerlearn_kept_parts", default=None)


@contextmanager
def collecting_parts() -> Iterator[KeptParts]:
    """Collect what every :func:`cached_part` call inside the block used (see :class:`KeptParts`)."""
    collected = KeptParts()
    token = _collecting.set(collected)
    try:
        yield collected
    finally:
        _collecting.reset(token)


def _report(versions: dict[str, str | None] | None, until: float | None) -> None:
    collected = _collecting.get()
    if collected is not None:
        collected.add(versions, until)


def clear_page_cache() -> None:
    """Make every stored page stale (the ``site`` tag is on all of them)."""
    bump("site")


def _tag_key(tag: str) -> str:
    return f"{PREFIX}tag:{tag}"


def _versions(tags: Iterable[str]) -> dict[str, str | None]:
    keys = {_tag_key(tag): tag for tag in tags}
    found = cache.get_many(list(keys))
    return {tag: found.get(key) for key, tag in keys.items()}


def _shareable_cookies() -> set[str]:
    return {settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME, *SHAREABLE_COOKIES}


def is_visitor(request: HttpRequest) -> bool:
    """A ``GET`` without a token and without cookies but the shareable ones (no session): a visitor's."""
    return visitor_asks(request.method, "HTTP_AUTHORIZATION" in request.META, request.COOKIES)


def visitor_asks(method: str | None, authorized: bool, cookies: Iterable[str]) -> bool:
    """:func:`is_visitor` from a request's parts, for a server that has not made the request yet."""
    return method == "GET" and not authorized and set(cookies) <= _shareable_cookies()


def _key(request: HttpRequest) -> str | None:
    try:
        host = request.get_host()
    except DisallowedHost:
        return None
    parts = [
        request.scheme,
        host,
        request.get_full_path(),
        translation.get_language_from_request(request),
        *(request.COOKIES.get(name, "") for name in SHAREABLE_COOKIES),
    ]
    return PREFIX + "page:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    if getattr(request, "_page_cache_tags", None) is None or response.status_code != 200 or response.streaming:
        return False
    if response.cookies or not response.get("Content-Type", "").startswith("text/html"):
        return False
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return False
    control = {part.strip().lower() for part in cc_delim_re.split(response.get("Cache-Control", ""))}
    if control & {"private", "no-store", "no-cache"}:
        return False
    varies = {part.strip().lower() for part in cc_delim_re.split(response.get("Vary", "")) if part.strip()}
    return varies <= SHAREABLE_VARY


def _take_live_parts(request: HttpRequest, response: HttpResponse) -> tuple[bytes | None, list]:
    """Remove the live parts' markers from the answer; return the body to keep (placeholders) and the parts."""
    if response.streaming or not getattr(request, "_live_parts", None):
        return None, []
    sent, kept, parts = live_parts.split(request, response.content)
    response.content = sent
    if response.has_header("Content-Length"):
        response["Content-Length"] = str(len(sent))
    return kept, parts


def _store(
    key: str,
    request: HttpRequest,
    response: HttpResponse,
    recorded: list,
    kept_body: bytes | None = None,
    parts: list | None = None,
) -> None:
    tags = request._page_cache_tags
    versions = _versions(tags)
    missing = [tag for tag, version in versions.items() if version is None]
    if missing:
        for tag in missing:
            cache.add(_tag_key(tag), secrets.token_hex(6), timeout=None)
        versions = _versions(tags)
        if None in versions.values():  # the cache is not answering: nothing to keep
            return
    body, headers = stored_form(request, response, kept_body)
    entry = {
        "versions": versions,
        "body": body,
        "headers": headers,
        "events": recorded,
        "live": parts or [],
        "fresh_until": _fresh_until(),
    }
    cache.set(key, entry, timeout=_stored_for())
    _remember_tags(key, versions)


#: Each page address's tags, learnt when it is stored or served: a hit then reads the page and
#: its tags' versions in one cache round trip. Bounded: forgotten wholesale past _TAGS_KEPT.
_tags_of: dict[str, tuple[str, ...]] = {}
_TAGS_KEPT = 10_000


def _lookup(key: str) -> tuple[object, dict[str, str | None] | None]:
    """The stored entry at ``key`` and its tags' current versions (None: not known yet)."""
    tags = _tags_of.get(key)
    if tags is None:
        return cache.get(key), None
    tag_keys = {_tag_key(tag): tag for tag in tags}
    found = cache.get_many([key, *tag_keys])
    return found.get(key), {tag: found.get(tag_key) for tag_key, tag in tag_keys.items()}


def _remember_tags(key: str, tags: Iterable[str]) -> None:
    if len(_tags_of) >= _TAGS_KEPT:
        _tags_of.clear()
    _tags_of[key] = tuple(tags)


def _serve(key: str, request: HttpRequest) -> HttpResponse | None:
    """The stored page for ``key``; ``None`` when this request is to build it (none stored, or stale and
    no other request rebuilding it: then this one holds the rebuild, see :func:`_rebuilding`)."""
    entry, versions = _lookup(key)
    if not isinstance(entry, dict):
        return None
    if versions is None or set(versions) != set(entry["versions"]):
        versions = _versions(entry["versions"])
        _remember_tags(key, entry["versions"])
    state = "hit"
    expired = timezone.now().timestamp() >= entry.get("fresh_until", float("inf"))
    if versions != entry["versions"] or expired:
        if _claim_rebuild(key):
            request._page_cache_rebuilding = key
            return None
        state = "stale"
    return answer_from(request, entry, live_parts.fill(entry["body"], entry.get("live") or []), state)


def stored_form(request: HttpRequest, response: HttpResponse, body: bytes | None = None) -> tuple[bytes, list]:
    """A response as a cache keeps it: its body with the CSP nonce as a placeholder, the headers worth keeping."""
    body = response.content if body is None else body
    nonce = getattr(request, "csp_nonce", "")
    if nonce:
        body = body.replace(nonce.encode(), NONCE_PLACEHOLDER)
    return body, [(name, value) for name, value in response.items() if name.lower() not in _NOT_STORED]


def answer_from(request: HttpRequest, entry: dict, body: bytes, state: str) -> HttpResponse:
    """A kept page (``body``, from ``entry``) as this request's answer: its own nonce, the kept headers,
    ``X-Page-Cache: state``, and the page's behaviour events recorded again."""
    nonce = getattr(request, "csp_nonce", "")
    if nonce:
        body = body.replace(NONCE_PLACEHOLDER, nonce.encode())
    response = HttpResponse(body, status=200)
    for name, value in entry["headers"]:
        response[name] = value
    response[HEADER] = state
    for name, data in entry["events"]:
        events.record_later(name, **data)
    return response


def _claim_rebuild(key: str) -> bool:
    """Whether this request may rebuild the stale value at ``key`` (no other request is doing it)."""
    return bool(cache.add(key + ":rebuilding", 1, timeout=REBUILD_SECONDS))


def _release_rebuild(key: str) -> None:
    cache.delete(key + ":rebuilding")


class AnonymousPageCacheMiddleware:
    """Serve visitors' pages from the cache; keep the ones a view opted in (see the module's docstring).

    Sits after the CSP middleware (which gives each hit its nonce) and before the
    session, CSRF and authentication middleware, which a hit never needs.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not settings.PAGE_CACHE_ENABLED or not is_visitor(request):
            return self.get_response(request)
        key = _key(request)
        if key is None:
            return self.get_response(request)
        hit = _serve(key, request)
        if hit is not None:
            return hit
        live_parts.collect(request)
        try:
            with events.capturing_behaviour() as recorded:
                response = self.get_response(request)
            kept_body, parts = _take_live_parts(request, response)
            if _storable(request, response):
                _store(key, request, response, recorded, kept_body, parts)
                response[HEADER] = "miss"
        finally:
            if getattr(request, "_page_cache_rebuilding", None):
                _release_rebuild(key)
        return response
