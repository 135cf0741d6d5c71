"""On PostgreSQL: learners drawing from one gift card at the same instant never overdraw it."""

from __future__ import annotations

import threading

import pytest
from django.db import connections

from core.plugins import CheckoutInputError
from plugins.payments.giftcard import balances
from plugins.payments.giftcard.models import GiftCard, GiftCardMovement

pytestmark = [pytest.mark.realstack, pytest.mark.django_db(transaction=True)]


def _race(calls) -> list[object]:
    """Run every call at the same instant, each on its own thread and database connection."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def run(index: int, call) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except Exception as exc:  # the outcome under test: collected, then asserted on
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_draws_never_overdraw_a_card():
    card = GiftCard.objects.create(currency="EUR", initial_minor=5_000)
    calls = [(lambda i=i: balances.draw(card.code, 2_000, "EUR", f"pl-pay-{i}-race", booking_id=i)) for i in range(6)]
    results = _race(calls)
    drawn = [r for r in results if isinstance(r, balances.Drawn)]
    refused = [r for r in results if isinstance(r, CheckoutInputError)]
    assert len(drawn) == 2 and len(refused) == 4, results
    card.refresh_from_db()
    assert card.balance_minor == 1_000
    assert GiftCardMovement.objects.filter(card=card).count() == 2


def test_a_draw_retried_concurrently_with_one_key_takes_the_money_once():
    card = GiftCard.objects.create(currency="EUR", initial_minor=5_000)
    results = _race([lambda: balances.draw(card.code, 2_000, "EUR", "pl-pay-1-same", booking_id=1)] * 4)
    assert all(isinstance(r, balances.Drawn) for r in results), results
    assert len({r.reference for r in results}) == 1
    card.refresh_from_db()
    assert card.balance_minor == 3_000
