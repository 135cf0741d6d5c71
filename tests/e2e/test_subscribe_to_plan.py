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
import urllib.request
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Strong-pass-123"


@pytest.fixture
def stripe_harness():
    from tests.plugins.payments.harnesses import StripeHarness

    harness = StripeHarness()
    harness.start()
    yield harness
    harness.stop()


def _setup(harness):
    from wagtail.models import Site

    from core.accounts.models import User
    from core.plugins import config
    from core.plugins.models import PluginConfiguration
    from core.subscriptions.models import Plan, PlanPrice

    site = Site.objects.get(is_default_site=True)
    PluginConfiguration.objects.update_or_create(
        site=site,
        plugin=harness.plugin,
        defaults={"enabled": True, "settings": harness.settings(), "secrets": harness.secrets()},
    )
    config.invalidate(site.pk)
    plan = Plan.objects.create(
        name="Pro", slug="pro", commission_percent=Decimal("10"), insights=True, badge="Premium mentor"
    )
    PlanPrice.objects.create(plan=plan, currency="EUR", interval="month", amount=Decimal("19.00"))
    return User.objects.create_user("maya@example.org", PASSWORD, display_name="Maya Mentor", is_mentor=True)


def _log_in(page: Page, live_server, user) -> None:
    from django.test import Client

    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def _post(url: str, webhook) -> int:
    body, headers = webhook
    request = urllib.request.Request(
        url, data=body, method="POST", headers={**headers, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status


def test_mentor_subscribes_with_stripe_js_and_the_webhook_activates(live_server, page: Page, stripe_harness):
    from core.payments.models import LedgerEntry
    from core.subscriptions.models import Subscription

    mentor = _setup(stripe_harness)
    _log_in(page, live_server, mentor)

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

    status = _post(
        f"{live_server.url}/subscriptions/webhooks/stripe/",
        stripe_harness.subscription_paid(subscription.reference),
    )
    assert status == 200
    expect(page.locator("#subscription-status")).to_have_text("Active", timeout=20_000)
    expect(page.get_by_text("10 % commission on your bookings")).to_be_visible()
    expect(page.locator("#billing-history")).to_contain_text("€19.00")
    assert LedgerEntry.objects.filter(kind="subscription_revenue").get().amount_minor == 1_900
