"""Fixtures of the pricing tests: the payment fixtures, the fee/tax setting, coupons, a paid booking."""

from __future__ import annotations

from decimal import Decimal

import pytest

# harness_for and configure_gateway come from the peerlearn_testing pytest plugin.
from tests.payments.conftest import (  # noqa: F401 - fixtures are found by name
    booking_factory,
    deliver,
    eager_tasks,
    learner,
    manual,
    mentor,
    razorpay,
    session_factory,
    staff,
    stripe,
)


@pytest.fixture
def revenue(db):
    """Set the default site's fee and tax: ``revenue(fee_percent=..., fixed=..., cap=..., tax=..., ...)``."""
    from wagtail.models import Site

    from core.pricing.models import FeeRule, RevenueSettings, TaxRate

    def configure(
        *,
        currency: str = "EUR",
        fee_percent: str = "0",
        fixed: int = 0,
        cap: int | None = None,
        refundable: bool = False,
        tax: dict[str, str] | None = None,
        inclusive: bool = False,
        seller_country: str = "",
    ) -> RevenueSettings:
        site_settings = RevenueSettings.for_site(Site.objects.get(is_default_site=True))
        site_settings.fee_refundable = refundable
        site_settings.prices_include_tax = inclusive
        site_settings.seller_country = seller_country
        site_settings.platform_tax_id = "DE123456789"
        site_settings.save()
        FeeRule.objects.filter(settings=site_settings).delete()
        TaxRate.objects.filter(settings=site_settings).delete()
        FeeRule.objects.create(
            settings=site_settings, currency=currency, percent=Decimal(fee_percent), fixed_minor=fixed, cap_minor=cap
        )
        for country, percent in (tax or {}).items():
            TaxRate.objects.create(settings=site_settings, country=country, name="VAT", percent=Decimal(percent))
        return site_settings

    return configure


@pytest.fixture
def coupon_factory(db):
    from core.pricing.models import Coupon

    def make(code: str = "WELCOME10", **fields) -> Coupon:
        fields.setdefault("kind", Coupon.PERCENT)
        if fields["kind"] == Coupon.PERCENT:
            fields.setdefault("percent", Decimal("10"))
        coupon = Coupon(code=code, **fields)
        coupon.full_clean()
        coupon.save()
        return coupon

    return make


@pytest.fixture
def pay(deliver):  # noqa: F811 - the fixture imported above
    """Start a booking's payment through a gateway, complete it, deliver the webhook; returns the started payment."""
    from core.payments.services import checkout

    def run(booking, harness, gateway: str = "stripe"):
        started = checkout.start_payment(booking, gateway, user=booking.learner)
        charge = harness.complete(started.start)
        response = deliver(gateway, harness.succeeded_event(started.start, charge))
        assert response.json()["status"] == "processed", response.content
        booking.refresh_from_db()
        return started

    return run


def assert_ledger_balanced(booking, harness=None, start=None) -> None:
    """The split (platform + mentor + tax) adds up to what is held, which is what the gateway holds."""
    from core.payments.services.ledger import balances

    totals = balances(booking=booking)
    assert totals.balanced, totals
    if harness is not None:
        assert totals.held == harness.holds(start), (totals, harness.holds(start))
