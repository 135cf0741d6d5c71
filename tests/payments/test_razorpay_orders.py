"""Razorpay orders are made once per payment attempt, even when the answer to the first creation is lost.

Razorpay's orders API has no idempotency key: the plugin makes our key the
order's ``receipt`` and looks for an order with that receipt before creating
one. The local Razorpay server (tests/plugins/payments/servers.py) can hold
back its answer to a creation after making the order, as in an outage.
"""

from __future__ import annotations

import time
import uuid

import pytest

from core.payments.errors import GatewayUnavailable
from core.payments.models import Payment
from core.payments.services import checkout
from core.plugins import GatewayError, PaymentRequest
from core.scheduling.models import Booking

pytestmark = pytest.mark.django_db


def _request(key: str | None = None, **changes) -> PaymentRequest:
    values = {
        "booking_id": 7,
        "amount_minor": 150_000,
        "currency": "INR",
        "idempotency_key": key or f"pl-pay-7-{uuid.uuid4().hex[:24]}",
        "description": "A session",
    }
    values.update(changes)
    return PaymentRequest(**values)


def _order_creations(razorpay) -> int:
    return sum(1 for request in razorpay.server.requests if request == ("POST", "/v1/orders"))


@pytest.fixture
def gateway(razorpay, configure_gateway):
    # One second: the shortest timeout the setting takes, so a stalled answer is given up quickly.
    return configure_gateway(razorpay, currencies="INR", timeout_seconds=1)


def test_starting_twice_for_one_key_makes_one_order(gateway, razorpay):
    request = _request()
    created_before = _order_creations(razorpay)
    first, again = gateway.start_payment(request), gateway.start_payment(request)
    assert first.reference == again.reference and again.status == "requires_action"
    assert [o["id"] for o in razorpay.server.orders_with_receipt(request.idempotency_key)] == [first.reference]
    assert _order_creations(razorpay) == created_before + 1


def test_a_retry_after_a_lost_answer_reuses_the_order_made_then(gateway, razorpay):
    request = _request()
    razorpay.server.stalled_creates.append(3.0)
    started = time.monotonic()
    with pytest.raises(GatewayError, match="could not be reached"):
        gateway.start_payment(request)
    assert time.monotonic() - started < 2.5, "the client gives up at its timeout"
    [made] = razorpay.server.orders_with_receipt(request.idempotency_key)  # made, though the answer was lost

    retried = gateway.start_payment(request)
    assert retried.reference == made["id"] and retried.client_data["order_id"] == made["id"]
    assert len(razorpay.server.orders_with_receipt(request.idempotency_key)) == 1


def test_a_paid_order_for_the_key_is_reported_paid_not_made_again(gateway, razorpay):
    request = _request()
    first = gateway.start_payment(request)
    razorpay.complete(first)
    again = gateway.start_payment(request)
    assert again.reference == first.reference and again.status == "succeeded"
    assert len(razorpay.server.orders_with_receipt(request.idempotency_key)) == 1


def test_keys_alike_in_their_first_40_characters_get_their_own_orders(gateway, razorpay):
    stem = "pl-pay-7-" + "a" * 31  # 40 characters: Razorpay's limit for a receipt
    first, second = gateway.start_payment(_request(stem + "x")), gateway.start_payment(_request(stem + "y"))
    assert first.reference != second.reference
    assert len(razorpay.server.orders_with_receipt(stem)) == 2
    assert gateway.start_payment(_request(stem + "y")).reference == second.reference


def test_checkout_retry_after_a_lost_answer_leaves_one_order_and_pays_it(razorpay, gateway, booking_factory, deliver):
    booking = booking_factory(price_minor=150_000, currency="INR")
    razorpay.server.stalled_creates.append(3.0)
    with pytest.raises(GatewayUnavailable):
        checkout.start_payment(booking, "razorpay", user=booking.learner)
    payment = Payment.objects.get(booking=booking)
    assert payment.reference == "" and payment.status == Payment.CREATED

    started = checkout.start_payment(booking, "razorpay", user=booking.learner)
    [order] = razorpay.server.orders_with_receipt(payment.idempotency_key[:40])
    assert started.payment.pk == payment.pk and started.payment.reference == order["id"]
    assert started.payment.status == Payment.REQUIRES_ACTION

    charge = razorpay.complete(started.start)
    assert deliver("razorpay", razorpay.succeeded_event(started.start, charge)).status_code == 200
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert Payment.objects.get(pk=payment.pk).status == Payment.SUCCEEDED


def test_a_key_secret_no_configured_key_decrypts_leaves_razorpay_off_not_the_page_broken(
    harness_for, configure_gateway, booking_factory, client, settings, caplog
):
    from wagtail.models import Site

    from core.payments.services.gateways import enabled_gateways
    from core.plugins import config

    settings.PEERLEARN_SECRETS_KEY = "before-" + "b" * 50
    configure_gateway(harness_for("payment_razorpay"), currencies="INR")
    settings.PEERLEARN_SECRETS_KEY = "after-" + "a" * 50  # the key the secrets were sealed with is gone
    site = Site.objects.get(is_default_site=True)
    config.invalidate(site.pk)

    booking = booking_factory(price_minor=150_000, currency="INR")
    client.force_login(booking.learner)
    page = client.get(f"/payments/checkout/{booking.pk}/")
    assert page.status_code == 200 and 'value="razorpay"' not in page.content.decode()
    assert "razorpay" not in {routed.identifier for routed in enabled_gateways(site.pk)}
    assert "payment_razorpay" in caplog.text and "'key_secret'" in caplog.text and "cannot be decrypted" in caplog.text
    assert client.post(f"/payments/checkout/{booking.pk}/", {"gateway": "razorpay"}).status_code == 400
