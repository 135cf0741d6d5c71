"""Assertions shared by the payment tests."""

from __future__ import annotations


def assert_balanced(booking, harness, start) -> None:
    """The ledger's cash for the booking equals what the gateway holds; the split adds up."""
    from core.payments.services.ledger import balances

    totals = balances(booking=booking)
    assert totals.held == harness.holds(start), (totals, harness.holds(start))
    assert totals.balanced, totals
