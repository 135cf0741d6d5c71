"""A premium plan through Razorpay Plans and Subscriptions (the local fake of its API), confirmed by signed webhooks."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from .conftest import deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def razorpay(harness_for, configure_gateway):
    harness = harness_for("payment_razorpay")
    configure_gateway(harness)
    return harness


def test_subscribe_charge_fail_and_end_through_razorpay(
    client, mentor, plan, razorpay, django_capture_on_commit_callbacks
):
    from core.api.refusals import Refusal
    from core.payments.models import LedgerEntry
    from core.subscriptions.models import PlanPrice, Subscription
    from core.subscriptions.services import billing

    price = PlanPrice.objects.create(plan=plan, currency="INR", interval="month", amount=Decimal("999.00"))
    started = billing.start(mentor, price, "razorpay")
    sub_id = started.setup.client_data["subscription_id"]
    at_razorpay = razorpay.server.subscriptions[sub_id]
    assert razorpay.server.plans[at_razorpay["plan_id"]]["item"]["amount"] == 99_900

    forged = {**razorpay.save_card(started.setup.client_data), "razorpay_signature": "0" * 64}
    with pytest.raises(Refusal, match="could not be verified"):
        billing.confirm(started.subscription, forged)
    subscription = billing.confirm(started.subscription, razorpay.save_card(started.setup.client_data))
    assert subscription.reference == sub_id and subscription.status == Subscription.INCOMPLETE

    answer = deliver(client, "razorpay", razorpay.subscription_paid(sub_id))
    assert answer.json()["status"] == "processed", answer.json()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.ACTIVE and subscription.current_period_end > timezone.now()
    assert LedgerEntry.objects.filter(kind="subscription_revenue").get().amount_minor == 99_900
    from core.pricing.models import Receipt

    receipt = Receipt.objects.get(subscription_invoice__subscription=subscription)
    assert (receipt.kind, receipt.total_minor, receipt.currency) == ("receipt", 99_900, "INR")
    assert receipt.buyer_id == mentor.pk and receipt.mentor_id == mentor.pk and receipt.booking_id is None
    assert "Premium plan" in receipt.lines[0]["description"]
    client.force_login(mentor)
    listed = client.get("/payments/receipts/").content.decode()
    assert receipt.number in listed and str(plan) in listed
    assert client.get(f"/payments/receipts/{receipt.number}.pdf").status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, "razorpay", razorpay.subscription_failed(sub_id)).json()["status"] == "processed"
    subscription.refresh_from_db()
    assert subscription.status == Subscription.PAST_DUE and subscription.grants_benefits()

    billing.cancel(subscription)
    assert deliver(client, "razorpay", razorpay.subscription_ended(sub_id)).json()["status"] == "processed"
    subscription.refresh_from_db()
    assert subscription.status == Subscription.CANCELED and not subscription.grants_benefits()
    forged_hook = razorpay.forge(razorpay.subscription_paid(sub_id))
    assert deliver(client, "razorpay", forged_hook).status_code == 400
