"""Fixtures of the premium plan tests: a plan with prices, a mentor, Stripe (localstripe) configured."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.catalogue.conftest import make_mentor, mentor_index, site_root, skills
from tests.plugins.payments import harnesses  # noqa: F401 (registers the built-in gateways' harnesses)

# harness_for and configure_gateway come from the peerlearn_testing pytest plugin.
__all__ = [
    "make_mentor",
    "mentor_index",
    "site_root",
    "skills",
]


@pytest.fixture
def mentor(user_factory):
    return user_factory(is_mentor=True, display_name="Mentor Maya", email="maya@example.org")


@pytest.fixture
def plan(db):
    from core.subscriptions.models import Plan, PlanPrice

    plan = Plan.objects.create(
        name="Pro",
        slug="pro",
        commission_percent=Decimal("10.00"),
        sponsored_placements=True,
        group_capacity=40,
        insights=True,
        badge="Premium mentor",
    )
    PlanPrice.objects.create(plan=plan, currency="EUR", interval="month", amount=Decimal("19.00"))
    PlanPrice.objects.create(plan=plan, currency="EUR", interval="year", amount=Decimal("190.00"))
    return plan


@pytest.fixture
def monthly(plan):
    return plan.prices.get(interval="month")


@pytest.fixture
def yearly(plan):
    return plan.prices.get(interval="year")


@pytest.fixture
def stripe(harness_for, configure_gateway):
    harness = harness_for("payment_stripe")
    configure_gateway(harness)
    return harness


def deliver(client, gateway: str, webhook):
    body, headers = webhook
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.generic("POST", f"/subscriptions/webhooks/{gateway}/", body, content_type="application/json", **extra)
