"""A premium plan through Stripe end to end: the official SDK against localstripe, signed webhooks.

Subscribe (card saved with a SetupIntent), activated only by ``invoice.paid``,
renewed by webhook, a failed renewal starting the grace period with a reminder,
benefits ending when it runs out (frozen booking commission unchanged), a
prorated change of plan, cancelling at period end, and the ledger balanced
with the money as platform revenue.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.utils import timezone

from .conftest import deliver

pytestmark = pytest.mark.django_db


def _subscribe(mentor, price, stripe):
    from core.subscriptions.services import billing

    started = billing.start(mentor, price, "stripe")
    params = stripe.save_card(started.setup.client_data)
    return billing.confirm(started.subscription, params)


def _booking(mentor, user_factory, hours: int = 1):
    from core.payments.services.ledger import freeze_commission
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    start = (datetime.now(UTC) + timedelta(days=4, hours=hours)).replace(second=0, microsecond=0)
    session = create_session(
        mentor, title=f"Session {hours}", start=start, duration_minutes=60, price_minor=5_000, currency="EUR"
    )
    booking = book_session(session, user_factory())
    return booking, freeze_commission(booking)


def test_subscribe_activate_renew_fail_grace_end(
    client, mentor, monthly, stripe, user_factory, django_capture_on_commit_callbacks
):
    from core.payments.models import LedgerEntry
    from core.payments.services.ledger import balances
    from core.subscriptions import benefits
    from core.subscriptions.models import Subscription, SubscriptionInvoice
    from core.subscriptions.services import events

    subscription = _subscribe(mentor, monthly, stripe)
    at_stripe = stripe.client.v1.subscriptions.retrieve(subscription.reference)
    assert at_stripe.status == "active" and at_stripe.customer == subscription.customer_reference
    # The gateway's answer grants nothing: only the webhook does.
    assert subscription.status == Subscription.INCOMPLETE
    assert benefits.current_plan(mentor.pk) is None
    assert _booking(mentor, user_factory, 1)[1] == 1200

    paid = stripe.subscription_paid(subscription.reference)
    answer = deliver(client, "stripe", paid)
    assert answer.status_code == 200 and answer.json()["status"] == "processed", answer.json()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.ACTIVE and subscription.current_period_end
    assert benefits.current_plan(mentor.pk).slug == "pro"
    # the same delivery again, and the same invoice reported by invoice.payment_succeeded: counted once
    assert deliver(client, "stripe", paid).json()["status"] == "duplicate"
    again = stripe._invoice_event("invoice.payment_succeeded", subscription.reference)
    assert deliver(client, "stripe", again).json()["status"] == "ignored"
    assert LedgerEntry.objects.filter(kind="subscription_charge").get().amount_minor == 1_900
    assert LedgerEntry.objects.filter(kind="subscription_revenue").get().amount_minor == 1_900
    assert not LedgerEntry.objects.filter(kind="mentor_earning", mentor=mentor).exists()

    # benefits apply: the plan's commission is frozen on a new booking
    booking, rate = _booking(mentor, user_factory, 2)
    assert rate == 1000

    # renewal: the next period's invoice paid
    next_end = int(time.time()) + 60 * 86400
    renewal = stripe.subscription_paid(
        subscription.reference, id="in_renewal_1", lines={"data": [{"period": {"end": next_end}}]}
    )
    assert deliver(client, "stripe", renewal).json()["status"] == "processed"
    subscription.refresh_from_db()
    assert int(subscription.current_period_end.timestamp()) == next_end
    assert SubscriptionInvoice.objects.filter(subscription=subscription, status="paid").count() == 2

    # a failed renewal: grace period, a reminder email, benefits continue
    failed = stripe.subscription_failed(subscription.reference, id="in_renewal_2", amount_due=1_900)
    with django_capture_on_commit_callbacks(execute=True):
        assert deliver(client, "stripe", failed).json()["status"] == "processed"
    subscription.refresh_from_db()
    assert subscription.status == Subscription.PAST_DUE and subscription.grace_until > timezone.now()
    assert subscription.grants_benefits()
    assert len(mail.outbox) == 1 and "update your card" in mail.outbox[0].subject
    from core.subscriptions.services import reminders

    assert reminders.send_due() == 0  # not again within the interval
    assert reminders.send_due(timezone.now() + timedelta(days=3)) == 1

    # the grace period runs out: benefits end; a booking made under the plan keeps its commission
    with django_capture_on_commit_callbacks(execute=True):
        assert events.end_lapsed_grace(timezone.now() + timedelta(days=8)) == 1
    assert "has ended" in mail.outbox[-1].subject
    subscription.refresh_from_db()
    assert subscription.status == Subscription.CANCELED
    assert stripe.client.v1.subscriptions.retrieve(subscription.reference).status == "canceled"  # never charged again
    assert benefits.current_plan(mentor.pk) is None
    assert booking.commission.rate_bp == 1000
    assert _booking(mentor, user_factory, 3)[1] == 1200
    totals = balances(kind__in=["subscription_charge", "subscription_revenue"])
    assert totals.held == 3_800 and totals.platform == 3_800 and totals.balanced and totals.mentor_earned == 0


def test_change_plan_is_prorated_at_stripe_and_cancel_at_period_end(client, mentor, monthly, yearly, stripe):
    from core.subscriptions.models import Subscription
    from core.subscriptions.services import billing

    subscription = _subscribe(mentor, monthly, stripe)
    deliver(client, "stripe", stripe.subscription_paid(subscription.reference))
    subscription.refresh_from_db()

    changed = billing.change_plan(subscription, yearly)
    assert changed.price == yearly
    at_stripe = stripe.client.v1.subscriptions.retrieve(subscription.reference).to_dict()
    assert at_stripe["items"]["data"][0]["plan"]["interval"] == "year"
    # the unused month is credited by Stripe (a proration item)
    invoices = stripe.client.v1.invoices.list(params={"customer": subscription.customer_reference}).to_dict()["data"]
    lines = [line for i in invoices for line in stripe.client.v1.invoices.line_items.list(i["id"]).to_dict()["data"]]
    assert any(line.get("proration") and line["amount"] < 0 for line in lines), lines

    cancelled = billing.cancel(changed)
    assert cancelled.cancel_at_period_end and cancelled.status == Subscription.ACTIVE
    assert stripe.client.v1.subscriptions.retrieve(subscription.reference).cancel_at_period_end is True
    ended = stripe.subscription_ended(subscription.reference)
    assert deliver(client, "stripe", ended).json()["status"] == "processed"
    cancelled.refresh_from_db()
    assert cancelled.status == Subscription.CANCELED and not cancelled.grants_benefits()


def test_trial_is_granted_by_the_subscription_webhook(client, mentor, plan, monthly, stripe):
    from core.subscriptions.models import Subscription

    plan.trial_days = 14
    plan.save()
    subscription = _subscribe(mentor, monthly, stripe)
    event = stripe.subscription_updated(subscription.reference, status="trialing", cancel_at_period_end=False)
    assert deliver(client, "stripe", event).json()["status"] == "processed"
    subscription.refresh_from_db()
    assert subscription.status == Subscription.TRIALING and subscription.grants_benefits()


def test_forged_or_stale_webhook_is_refused_and_records_nothing(client, mentor, monthly, stripe):
    from core.subscriptions.models import Subscription, SubscriptionEventRecord

    subscription = _subscribe(mentor, monthly, stripe)
    webhook = stripe.subscription_paid(subscription.reference)
    for bad in (stripe.forge(webhook), stripe.stale(webhook), (webhook[0], {})):
        answer = deliver(client, "stripe", bad)
        assert answer.status_code == 400 and answer.json()["detail"]
    assert not SubscriptionEventRecord.objects.exists()
    subscription.refresh_from_db()
    assert subscription.status == Subscription.INCOMPLETE


def test_paid_invoice_in_another_currency_is_rejected(client, mentor, monthly, stripe):
    from core.payments.models import LedgerEntry
    from core.subscriptions.models import Subscription

    subscription = _subscribe(mentor, monthly, stripe)
    answer = deliver(client, "stripe", stripe.subscription_paid(subscription.reference, currency="usd"))
    assert answer.json()["status"] == "rejected"
    subscription.refresh_from_db()
    assert subscription.status == Subscription.INCOMPLETE
    assert not LedgerEntry.objects.filter(kind="subscription_charge").exists()
