"""A learner applies a coupon at checkout, sees the service fee and the total, and pays that total with Stripe.js.

Everything is local, as in test_stripe_checkout: localstripe plays Stripe's API
and serves Stripe.js; the test delivers Stripe's signed webhook.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in, post_webhook
from tests.e2e.test_stripe_checkout import _setup

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def _fee_and_coupon() -> None:
    from wagtail.models import Site

    from core.pricing.models import Coupon, FeeRule, RevenueSettings

    site_settings = RevenueSettings.for_site(Site.objects.get(is_default_site=True))
    site_settings.save()
    FeeRule.objects.create(settings=site_settings, currency="EUR", percent=Decimal("5"), fixed_minor=50)
    Coupon.objects.create(code="WELCOME20", kind=Coupon.PERCENT, percent=Decimal("20"))


def test_learner_books_with_a_coupon_and_pays_the_total_with_the_fee(live_server, page: Page, stripe_harness):
    from core.payments.models import LedgerEntry, Payment
    from core.payments.services.ledger import balances
    from core.plugins import PaymentStart
    from core.pricing.models import CouponRedemption, Receipt
    from core.scheduling.models import Booking

    booking, learner = _setup(stripe_harness)  # a 35.00 EUR session, waiting for payment
    _fee_and_coupon()
    log_in(page, live_server, learner)

    page.goto(f"/payments/checkout/{booking.pk}/")
    expect(page.get_by_test_id("fee")).to_have_text("€2.25")  # 5 % of 35.00 + 0.50
    expect(page.get_by_test_id("amount")).to_have_text("€37.25")
    page.get_by_label("Coupon code").fill("welcome20")
    with page.expect_navigation():
        page.get_by_role("button", name="Apply").click()
    expect(page.get_by_text("Coupon WELCOME20 applied.", exact=True)).to_be_visible()
    expect(page.get_by_test_id("discount")).to_have_text("−€7.00")
    expect(page.get_by_test_id("fee")).to_have_text("€1.90")  # 5 % of 28.00 + 0.50
    expect(page.get_by_test_id("amount")).to_have_text("€29.90")

    page.get_by_label("Card (Stripe)").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/stripe/$"))
    expect(page.get_by_test_id("amount")).to_have_text("€29.90")

    payment = Payment.objects.get(booking=booking)
    assert payment.amount_minor == 2_990
    start = PaymentStart(reference=payment.reference, status="requires_action")
    stripe_harness.attach_3ds_card(start)
    card = page.locator("#stripe-card-element")
    card.locator("input[placeholder=number]").fill("4000002760003184")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10115")
    page.get_by_role("button", name="Pay €29.90").click()
    page.get_by_role("button", name="Complete authentication").click()
    expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/result/$"))

    intent = stripe_harness.client.v1.payment_intents.retrieve(payment.reference)
    assert (intent.status, intent.amount) == ("succeeded", 2_990)
    status = post_webhook(
        f"{live_server.url}/payments/webhooks/stripe/", stripe_harness.succeeded_event(start, intent.latest_charge)
    )
    assert status == 200
    expect(page.locator("#booking-status")).to_have_text("Confirmed", timeout=20_000)
    expect(page.get_by_test_id("amount")).to_have_text("€29.90")

    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert LedgerEntry.objects.filter(booking=booking, kind="fee").get().amount_minor == 190
    totals = balances(booking=booking)
    assert totals.held == stripe_harness.holds(start) == 2_990 and totals.balanced
    assert CouponRedemption.objects.get(booking=booking).status == CouponRedemption.USED

    page.goto("/payments/receipts/")
    number = Receipt.objects.get(booking=booking).number
    expect(page.get_by_test_id(f"receipt-{number}")).to_contain_text("€29.90")
