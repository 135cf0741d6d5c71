"""Fixtures of the sponsorship tests: mentors with pages and free time, a plan that allows sponsoring, campaigns."""

from __future__ import annotations

from datetime import time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.catalogue.conftest import make_mentor, mentor_index, site_root, skills

__all__ = ["make_mentor", "mentor_index", "site_root", "skills"]


def free_all_week(user) -> None:
    from core.scheduling.models import WeeklyRule

    for weekday in range(7):
        WeeklyRule.objects.create(mentor=user, weekday=weekday, start_time=time(6), end_time=time(22))


@pytest.fixture
def sponsor_plan(db):
    from core.subscriptions.models import Plan, PlanPrice

    plan = Plan.objects.create(name="Grow", slug="grow", sponsored_placements=True)
    PlanPrice.objects.create(plan=plan, currency="EUR", interval="month", amount=Decimal("29"))
    return plan


def subscribe(user, plan) -> None:
    from core.subscriptions.models import Subscription

    Subscription.objects.create(
        mentor=user,
        plan=plan,
        price=plan.prices.first(),
        gateway="stripe",
        reference=f"sub_{user.pk}",
        status=Subscription.ACTIVE,
        idempotency_key=f"k-{user.pk}",
    )


def campaign_input(**changes) -> dict:
    today = timezone.localdate()
    values = {
        "name": "Python spring",
        "skills": ["python"],
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=30)).isoformat(),
        "pricing": "per_mille",
        "price": "5.00",
        "daily_budget": "20.00",
        "currency": "EUR",
    }
    values.update(changes)
    return values


@pytest.fixture
def world(make_mentor, skills, sponsor_plan, mentor_index):
    """Eight well-rated organic Python mentors and three sponsored ones (rated lower, on page two organically)."""
    from core.sponsorship import services

    mentor_index.per_page = 8
    mentor_index.save_revision().publish()
    organic = []
    for n in range(8):
        page = make_mentor(f"Organic {n}", skills=[skills["python"]], rating="4.9", rating_count=20)
        free_all_week(page.user)
        organic.append(page)
    sponsored = []
    for n in range(3):
        page = make_mentor(f"Sponsored {n}", skills=[skills["python"]], rating="3.0", rating_count=2)
        free_all_week(page.user)
        subscribe(page.user, sponsor_plan)
        services.create_campaign(page.user, campaign_input(name=f"Campaign {n}"))
        sponsored.append(page)
    return {"organic": organic, "sponsored": sponsored, "index": mentor_index}
