"""Seat counts that stay live inside a visitor's kept page, so a booking does not make the page stale.

Under a crowd that books, every booking made its mentor's page and its session's
page stale, and the next visitor rebuilt them (a mentor page: ~40 ms of CPU):
about a fifth of the web workers' time went to rebuilding pages whose only
change was "2 seats, 1 taken". Now the few words that depend on seats are
*live parts*: a template marks them with ``{% live_seats %}`` (the
``live_parts`` tag library), the stored page keeps a placeholder for each, and
every answer from the cache renders them from the current counts.

* The counts live in the cache per session (``pagecache:seats:<id>``: seats
  taken and seats left for a visitor), written when a booking or a waitlist
  offer commits (:func:`refresh_seats`); missing ones are counted on the next hit
  (two queries for all of a page's sessions). They live :data:`SEATS_SECONDS` at
  most, so an offer that lapses by itself shows within that time.
* A part is rendered with its template, the page's language and the values the
  page gave it (capacity, price...), plus ``seats_taken`` and ``seats_left``;
  renderings are memoised per those values, so a hit renders nothing new.
* Only pages the anonymous cache is about to keep carry markers; every answer
  leaves with the markers removed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import translation

SEATS_PREFIX = "pagecache:seats:"
#: The longest a kept seat count is trusted (a waitlist offer lapses without a save).
SEATS_SECONDS = 60
_MARK = re.compile(rb"\x00live:(\d+)\x00(.*?)\x00/live:\1\x00", re.DOTALL)
_PLACEHOLDER = re.compile(rb"\x00live:(\d+)\x00")
_rendered: dict[tuple, str] = {}
_RENDERED_KEPT = 5_000


@dataclass(frozen=True)
class LivePart:
    """One marked place of a page: what to render there from a session's current seats."""

    template: str
    session_id: int
    language: str
    values: tuple[tuple[str, object], ...]


def collect(request: HttpRequest) -> None:
    """Let ``{% live_seats %}`` mark its parts in this request's page (the page cache will keep it)."""
    request._live_parts = []


def mark(request: HttpRequest | None, part: LivePart, html: str) -> str:
    """``html`` as this page's live part ``part``, marked when the page is being kept."""
    parts = getattr(request, "_live_parts", None) if request is not None else None
    if parts is None:
        return html
    parts.append(part)
    index = len(parts) - 1
    return f"\x00live:{index}\x00{html}\x00/live:{index}\x00"


def split(request: HttpRequest, body: bytes) -> tuple[bytes, bytes, list[LivePart]]:
    """The answer to send (markers removed), the page to keep (placeholders) and its parts."""
    parts = getattr(request, "_live_parts", None) or []
    if not parts:
        return body, body, []
    sent = _MARK.sub(lambda m: m.group(2), body)
    kept = _MARK.sub(lambda m: b"\x00live:" + m.group(1) + b"\x00", body)
    return sent, kept, parts


def fill(body: bytes, parts: list[LivePart]) -> bytes:
    """A kept page with each placeholder rendered from the current seat counts."""
    if not parts:
        return body
    counts = seats({part.session_id for part in parts})

    def render(match: re.Match) -> bytes:
        part = parts[int(match.group(1))]
        taken, left = counts.get(part.session_id, (0, 0))
        return render_part(part, taken, left).encode()

    return _PLACEHOLDER.sub(render, body)


def render_part(part: LivePart, taken: int, left: int) -> str:
    """The part's HTML for these counts (what the page shows on its first rendering and on every hit)."""
    key = (part.template, part.language, part.values, taken, left)
    html = _rendered.get(key)
    if html is None:
        with translation.override(part.language):
            html = render_to_string(part.template, {**dict(part.values), "seats_taken": taken, "seats_left": left})
        if len(_rendered) >= _RENDERED_KEPT:
            _rendered.clear()
        _rendered[key] = html
    return html


def seats(session_ids: set[int]) -> dict[int, tuple[int, int]]:
    """Each session's (seats taken, seats left for a visitor), from the cache, counting the missing ones."""
    found = cache.get_many([SEATS_PREFIX + str(pk) for pk in session_ids])
    counts = {pk: tuple(found[SEATS_PREFIX + str(pk)]) for pk in session_ids if SEATS_PREFIX + str(pk) in found}
    missing = session_ids - counts.keys()
    if missing:
        counts.update(refresh_seats(missing))
    return counts


def refresh_seats(session_ids) -> dict[int, tuple[int, int]]:
    """Count the sessions' seats again and keep the counts (after a booking or an offer commits).

    Only while pages are kept (``PAGE_CACHE_ENABLED``): otherwise nothing reads the counts, and a
    booking costs no extra query.
    """
    from core.scheduling.services.bookings import seat_counts

    if not settings.PAGE_CACHE_ENABLED:
        return {}
    counts = seat_counts(session_ids)
    cache.set_many({SEATS_PREFIX + str(pk): value for pk, value in counts.items()}, timeout=SEATS_SECONDS)
    return counts
