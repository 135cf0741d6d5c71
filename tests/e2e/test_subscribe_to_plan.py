"""A mentor subscribes to a premium plan in the browser; Stripe's signed webhook activates it.

Stripe.js comes from localstripe: the card typed into its card element is
saved with ``confirmCardSetup`` (a SetupIntent), the form posts the SetupIntent
to PeerLearn, which creates the subscription at localstripe through the SDK.
The plan page waits ("Waiting for the payment provider's confirmation") until
the test delivers the signed ``invoice.paid`` webhook built from localstripe's
own invoice; then it shows the plan active, its benefits and the charge.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import enable_plugin, log_in, post_webhook

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Strong-pass-123"


def _setup(harness):
    from core.accounts.models import User
    from core.subscriptions.models import Plan, PlanPrice

    enable_plugin(harness.plugin, harness.settings(), harness.secrets())
    plan = Plan.objects.create(
        name="Pro", slug="pro", commission_percent=Decimal("10"), insights=True, badge="Premium mentor"
    )
    PlanPrice.objects.create(plan=plan, currency="EUR", interval="month", amount=Decimal("19.00"))
    return User.objects.create_user("maya@example.org", PASSWORD, display_name="Maya Mentor", is_mentor=True)


def test_mentor_subscribes_with_stripe_js_and_the_webhook_activates(live_server, page: Page, stripe_harness):
    from core.payments.models import LedgerEntry
    from core.subscriptions.models import Subscription

    mentor = _setup(stripe_harness)
    log_in(page, live_server, mentor)

    page.goto("/plans/")
    expect(page.get_by_role("heading", name="Pro")).to_be_visible()
    expect(page.get_by_text("10 % commission on your bookings")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Choose Pro").click()
    expect(page.get_by_test_id("plan-price")).to_have_text("€19.00 / month")
    scripts = page.eval_on_selector_all("script[src]", "els => els.map(e => e.src)")
    assert stripe_harness.server.js_url in scripts

    card = page.locator("#stripe-card-element")
    card.locator("input[placeholder=number]").fill("4242424242424242")
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10115")
    page.get_by_role("button", name="Subscribe for €19.00 / month").click()

    expect(page).to_have_url(re.compile(r"/plans/mine/$"))
    expect(page.locator("#subscription-status")).to_have_text("Waiting for the card and the gateway's confirmation")
    subscription = Subscription.objects.get(mentor=mentor)
    assert subscription.reference.startswith("sub_") and subscription.status == Subscription.INCOMPLETE

    status = post_webhook(
        f"{live_server.url}/subscriptions/webhooks/stripe/",
        stripe_harness.subscription_paid(subscription.reference),
    )
    assert status == 200
    expect(page.locator("#subscription-status")).to_have_text("Active", timeout=20_000)
    expect(page.get_by_text("10 % commission on your bookings")).to_be_visible()
    expect(page.locator("#billing-history")).to_contain_text("€19.00")
    assert LedgerEntry.objects.filter(kind="subscription_revenue").get().amount_minor == 1_900
