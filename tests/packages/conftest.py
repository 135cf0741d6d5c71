"""Fixtures of the package tests: a mentor with free hours and a package, a gift-card gateway, paying for a purchase."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest

from tests.payments.conftest import deliver, eager_tasks, learner, staff, stripe  # noqa: F401,F811 - fixtures by name
from tests.pricing.conftest import revenue  # noqa: F401 - fixture by name


@pytest.fixture
def mentor(user_factory):
    """A mentor free every day 06:00-22:00 UTC for 60-minute sessions, no notice."""
    from core.scheduling.models import SchedulingProfile, WeeklyRule

    mentor = user_factory(is_mentor=True, display_name="Mentor Grace", email="grace@example.org", time_zone="UTC")
    SchedulingProfile.objects.create(
        mentor=mentor, min_notice_minutes=0, horizon_days=366, buffer_minutes=0, slot_lengths=[60], slot_step_minutes=60
    )
    for weekday in range(7):
        WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time=time(6), end_time=time(22))
    return mentor


@pytest.fixture
def package(mentor):
    from core.packages.services.catalogue import save_package

    return save_package(
        mentor,
        {"title": "Five pandas sessions", "sessions": 5, "duration_minutes": 60, "validity_days": 90},
        [{"currency": "EUR", "amount": "200.00"}],
    )


@pytest.fixture
def giftcards(harness_for, configure_gateway):
    configure_gateway(harness_for("payment_giftcard"))


def gift_card(value: int = 100_000, currency: str = "EUR") -> str:
    from plugins.payments.giftcard.models import GiftCard

    return GiftCard.objects.create(currency=currency, initial_minor=value).code


@pytest.fixture
def bought(giftcards, package, learner):  # noqa: F811 - the fixture imported above
    """A paid purchase of ``package`` by ``learner`` (gift card: settled at once, the webhook's path)."""
    from core.packages.services import purchases

    def buy(pkg=None, who=None):
        purchase = purchases.create_purchase(pkg or package, who or learner, "EUR")
        started = purchases.start_payment(purchase, "giftcard", user=who or learner, inputs={"code": gift_card()})
        assert started.paid, started.payment.failure_message
        purchase.refresh_from_db()
        return purchase

    return buy


def slot(day: int = 2, hour: int = 10) -> datetime:
    """A start inside the mentor's hours, ``day`` days from now."""
    base = (datetime.now(UTC) + timedelta(days=day)).replace(hour=hour, minute=0, second=0, microsecond=0)
    return base


def assert_balanced(**filters) -> None:
    """The ledger's split (platform + mentor + tax + unearned) adds up to the cash held."""
    from core.payments.services.ledger import balances

    totals = balances(**filters)
    assert totals.balanced, totals


__all__ = ["Decimal", "assert_balanced", "gift_card", "slot"]
