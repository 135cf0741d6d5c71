"""On PostgreSQL: concurrent webhook deliveries give one ledger charge; the ledger trigger refuses changes.

Run with ``DATABASE_URL=postgres://... REDIS_URL=redis://... python -m pytest -m realstack tests/payments``.
"""

from __future__ import annotations

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.test import Client

from core.payments.models import LedgerEntry, Payment, Refund, WebhookEventRecord
from core.payments.services import checkout, refunds
from core.scheduling.models import Booking

from .helpers import assert_balanced

pytestmark = [pytest.mark.realstack, pytest.mark.django_db(transaction=True)]


def _deliver_concurrently(gateway: str, webhooks: list[tuple[bytes, dict[str, str]]]) -> list[tuple[int, dict]]:
    """POST every webhook at the same instant, each from its own thread and database connection."""
    barrier = threading.Barrier(len(webhooks))
    results: list[tuple[int, dict]] = [None] * len(webhooks)  # type: ignore[list-item]

    def post(index: int, webhook) -> None:
        body, headers = webhook
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        client = Client()
        try:
            barrier.wait(timeout=30)
            response = client.generic(
                "POST", f"/payments/webhooks/{gateway}/", body, content_type="application/json", **extra
            )
            results[index] = (response.status_code, response.json())
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(i, w)) for i, w in enumerate(webhooks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_five_concurrent_deliveries_of_one_event_give_one_charge(stripe, booking_factory):
    booking = booking_factory(price_minor=4_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    webhook = stripe.succeeded_event(started.start, stripe.complete(started.start))
    results = _deliver_concurrently("stripe", [webhook] * 5)
    assert all(status == 200 for status, _ in results), results
    statuses = sorted(body["status"] for _, body in results)
    assert statuses == ["duplicate"] * 4 + ["processed"], statuses
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").count() == 1
    assert WebhookEventRecord.objects.count() == 1
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert_balanced(booking, stripe, started.start)


def test_five_different_success_events_for_one_payment_give_one_charge(stripe, booking_factory):
    booking = booking_factory(price_minor=4_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    charge = stripe.complete(started.start)
    webhooks = [stripe.succeeded_event(started.start, charge) for _ in range(5)]  # five event ids
    results = _deliver_concurrently("stripe", webhooks)
    assert [status for status, _ in results] == [200] * 5
    assert sum(1 for _, body in results if body["detail"].startswith("Payment recorded")) == 1
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").count() == 1
    assert WebhookEventRecord.objects.count() == 5
    assert_balanced(booking, stripe, started.start)


def test_concurrent_refund_events_and_a_staff_refund_count_once(stripe, booking_factory, deliver, staff):
    booking = booking_factory(price_minor=6_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    deliver("stripe", stripe.succeeded_event(started.start, stripe.complete(started.start)))
    refund = refunds.refund_booking(booking, 2_000, by=staff)
    refunded = stripe.refunded_event(started.start, None)
    results = _deliver_concurrently("stripe", [refunded] * 3 + [stripe.refunded_event(started.start, None)] * 2)
    assert all(status == 200 for status, _ in results)
    assert Refund.objects.get().pk == refund.pk
    assert LedgerEntry.objects.filter(booking=booking, kind="refund").count() == 1
    assert_balanced(booking, stripe, started.start)


def test_the_database_refuses_to_change_the_ledger(stripe, booking_factory, deliver):
    booking = booking_factory()
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    deliver("stripe", stripe.succeeded_event(started.start, stripe.complete(started.start)))
    entry = LedgerEntry.objects.first()
    for sql in (
        "UPDATE payments_ledgerentry SET amount_minor = 1 WHERE id = %s",
        "DELETE FROM payments_ledgerentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert LedgerEntry.objects.get(pk=entry.pk).amount_minor == entry.amount_minor
    assert Payment.objects.get(pk=started.payment.pk).status == Payment.SUCCEEDED
