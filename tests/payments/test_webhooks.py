"""Webhooks end to end: HTTP delivery, verification, deduplication, order, amounts, the ledger."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from core.payments.models import LedgerEntry, Payment, Refund, WebhookEventRecord
from core.payments.services import checkout
from core.payments.services.ledger import balances
from core.scheduling.models import Booking

from .helpers import assert_balanced

pytestmark = pytest.mark.django_db


def _pay(booking, harness, gateway="stripe"):
    started = checkout.start_payment(booking, gateway, user=booking.learner)
    charge = harness.complete(started.start)
    return started, charge


def test_success_webhook_confirms_the_booking_and_writes_the_ledger(stripe, booking_factory, deliver):
    booking = booking_factory(price_minor=4_000)
    started, charge = _pay(booking, stripe)
    response = deliver("stripe", stripe.succeeded_event(started.start, charge))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed"
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.status == Payment.SUCCEEDED
    assert payment.charge_reference == charge
    kinds = dict(LedgerEntry.objects.filter(booking=booking).values_list("kind", "amount_minor"))
    assert kinds == {"charge": 4_000, "commission": 480, "mentor_earning": 3_520}
    assert_balanced(booking, stripe, started.start)


def test_the_browser_redirect_alone_never_confirms(stripe, booking_factory, client):
    booking = booking_factory()
    started, _charge = _pay(booking, stripe)
    client.force_login(booking.learner)
    response = client.get(f"/payments/checkout/{booking.pk}/result/")
    assert response.status_code == 200
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_PAYMENT
    assert not LedgerEntry.objects.filter(booking=booking).exists()
    status = client.get(f"/payments/checkout/{booking.pk}/status/").json()
    assert status["status"] == "pending_payment" and status["final"] is False


def test_duplicate_delivery_is_acknowledged_and_changes_nothing(stripe, booking_factory, deliver):
    booking = booking_factory()
    started, charge = _pay(booking, stripe)
    webhook = stripe.succeeded_event(started.start, charge)
    assert deliver("stripe", webhook).json()["status"] == "processed"
    again = deliver("stripe", webhook)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").count() == 1
    assert WebhookEventRecord.objects.filter(gateway="stripe").count() == 1
    assert_balanced(booking, stripe, started.start)


def test_a_second_success_event_with_another_id_is_not_charged_twice(stripe, booking_factory, deliver):
    booking = booking_factory()
    started, charge = _pay(booking, stripe)
    deliver("stripe", stripe.succeeded_event(started.start, charge))
    response = deliver("stripe", stripe.succeeded_event(started.start, charge))
    assert response.json()["status"] == "processed"
    assert "already" in response.json()["detail"]
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").count() == 1


def test_forged_signature_answers_400_and_records_nothing(stripe, booking_factory, deliver):
    booking = booking_factory()
    started, charge = _pay(booking, stripe)
    response = deliver("stripe", stripe.forge(stripe.succeeded_event(started.start, charge)))
    assert response.status_code == 400
    assert "signature" in response.json()["detail"]
    stale = deliver("stripe", stripe.stale(stripe.succeeded_event(started.start, charge)))
    assert stale.status_code == 400
    assert not WebhookEventRecord.objects.exists()
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_PAYMENT
    # forged deliveries never trip the gateway's circuit breaker
    from core.plugins import breaker

    assert not breaker.is_open("payment_stripe")


def test_unknown_gateway_is_404(deliver):
    response = deliver("nope", (b"{}", {}))
    assert response.status_code == 404
    assert response.json()["code"] == "unknown_gateway"


def test_wrong_amount_is_rejected_for_review_and_booking_untouched(stripe, booking_factory, deliver):
    booking = booking_factory(price_minor=4_000)
    started, charge = _pay(booking, stripe)
    response = deliver("stripe", stripe.succeeded_event(started.start, charge, amount=100, amount_received=100))
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_PAYMENT
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.status != Payment.SUCCEEDED
    assert payment.needs_review and "100" in payment.review_reason
    assert not LedgerEntry.objects.exists()
    record = WebhookEventRecord.objects.get()
    assert record.status == WebhookEventRecord.REJECTED and record.payment_id == payment.pk


def test_wrong_currency_is_rejected(stripe, booking_factory, deliver):
    booking = booking_factory()
    started, charge = _pay(booking, stripe)
    response = deliver("stripe", stripe.succeeded_event(started.start, charge, currency="usd"))
    assert response.json()["status"] == "rejected"
    assert not LedgerEntry.objects.exists()


def test_unknown_reference_is_recorded_for_review(stripe, booking_factory, deliver):
    booking = booking_factory()
    started, charge = _pay(booking, stripe)
    response = deliver("stripe", stripe.succeeded_event(started.start, charge, id="pi_unknown123"))
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert WebhookEventRecord.objects.get().status == WebhookEventRecord.REJECTED
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_PAYMENT


def test_failure_leaves_the_booking_pending_and_a_retry_resumes(stripe, booking_factory, deliver):
    booking = booking_factory()
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    stripe.decline(started.start)
    response = deliver("stripe", stripe.failed_event(started.start))
    assert response.json()["status"] == "processed"
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_PAYMENT
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.status == Payment.FAILED
    assert "declined" in payment.failure_message.lower()
    again = checkout.start_payment(booking, "stripe", user=booking.learner)
    assert again.payment.pk == payment.pk
    assert again.start.reference == started.start.reference
    assert again.payment.status == Payment.REQUIRES_ACTION
    assert not LedgerEntry.objects.exists()


def test_failure_after_success_is_ignored(stripe, booking_factory, deliver):
    booking = booking_factory()
    started, charge = _pay(booking, stripe)
    failed = stripe._event(
        "payment_intent.payment_failed",
        {**stripe._intent(started.start.reference), "status": "requires_payment_method"},
    )
    deliver("stripe", stripe.succeeded_event(started.start, charge))
    assert deliver("stripe", failed).json()["status"] == "ignored"
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert Payment.objects.get(pk=started.payment.pk).status == Payment.SUCCEEDED


def test_refund_event_before_the_success_waits_then_applies(stripe, booking_factory, deliver):
    booking = booking_factory(price_minor=5_000)
    started, charge = _pay(booking, stripe)
    succeeded = stripe.succeeded_event(started.start, charge)
    # a refund made in Stripe's dashboard, whose event overtakes the success
    stripe.client.v1.refunds.create(params={"payment_intent": started.start.reference, "amount": 2_000})
    refunded = stripe.refunded_event(started.start, None)
    first = deliver("stripe", refunded)
    assert first.json()["status"] == "deferred"
    assert not LedgerEntry.objects.exists()
    deliver("stripe", succeeded)
    record = WebhookEventRecord.objects.get(raw_type="charge.refunded")
    assert record.status == WebhookEventRecord.PROCESSED
    assert "after waiting" in record.message
    refund = Refund.objects.get()
    assert (refund.amount_minor, refund.reason, refund.status) == (2_000, Refund.GATEWAY, Refund.SUCCEEDED)
    assert_balanced(booking, stripe, started.start)
    assert balances(booking=booking).platform == 600 - 240  # 12 % of 5000, minus 12 % of 2000


def test_success_after_expiry_is_refunded_automatically(
    stripe, booking_factory, deliver, django_capture_on_commit_callbacks
):
    from core.scheduling.services.bookings import expire_booking

    booking = booking_factory(price_minor=3_000)
    started, charge = _pay(booking, stripe)
    expire_booking(booking, now=timezone.now() + timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver("stripe", stripe.succeeded_event(started.start, charge))
    assert "refunded in full" in response.json()["detail"]
    booking.refresh_from_db()
    assert booking.status == Booking.EXPIRED
    refund = Refund.objects.get()
    assert (refund.reason, refund.status, refund.amount_minor) == (Refund.LATE_PAYMENT, Refund.SUCCEEDED, 3_000)
    assert_balanced(booking, stripe, started.start)
    assert balances(booking=booking).held == 0
    # Stripe then reports the refund: recognised, not counted twice
    assert deliver("stripe", stripe.refunded_event(started.start, None)).json()["status"] == "processed"
    assert Refund.objects.count() == 1
    assert_balanced(booking, stripe, started.start)


def test_success_after_cancellation_can_be_held_for_review(
    stripe, booking_factory, deliver, learner, django_capture_on_commit_callbacks
):
    from wagtail.models import Site

    from core.payments.models import PaymentSettings
    from core.scheduling.services.bookings import cancel_booking

    settings = PaymentSettings.for_site(Site.objects.get(is_default_site=True))
    settings.late_payment_action = PaymentSettings.REVIEW
    settings.save()
    booking = booking_factory()
    started, charge = _pay(booking, stripe)
    cancel_booking(booking, learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver("stripe", stripe.succeeded_event(started.start, charge))
    assert "held for review" in response.json()["detail"]
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.needs_review and payment.status == Payment.SUCCEEDED
    assert not Refund.objects.exists()
    assert_balanced(booking, stripe, started.start)  # the money is in the ledger, not lost


def test_a_second_payment_for_one_booking_is_refunded(
    stripe, razorpay, booking_factory, deliver, configure_gateway, django_capture_on_commit_callbacks
):
    configure_gateway(razorpay, currencies="INR,EUR")
    booking = booking_factory(price_minor=4_000)
    first, charge = _pay(booking, stripe)
    second = checkout.start_payment(booking, "razorpay", user=booking.learner)
    rzp_charge = razorpay.complete(second.start)
    deliver("stripe", stripe.succeeded_event(first.start, charge))
    with django_capture_on_commit_callbacks(execute=True):
        response = deliver("razorpay", razorpay.succeeded_event(second.start, rzp_charge))
    assert "second payment" in response.json()["detail"]
    refund = Refund.objects.get()
    assert refund.payment_id == second.payment.pk and refund.reason == Refund.DUPLICATE
    assert razorpay.holds(second.start) == 0
    totals = balances(booking=booking)
    assert totals.held == stripe.holds(first.start) + razorpay.holds(second.start) == 4_000
    assert totals.balanced


def test_event_payloads_keep_no_secrets(stripe, booking_factory, deliver):
    booking = booking_factory()
    started, charge = _pay(booking, stripe)
    deliver("stripe", stripe.succeeded_event(started.start, charge))
    payload = WebhookEventRecord.objects.get().payload
    text = json.dumps(payload)
    assert "client_secret" not in text and "whsec" not in text
    assert set(payload) == {f.name for f in dataclasses.fields(__import__("core.plugins").plugins.WebhookEvent)}
