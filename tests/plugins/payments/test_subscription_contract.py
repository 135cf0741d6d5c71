"""The optional subscription capability, run against every registered gateway that declares it.

A gateway declares it by subclassing ``SubscriptionGateway``; its harness then
provides ``save_card`` (what the browser does in the gateway's widget) and
``subscription_paid`` / ``_failed`` / ``_updated`` / ``_ended`` (signed
webhooks built from the gateway's own objects). Gateways that do not declare it are checked to be
left out of the plans' checkout, and are otherwise untouched.
"""

from __future__ import annotations

import uuid

import pytest

from core.plugins import (
    PriceSpec,
    SubscriptionEvent,
    SubscriptionRequest,
    SubscriptionSetup,
    SubscriptionSetupRequest,
    SubscriptionState,
    WebhookError,
    offers_subscriptions,
)
from peerlearn_testing.payments import harness_class, payment_plugins

PLUGINS = payment_plugins()
pytestmark = pytest.mark.django_db


def _declares(plugin: str) -> bool:
    """Whether the plugin's gateway class (imported by its plugin module) declares subscriptions."""
    import importlib.metadata

    from core.plugins import SubscriptionGateway

    for entry_point in importlib.metadata.entry_points(group="peerlearn.plugins"):
        if entry_point.name == plugin:
            module = entry_point.load()
            return any(
                isinstance(value, type) and issubclass(value, SubscriptionGateway) and value is not SubscriptionGateway
                for value in vars(module).values()
            )
    return False


DECLARING = [plugin for plugin in PLUGINS if harness_class(plugin) is not None and _declares(plugin)]
each_subscription_gateway = pytest.mark.parametrize("plugin", DECLARING)


def test_stripe_and_razorpay_declare_subscriptions_and_manual_does_not():
    assert {"payment_stripe", "payment_razorpay"} <= set(DECLARING)
    assert "payment_manual" not in DECLARING


@pytest.mark.parametrize("plugin", sorted(set(PLUGINS) - set(DECLARING)))
def test_a_gateway_without_the_capability_is_not_offered_for_plans(plugin, harness_for, configure_gateway):
    from core.subscriptions.services.gateways import subscription_gateways

    gateway = configure_gateway(harness_for(plugin))
    assert not offers_subscriptions(gateway)
    assert gateway.identifier not in {r.identifier for r in subscription_gateways()}


@pytest.fixture
def harness(plugin, harness_for):
    return harness_for(plugin)


@pytest.fixture
def gateway(harness, configure_gateway):
    gateway = configure_gateway(harness)
    assert offers_subscriptions(gateway)
    return gateway


def _spec(harness, **changes) -> PriceSpec:
    values = {
        "key": f"peerlearn-price-{uuid.uuid4().hex[:8]}",
        "product_name": "PeerLearn Pro",
        "amount_minor": 1_900,
        "currency": harness.currency,
        "interval": "month",
    }
    values.update(changes)
    return PriceSpec(**values)


def _subscribed(gateway, harness, spec: PriceSpec | None = None) -> tuple[SubscriptionState, str]:
    price = gateway.ensure_price(spec or _spec(harness))
    key = f"pl-sub-{uuid.uuid4().hex}"
    setup = gateway.begin_subscription(
        SubscriptionSetupRequest(idempotency_key=key, customer_email="m@example.org", price_reference=price)
    )
    assert isinstance(setup, SubscriptionSetup) and setup.customer_reference
    params = harness.save_card(setup.client_data)
    state = gateway.create_subscription(
        SubscriptionRequest(
            customer_reference=setup.customer_reference, price_reference=price, idempotency_key=key, params=params
        )
    )
    return state, price


@each_subscription_gateway
def test_ensure_price_reuses_a_matching_price_and_remakes_a_changed_one(plugin, gateway, harness):
    spec = _spec(harness)
    first = gateway.ensure_price(spec)
    assert first
    assert gateway.ensure_price(_spec(harness, key=spec.key, existing_reference=first)) == first
    changed = gateway.ensure_price(_spec(harness, key=spec.key, existing_reference=first, amount_minor=2_900))
    assert changed and changed != first


@each_subscription_gateway
def test_subscribe_with_a_saved_card(plugin, gateway, harness):
    state, price = _subscribed(gateway, harness)
    assert isinstance(state, SubscriptionState)
    assert state.reference and state.price_reference == price
    assert state.status in ("incomplete", "active", "trialing")


@each_subscription_gateway
def test_change_then_cancel_at_period_end(plugin, gateway, harness):
    state, _ = _subscribed(gateway, harness)
    other = gateway.ensure_price(_spec(harness, interval="year", amount_minor=19_000))
    changed = gateway.change_subscription(state.reference, other, f"pl-chg-{uuid.uuid4().hex}")
    assert changed.reference == state.reference and changed.price_reference == other
    cancelled = gateway.cancel_subscription(state.reference, at_period_end=True)
    assert cancelled.cancel_at_period_end is True
    assert cancelled.status != "canceled"


@each_subscription_gateway
def test_webhooks_parse_to_subscription_events(plugin, gateway, harness):
    state, price = _subscribed(gateway, harness)
    paid = gateway.parse_subscription_webhook(*harness.subscription_paid(state.reference))
    assert isinstance(paid, SubscriptionEvent)
    assert paid.kind == "paid" and paid.subscription_reference == state.reference
    assert paid.amount_minor == 1_900 and paid.currency == harness.currency and paid.invoice_reference
    failed = gateway.parse_subscription_webhook(*harness.subscription_failed(state.reference))
    assert failed.kind == "payment_failed" and failed.subscription_reference == state.reference
    updated = gateway.parse_subscription_webhook(*harness.subscription_updated(state.reference))
    assert updated.kind == "updated" and updated.price_reference == price and updated.period_end > 0
    deleted = gateway.parse_subscription_webhook(*harness.subscription_ended(state.reference))
    assert deleted.kind == "canceled"


@each_subscription_gateway
def test_forged_subscription_webhook_is_refused(plugin, gateway, harness):
    state, _ = _subscribed(gateway, harness)
    webhook = harness.subscription_paid(state.reference)
    with pytest.raises(WebhookError):
        gateway.parse_subscription_webhook(*harness.forge(webhook))
    with pytest.raises(WebhookError):
        gateway.parse_subscription_webhook(webhook[0], {})
