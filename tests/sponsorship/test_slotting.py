"""The slotting step alone: at most one sponsored item in every five, organic order kept, never alone."""

from __future__ import annotations

import pytest

from core.sponsorship.slotting import Slot, interleave, sponsored_room, within_cap


@pytest.mark.parametrize("organic_count", range(0, 26))
@pytest.mark.parametrize("sponsored_count", [0, 1, 2, 5, 12])
def test_cap_order_and_no_sponsored_without_organic(organic_count, sponsored_count):
    organic = [f"o{n}" for n in range(organic_count)]
    sponsored = [f"s{n}" for n in range(sponsored_count)]
    slots = interleave(organic, sponsored)
    assert within_cap(slots)
    assert [s.item for s in slots if not s.sponsored] == organic
    placed = [s.item for s in slots if s.sponsored]
    assert placed == sponsored[: len(placed)]
    assert len(placed) == min(sponsored_count, sponsored_room(organic_count))
    if organic_count == 0:
        assert slots == []
    if placed:  # every sponsored slot is the first of its block of five, never the last item alone
        assert all(n % 5 == 0 for n, s in enumerate(slots) if s.sponsored)
        assert not slots[-1].sponsored


def test_within_cap_catches_two_sponsored_in_five():
    slots = [Slot("a", True), Slot("b"), Slot("c"), Slot("d", True), Slot("e")]
    assert not within_cap(slots)
