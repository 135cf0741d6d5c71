"""A learner pays a booking through Stripe.js (loaded from localstripe) and sees it confirmed by the webhook.

Everything is local: ``localstripe`` plays Stripe's API and serves its test copy
of Stripe.js at ``/js.stripe.com/v3/``; the checkout page loads it from the
plugin's configurable ``js_url``, exactly as it loads ``https://js.stripe.com/v3/``
in production.

localstripe's Stripe.js implements ``confirmCardPayment`` as the 3-D Secure step
of an intent that already carries a card (its card element does not tokenise).
So the test gives the intent a 3-D Secure test card through the API first (the
learner's saved card), then the browser does what a learner does: fills the
card form, clicks Pay, completes the authentication, lands on the result page.
The booking stays pending until the test delivers Stripe's signed
``payment_intent.succeeded`` webhook; the page then updates itself.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import enable_plugin, log_in, post_webhook, priced_booking

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Strong-pass-123"


def _setup(harness):
    enable_plugin(harness.plugin, harness.settings(), harness.secrets())
    return priced_booking(PASSWORD)


def test_pay_with_stripe_js_then_the_webhook_confirms(live_server, page: Page, stripe_harness):
    from core.payments.models import LedgerEntry, Payment
    from core.payments.services.ledger import balances
    from core.plugins import PaymentStart
    from core.scheduling.models import Booking

    booking, learner = _setup(stripe_harness)
    log_in(page, live_server, learner)

    page.goto(f"/payments/checkout/{booking.pk}/")
    expect(page.get_by_role("heading", name="How would you like to pay?")).to_be_visible()
    expect(page.get_by_test_id("amount")).to_have_text("€35.00")
    page.get_by_label("Card (Stripe)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/stripe/$"))

    # Stripe.js came from localstripe and mounted its card element in our form.
    scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
    assert stripe_harness.server.js_url in scripts
    card = page.locator("#stripe-card-element")
    expect(card.locator("input[placeholder=number]")).to_be_visible()

    payment = Payment.objects.get(booking=booking)
    start = PaymentStart(reference=payment.reference, status="requires_action")
    stripe_harness.attach_3ds_card(start)  # the learner's saved card asks for 3-D Secure

    card.locator("input[placeholder=number]").fill("4000002760003184")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10115")
    page.get_by_role("button", name="Pay €35.00").click()
    page.get_by_role("button", name="Complete authentication").click()

    expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/result/$"))
    expect(page.locator("#booking-status")).to_have_text("Pending payment")
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_PAYMENT  # the browser's return confirms nothing
    intent = stripe_harness.client.v1.payment_intents.retrieve(payment.reference)
    assert intent.status == "succeeded"

    status = post_webhook(
        f"{live_server.url}/payments/webhooks/stripe/", stripe_harness.succeeded_event(start, intent.latest_charge)
    )
    assert status == 200
    expect(page.locator("#booking-status")).to_have_text("Confirmed", timeout=20_000)
    expect(page.locator("#booking-message")).to_have_text("Your booking is confirmed.")

    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").get().amount_minor == 3_500
    totals = balances(booking=booking)
    assert totals.held == stripe_harness.holds(start) == 3_500 and totals.balanced
