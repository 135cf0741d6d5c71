"""On PostgreSQL: a coupon's last use is taken exactly once; receipt numbers stay gap-free under concurrency.

Run with ``DATABASE_URL=postgres://... REDIS_URL=redis://... scripts/test -m realstack tests/pricing``.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from core.pricing.errors import CouponRefused
from core.pricing.models import Coupon, CouponRedemption, Receipt

pytestmark = [pytest.mark.realstack, pytest.mark.django_db(transaction=True)]


def _at_once(count: int, work) -> list:
    """Run ``work(i)`` in ``count`` threads released at the same instant, each with its own connection."""
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as exc:  # noqa: BLE001 - the result under test
            results[index] = exc
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_twenty_simultaneous_uses_of_the_last_use_one_wins(booking_factory, coupon_factory, user_factory):
    from core.pricing.services import coupons

    coupon_factory("LASTONE", max_uses=5)
    Coupon.objects.filter(code="LASTONE").update(uses=4)  # one use left
    bookings = [booking_factory(price_minor=4_000, who=user_factory()) for _ in range(20)]
    results = _at_once(20, lambda i: coupons.apply(bookings[i].pk, "LASTONE", user=bookings[i].learner))
    won = [r for r in results if isinstance(r, CouponRedemption)]
    refused = [r for r in results if isinstance(r, CouponRefused)]
    assert len(won) == 1 and len(refused) == 19, results
    assert {r.code for r in refused} == {"coupon_used_up"}
    assert Coupon.objects.get(code="LASTONE").uses == 5
    assert CouponRedemption.objects.count() == 1


def test_concurrent_payments_get_consecutive_receipt_numbers(stripe, revenue, booking_factory, user_factory, pay):
    from core.payments.services import checkout

    revenue(fee_percent="5")
    bookings = [booking_factory(price_minor=4_000, who=user_factory()) for _ in range(8)]
    webhooks = []
    for booking in bookings:
        started = checkout.start_payment(booking, "stripe", user=booking.learner)
        webhooks.append(stripe.succeeded_event(started.start, stripe.complete(started.start)))

    from django.test import Client

    def deliver(index: int) -> int:
        body, headers = webhooks[index]
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        return (
            Client()
            .generic("POST", "/payments/webhooks/stripe/", body, content_type="application/json", **extra)
            .status_code
        )

    assert _at_once(len(webhooks), deliver) == [200] * len(webhooks)
    sequences = sorted(Receipt.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, len(bookings) + 1))
