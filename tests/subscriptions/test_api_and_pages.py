"""Plans through the API and the pages: listing, bad input (4xx with a reason, nothing written), benefits applied."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

pytestmark = pytest.mark.django_db


def _count():
    from core.subscriptions.models import GatewayPrice, Subscription

    return Subscription.objects.count(), GatewayPrice.objects.count()


def test_plans_are_listed_with_prices_and_benefits(client, plan):
    answer = client.get("/api/plans/")
    assert answer.status_code == 200
    (listed,) = answer.json()
    assert listed["slug"] == "pro" and listed["commission_percent"] == "10.00" and listed["badge"] == "Premium mentor"
    assert {(p["interval"], p["amount_minor"]) for p in listed["prices"]} == {("month", 1_900), ("year", 19_000)}
    page = client.get("/plans/")
    assert page.status_code == 200
    assert b"10 % commission on your bookings" in page.content and b"19.00" in page.content


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"price": 999_999, "gateway": "stripe"}, 400, "price"),
        ({"price": "abc", "gateway": "stripe"}, 400, "price"),
        ({"price": 2**70, "gateway": "stripe"}, 400, "price"),
        ({"price": -3, "gateway": "stripe"}, 400, "price"),
        ({"gateway": "stripe"}, 400, "price"),
        ({"price": "MONTHLY", "gateway": "nope"}, 400, "gateway"),
        ({"price": "MONTHLY", "gateway": "manual"}, 400, "gateway"),
    ],
)
def test_subscribe_bad_input_is_refused_and_writes_nothing(client, mentor, monthly, stripe, body, status, field):
    client.force_login(mentor)
    if body.get("price") == "MONTHLY":
        body = {**body, "price": monthly.pk}
    before = _count()
    answer = client.post("/api/subscriptions/", body, content_type="application/json")
    assert answer.status_code == status, answer.json()
    assert field in answer.json().get("errors", {}), answer.json()
    assert _count() == before


def test_a_learner_cannot_subscribe(client, user_factory, monthly, stripe):
    client.force_login(user_factory())
    answer = client.post(
        "/api/subscriptions/", {"price": monthly.pk, "gateway": "stripe"}, content_type="application/json"
    )
    assert answer.status_code == 403 and answer.json()["detail"]
    assert _count() == (0, 0)


def test_no_plan_to_cancel_or_change_is_a_409(client, mentor, monthly):
    client.force_login(mentor)
    for url in ("/api/subscriptions/mine/cancel/", "/api/subscriptions/mine/confirm/"):
        answer = client.post(url, {}, content_type="application/json")
        assert answer.status_code == 409 and answer.json()["code"] == "no_plan"
    answer = client.post("/api/subscriptions/mine/change/", {"price": monthly.pk}, content_type="application/json")
    assert answer.status_code == 409


def test_subscribe_through_the_api_then_second_attempt_conflicts(client, mentor, monthly, stripe):
    from core.subscriptions.models import Subscription

    client.force_login(mentor)
    answer = client.post(
        "/api/subscriptions/", {"price": monthly.pk, "gateway": "stripe"}, content_type="application/json"
    )
    assert answer.status_code == 201, answer.json()
    data = answer.json()
    assert data["client_data"]["client_secret"].startswith("seti_") and data["subscription"]["status"] == "incomplete"
    params = stripe.save_card(data["client_data"])
    confirmed = client.post("/api/subscriptions/mine/confirm/", params, content_type="application/json")
    assert confirmed.status_code == 200, confirmed.json()
    assert confirmed.json()["status"] == "incomplete"  # waiting for the webhook
    subscription = Subscription.objects.get()
    Subscription.objects.filter(pk=subscription.pk).update(status=Subscription.ACTIVE)
    again = client.post(
        "/api/subscriptions/", {"price": monthly.pk, "gateway": "stripe"}, content_type="application/json"
    )
    assert again.status_code == 409 and again.json()["code"] == "already_subscribed"
    assert Subscription.objects.count() == 1
    mine = client.get("/api/subscriptions/mine/").json()
    assert mine[0]["plan"] == "pro" and mine[0]["grants_benefits"] is True


def test_plan_prices_refuse_negative_or_unknown_money():
    from core.subscriptions.models import Plan, PlanPrice

    plan = Plan.objects.create(name="Bad", slug="bad")
    for currency, amount in (
        ("EUR", Decimal("-5")),
        ("EUR", Decimal("0")),
        ("XYZ", Decimal("5")),
        ("JPY", Decimal("5.5")),
    ):
        price = PlanPrice(plan=plan, currency=currency, interval="month", amount=amount)
        with pytest.raises(ValidationError):
            price.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        PlanPrice.objects.create(plan=plan, currency="EUR", interval="month", amount=Decimal("-1"))
    bad_commission = Plan(name="Cheap", slug="cheap", commission_percent=Decimal("5"))
    with pytest.raises(ValidationError):
        bad_commission.full_clean()
    assert not PlanPrice.objects.exists()


def _grant(mentor, plan):
    from core.subscriptions.models import Subscription

    return Subscription.objects.create(
        mentor=mentor,
        plan=plan,
        price=plan.prices.first(),
        gateway="stripe",
        reference="sub_test",
        status=Subscription.ACTIVE,
        idempotency_key="k1",
    )


def test_group_capacity_follows_the_plan(mentor, plan):
    from core.scheduling.services.errors import InvalidRequest
    from core.scheduling.services.sessions import create_session
    from core.subscriptions.benefits import subscription_settings

    settings = subscription_settings()
    settings.standard_group_capacity = 2  # below the default mesh's 3 seats, so only the plan decides
    settings.save()
    start = (datetime.now(UTC) + timedelta(days=2)).replace(second=0, microsecond=0)
    with pytest.raises(InvalidRequest) as refused:
        create_session(mentor, title="Group", start=start, duration_minutes=60, capacity=3)
    assert refused.value.code == "capacity_over_plan"
    _grant(mentor, plan)
    assert create_session(mentor, title="Group", start=start, duration_minutes=60, capacity=3).capacity == 3


def test_insights_page_needs_a_plan_when_the_site_says_so(client, mentor, plan):
    from core.subscriptions.benefits import subscription_settings

    client.force_login(mentor)
    assert client.get("/analytics/mentor/").status_code == 200  # open by default
    settings = subscription_settings()
    settings.insights_need_plan = True
    settings.save()
    refused = client.get("/analytics/mentor/")
    assert refused.status_code == 403 and b"premium plan" in refused.content
    _grant(mentor, plan)
    assert client.get("/analytics/mentor/").status_code == 200


def test_badge_shows_on_the_mentor_page_only_with_a_plan(client, make_mentor, plan):
    page = make_mentor("Maya Premium")
    assert b'data-testid="plan-badge"' not in client.get(page.url).content
    _grant(page.user, plan)
    answer = client.get(page.url)
    assert b'data-testid="plan-badge"' in answer.content and b"Premium mentor" in answer.content


def test_my_plan_page_shows_state_and_billing(client, mentor, plan):
    from core.subscriptions.models import SubscriptionInvoice

    subscription = _grant(mentor, plan)
    SubscriptionInvoice.objects.create(
        subscription=subscription, reference="in_1", status="paid", amount_minor=1_900, currency="EUR"
    )
    client.force_login(mentor)
    page = client.get("/plans/mine/")
    assert page.status_code == 200
    assert b"Active" in page.content and b"in_1" in page.content and b"19.00" in page.content
