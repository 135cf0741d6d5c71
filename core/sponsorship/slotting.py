"""The slotting step that runs after ranking: organic results keep their order, sponsored ones take marked slots.

Pure and separate from the ranker (and from any cache of the ranked list):
the first slot of every block of :data:`EVERY` results may be sponsored, so
no run of five consecutive results ever holds more than one sponsored item,
and a sponsored item is never placed without its organic neighbours (no
sponsored slot at all without organic results).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

#: At most one sponsored item in every five results.
EVERY = 5


@dataclass(frozen=True)
class Slot(Generic[T]):
    item: T
    sponsored: bool = False


def sponsored_room(organic_count: int, every: int = EVERY) -> int:
    """How many sponsored slots a list of ``organic_count`` results takes (one per ``every - 1`` organic)."""
    if organic_count <= 0:
        return 0
    return math.ceil(organic_count / (every - 1))


def interleave(organic: Sequence[T], sponsored: Sequence[T], every: int = EVERY) -> list[Slot[T]]:
    """Slots: a sponsored item first in each block of ``every``, while both kinds last; organic order kept."""
    sponsored = list(sponsored)[: sponsored_room(len(organic), every)]
    out: list[Slot[T]] = []
    organic_left = list(organic)
    while organic_left:
        if sponsored and len(out) % every == 0:
            out.append(Slot(sponsored.pop(0), sponsored=True))
        out.append(Slot(organic_left.pop(0)))
    return out


def within_cap(slots: Sequence[Slot], every: int = EVERY) -> bool:
    """Whether no ``every`` consecutive slots hold more than one sponsored item."""
    flags = [slot.sponsored for slot in slots]
    return all(sum(flags[i : i + every]) <= 1 for i in range(max(1, len(flags) - every + 1)))
