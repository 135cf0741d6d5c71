"""Shared kept parts a process holds for a few seconds, so a hit costs no cache round trip.

Some parts are the same for everyone and change only when an editor saves
something: the booking policy, the default site, whether any campaign runs.
A signed-in request read each from Redis (``core.pages.cache.cached_part``):
a recommendation answer made six round trips, three of them for such parts,
and a booking about as many. Each costs CPU in the process and, on a full
machine, a wait for Redis to be scheduled.

``cached_part(..., in_process=True)`` keeps such a part here, with the tags'
versions it was read at and its expiry, for :data:`SECONDS`. A change saved in
this process drops it at once (:func:`drop`, from ``bump``); one saved in
another process shows here within :data:`SECONDS`, as the sites and themes do
(``core.themes.middleware``). Never for a person's own parts: the next request
of the same person may come to another process.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from threading import Lock
from time import monotonic

#: How long a process trusts a shared part it read, in seconds.
SECONDS = 5.0
#: Parts held at most (a handful in practice: one per site, day or filter); all are dropped when full.
MOST = 1000


@dataclass(frozen=True)
class Held:
    value: object
    versions: dict[str, str]
    until: float | None  # the part's own expiry (a Unix time), as cached_part reports it
    read_until: float  # monotonic: when this process reads it from the cache again


_held: dict[str, Held] = {}
_lock = Lock()


def get(key: str) -> Held | None:
    held = _held.get(key)
    if held is None or monotonic() >= held.read_until:
        return None
    return held


def put(key: str, value: object, versions: dict[str, str], until: float | None) -> None:
    with _lock:
        if len(_held) >= MOST:
            _held.clear()
        _held[key] = Held(value, dict(versions), until, monotonic() + SECONDS)


def drop(tags: Iterable[str]) -> None:
    """Forget every held part that named one of ``tags`` (they were just bumped in this process)."""
    bumped = set(tags)
    with _lock:
        for key in [key for key, held in _held.items() if bumped.intersection(held.versions)]:
            del _held[key]


def forget() -> None:
    """Forget every held part (a cleared cache: tests)."""
    with _lock:
        _held.clear()
