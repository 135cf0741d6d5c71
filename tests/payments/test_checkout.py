"""Starting and resuming payments; the checkout pages; a gateway that is down fails closed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.payments.errors import (
    GatewayUnavailable,
    InvalidPayment,
    PaymentConflict,
    PaymentNotAllowed,
    UnknownGateway,
)
from core.payments.models import BookingCommission, LedgerEntry, Payment
from core.payments.services import checkout
from core.scheduling.models import Booking

pytestmark = pytest.mark.django_db


def test_start_creates_one_payment_and_resuming_returns_it(stripe, booking_factory):
    booking = booking_factory(price_minor=2_500)
    first = checkout.start_payment(booking, "stripe", user=booking.learner)
    assert first.payment.status == Payment.REQUIRES_ACTION
    assert first.payment.amount_minor == 2_500 and first.payment.currency == "EUR"
    assert first.client_data["client_secret"].startswith(first.start.reference)
    assert first.client_data["publishable_key"] == "pk_test_harness"
    again = checkout.start_payment(booking, "stripe", user=booking.learner)
    assert again.payment.pk == first.payment.pk
    assert again.payment.idempotency_key == first.payment.idempotency_key
    assert again.start.reference == first.start.reference
    assert Payment.objects.count() == 1


def test_commission_is_frozen_when_the_booking_is_made(stripe, booking_factory):
    from wagtail.models import Site

    from core.payments.models import PaymentSettings

    booking = booking_factory()
    assert BookingCommission.objects.get(booking=booking).rate_bp == 1200
    settings = PaymentSettings.for_site(Site.objects.get(is_default_site=True))
    settings.commission_percent = 15
    settings.save()
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    assert started.payment.commission_bp == 1200
    later = booking_factory()
    assert BookingCommission.objects.get(booking=later).rate_bp == 1500


def test_each_gateway_gets_its_own_payment(stripe, manual, booking_factory):
    booking = booking_factory()
    a = checkout.start_payment(booking, "stripe", user=booking.learner)
    b = checkout.start_payment(booking, "manual", user=booking.learner)
    assert a.payment.pk != b.payment.pk
    assert b.payment.status == Payment.PENDING
    assert b.client_data["reference"].startswith("PLT-")


@pytest.mark.parametrize(
    "case, error",
    [
        ("stranger", PaymentNotAllowed),
        ("free", PaymentConflict),
        ("unknown", UnknownGateway),
        ("expired_hold", PaymentConflict),
        ("cancelled", PaymentConflict),
    ],
)
def test_refusals_change_nothing(case, error, stripe, booking_factory, user_factory, learner, session_factory):
    from core.scheduling.services.bookings import book_session, cancel_booking

    booking = booking_factory()
    user, gateway = learner, "stripe"
    if case == "stranger":
        user = user_factory()
    elif case == "free":
        booking = book_session(session_factory(price_minor=0), user_factory())
        user = booking.learner
    elif case == "unknown":
        gateway = "paypal"
    elif case == "expired_hold":
        Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(minutes=1))
    elif case == "cancelled":
        cancel_booking(booking, learner)
    with pytest.raises(error) as caught:
        checkout.start_payment(booking, gateway, user=user)
    assert caught.value.message
    assert not Payment.objects.filter(booking=booking).exists()


def test_a_gateway_that_does_not_take_the_currency_is_refused(razorpay, configure_gateway, booking_factory):
    configure_gateway(razorpay, currencies="INR")
    booking = booking_factory(currency="EUR")
    with pytest.raises(InvalidPayment) as caught:
        checkout.start_payment(booking, "razorpay", user=booking.learner)
    assert caught.value.field == "gateway" and "EUR" in caught.value.message


def test_gateway_down_fails_closed_then_resumes_with_the_same_key(
    harness_for, configure_gateway, booking_factory, deliver
):
    harness = harness_for("payment_stripe")
    configure_gateway(harness, outage=True)
    booking = booking_factory()
    with pytest.raises(GatewayUnavailable) as caught:
        checkout.start_payment(booking, "stripe", user=booking.learner)
    assert "could not be reached" in caught.value.message
    payment = Payment.objects.get(booking=booking)
    assert payment.status == Payment.CREATED and payment.reference == ""
    assert "could not be reached" in payment.failure_message
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_PAYMENT
    assert not LedgerEntry.objects.exists()
    configure_gateway(harness)  # Stripe is back
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    assert started.payment.pk == payment.pk
    assert started.payment.idempotency_key == payment.idempotency_key
    assert started.payment.reference and started.payment.status == Payment.REQUIRES_ACTION


def test_a_cancelled_intent_starts_a_new_attempt(stripe, booking_factory):
    booking = booking_factory()
    first = checkout.start_payment(booking, "stripe", user=booking.learner)
    stripe.client.v1.payment_intents.cancel(first.start.reference)
    second = checkout.start_payment(booking, "stripe", user=booking.learner)
    assert second.payment.pk != first.payment.pk
    assert second.start.reference != first.start.reference
    assert Payment.objects.get(pk=first.payment.pk).status == Payment.ABANDONED


def test_razorpay_return_is_verified_but_never_confirms(razorpay, configure_gateway, booking_factory, client):
    configure_gateway(razorpay, currencies="INR")
    booking = booking_factory(price_minor=150_000, currency="INR")
    started = checkout.start_payment(booking, "razorpay", user=booking.learner)
    charge = razorpay.complete(started.start)
    client.force_login(booking.learner)
    url = f"/payments/checkout/{booking.pk}/razorpay/return/"
    forged = {**razorpay.return_params(started.start, charge), "razorpay_signature": "0" * 64}
    refused = client.post(url, forged)
    assert refused.status_code == 400 and "signature" in refused.json()["detail"]
    answer = client.post(url, razorpay.return_params(started.start, charge))
    assert answer.status_code == 200 and answer.json()["status"] == "processing"
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.status == Payment.PROCESSING and payment.charge_reference == charge
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_PAYMENT


# --- pages ------------------------------------------------------------------------------------


def test_checkout_page_offers_the_gateways_that_take_the_currency(
    stripe, razorpay, manual, configure_gateway, booking_factory, client
):
    configure_gateway(razorpay, currencies="INR")
    booking = booking_factory()
    client.force_login(booking.learner)
    page = client.get(f"/payments/checkout/{booking.pk}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="stripe"' in html and 'value="manual"' in html
    assert 'value="razorpay"' not in html
    chosen = client.post(f"/payments/checkout/{booking.pk}/", {"gateway": "razorpay"})
    assert chosen.status_code == 400
    chosen = client.post(f"/payments/checkout/{booking.pk}/", {"gateway": "stripe"})
    assert chosen.status_code == 302 and chosen["Location"] == f"/payments/checkout/{booking.pk}/stripe/"


def test_pay_page_renders_the_stripe_widget_from_the_configured_js_url(stripe, booking_factory, client):
    booking = booking_factory()
    client.force_login(booking.learner)
    page = client.get(f"/payments/checkout/{booking.pk}/stripe/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'<script src="{stripe.server.js_url}"></script>' in html
    assert "confirmCardPayment" in html
    assert Payment.objects.get(booking=booking).reference in html  # the client secret starts with it


def test_pay_page_shows_bank_transfer_instructions(manual, booking_factory, client):
    booking = booking_factory()
    client.force_login(booking.learner)
    html = client.get(f"/payments/checkout/{booking.pk}/manual/").content.decode()
    payment = Payment.objects.get(booking=booking)
    assert payment.reference in html and "IBAN DE00" in html


def test_pay_page_with_the_gateway_down_says_so(harness_for, configure_gateway, booking_factory, client):
    configure_gateway(harness_for("payment_stripe"), outage=True)
    booking = booking_factory()
    client.force_login(booking.learner)
    page = client.get(f"/payments/checkout/{booking.pk}/stripe/")
    assert page.status_code == 502
    assert "could not be reached" in page.content.decode()


def test_someone_elses_booking_is_404(stripe, booking_factory, client, user_factory):
    booking = booking_factory()
    client.force_login(user_factory())
    assert client.get(f"/payments/checkout/{booking.pk}/").status_code == 404
    assert client.get(f"/payments/checkout/{booking.pk}/status/").status_code == 404
    client.logout()
    assert client.get(f"/payments/checkout/{booking.pk}/").status_code == 302  # to the login page


def test_a_bank_transfer_holds_the_seat_for_the_transfer_not_the_card_hold(manual, stripe, booking_factory):
    card = booking_factory(hours=200)
    card_hold = card.hold_expires_at
    checkout.start_payment(card, stripe.identifier, user=card.learner)
    card.refresh_from_db()
    assert card.hold_expires_at == card_hold, "card payments keep the short hold"

    transfer = booking_factory(hours=200)
    started = timezone.now()
    checkout.start_payment(transfer, manual.identifier, user=transfer.learner)
    transfer.refresh_from_db()
    assert transfer.hold_expires_at >= started + timedelta(hours=71)


def test_the_transfer_hold_never_passes_the_session_start(manual, booking_factory):
    soon = booking_factory(hours=5)
    checkout.start_payment(soon, manual.identifier, user=soon.learner)
    soon.refresh_from_db()
    assert soon.hold_expires_at == soon.session.starts_at
