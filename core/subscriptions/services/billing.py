"""Subscribing, changing plan and cancelling: what a mentor does, through a subscription gateway.

Nothing here grants a benefit: the gateway's answers are provisional, and only
its verified webhook (:mod:`.events`) moves a subscription to trial, active,
grace or ended.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from core.payments.services.gateways import Routed
from core.plugins import (
    PriceSpec,
    SubscriptionCheckoutContext,
    SubscriptionRequest,
    SubscriptionSetup,
    SubscriptionSetupRequest,
    SubscriptionState,
)
from core.scheduling.currency import format_money

from ..errors import SubscriptionConflict, SubscriptionError, SubscriptionNotAllowed
from ..models import GatewayPrice, PlanPrice, Subscription
from . import gateways


def offered_prices(currency: str = ""):
    """Prices of active plans, cheapest plan first."""
    prices = PlanPrice.objects.select_related("plan").filter(plan__active=True)
    if currency:
        prices = prices.filter(currency=currency.upper())
    return prices.order_by("plan__sort_order", "plan__name", "currency", "interval")


def find_price(price_id: object) -> PlanPrice:
    """The offered price ``price_id``; a 400 naming ``price`` otherwise."""
    try:
        pk = int(str(price_id))
    except (TypeError, ValueError):
        raise SubscriptionError(gettext("Choose a plan price by its id."), code="unknown_plan", field="price") from None
    if not 1 <= pk <= 2**63 - 1:
        raise SubscriptionError(
            gettext("No plan offers a price %(pk)s.") % {"pk": pk}, code="unknown_plan", field="price"
        )
    price = offered_prices().filter(pk=pk).first()
    if price is None:
        raise SubscriptionError(
            gettext("No plan offers a price %(pk)s.") % {"pk": pk}, code="unknown_plan", field="price"
        )
    return price


def gateway_price(routed: Routed, price: PlanPrice, site_id: int | None) -> str:
    """The gateway's reference for ``price``, made on first use and remade when the amount changed."""
    known = GatewayPrice.objects.filter(price=price, gateway=routed.identifier).first()
    amount = price.amount_minor
    if known is not None and known.amount_minor == amount:
        return known.reference
    spec = PriceSpec(
        key=f"peerlearn-price-{price.pk}",
        product_name=f"PeerLearn {price.plan.name}",
        amount_minor=amount,
        currency=price.currency,
        interval=price.interval,  # type: ignore[arg-type]
        existing_reference=known.reference if known else "",
    )
    reference = gateways.call(routed, "ensure_price", spec, expect=str, site_id=site_id)
    GatewayPrice.objects.update_or_create(
        price=price, gateway=routed.identifier, defaults={"reference": reference, "amount_minor": amount}
    )
    return reference


@dataclass(frozen=True)
class Started:
    subscription: Subscription
    setup: SubscriptionSetup
    routed: Routed


def _require_mentor(user) -> None:
    if not getattr(user, "is_mentor", False):
        raise SubscriptionNotAllowed(gettext("Premium plans are for mentors."), code="not_a_mentor")


def start(mentor, price: PlanPrice, gateway_id: str, *, site_id: int | None = None) -> Started:
    """Begin subscribing ``mentor`` to ``price``: a waiting subscription and the gateway's card form."""
    _require_mentor(mentor)
    routed = gateways.route(gateway_id, site_id)
    if not gateways.payment_gateways.supports(routed, price.currency, site_id):
        raise SubscriptionError(
            gettext("%(display_name)s does not take %(currency)s.")
            % {"display_name": routed.display_name, "currency": price.currency},
            code="unsupported_currency",
            field="gateway",
        )
    live = Subscription.objects.filter(mentor=mentor, status__in=Subscription.LIVE_STATUSES).first()
    if live is not None and live.status != Subscription.INCOMPLETE:
        raise SubscriptionConflict(
            gettext("You already subscribe to %(name)s; change or cancel that plan instead.")
            % {"name": live.plan.name},
            code="already_subscribed",
        )
    price_reference = gateway_price(routed, price, site_id)
    earlier_customer = (
        Subscription.objects.filter(mentor=mentor, gateway=routed.identifier)
        .exclude(customer_reference="")
        .values_list("customer_reference", flat=True)
        .first()
    )
    with transaction.atomic():
        if live is not None:  # an abandoned attempt: replace it
            Subscription.objects.filter(pk=live.pk, status=Subscription.INCOMPLETE, reference="").update(
                status=Subscription.CANCELED
            )
        try:
            subscription = Subscription.objects.create(
                mentor=mentor,
                plan=price.plan,
                price=price,
                gateway=routed.identifier,
                plugin=routed.plugin,
                idempotency_key=f"pl-sub-{uuid.uuid4().hex}",
            )
        except IntegrityError:
            raise SubscriptionConflict(
                gettext("A subscription of yours is being set up already."), code="busy"
            ) from None
    request = SubscriptionSetupRequest(
        idempotency_key=subscription.idempotency_key,
        customer_email=mentor.email,
        customer_name=getattr(mentor, "display_name", "") or mentor.email,
        existing_customer=earlier_customer or "",
        price_reference=price_reference,
        trial_days=price.plan.trial_days,
        metadata={"peerlearn_subscription": str(subscription.pk)},
    )
    setup = gateways.call(routed, "begin_subscription", request, expect=SubscriptionSetup, site_id=site_id)
    subscription.customer_reference = setup.customer_reference
    subscription.save(update_fields=["customer_reference", "updated_at"])
    return Started(subscription, setup, routed)


def checkout_html(started: Started, context: SubscriptionCheckoutContext, site_id: int | None = None) -> str:
    return gateways.call(
        started.routed, "subscription_checkout_html", started.setup, context, expect=str, site_id=site_id
    )


def amount_display(price: PlanPrice) -> str:
    return price.display


def confirm(subscription: Subscription, params: dict[str, str], *, site_id: int | None = None) -> Subscription:
    """Create the gateway's subscription from what the browser posted back (still waiting for the webhook)."""
    if subscription.status != Subscription.INCOMPLETE:
        raise SubscriptionConflict(gettext("This subscription is not waiting for a card."), code="not_incomplete")
    if subscription.reference:
        return subscription  # a second post of the same form
    routed = gateways.route(subscription.gateway, site_id)
    request = SubscriptionRequest(
        customer_reference=subscription.customer_reference,
        price_reference=gateway_price(routed, subscription.price, site_id),
        idempotency_key=subscription.idempotency_key,
        trial_days=subscription.plan.trial_days,
        params={str(k): str(v)[:255] for k, v in params.items() if k != "csrfmiddlewaretoken"},
        metadata={"peerlearn_subscription": str(subscription.pk)},
    )
    state = gateways.call(routed, "create_subscription", request, expect=SubscriptionState, site_id=site_id)
    from .events import apply_state

    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        if not locked.reference:
            locked.reference = state.reference
            locked.save(update_fields=["reference", "updated_at"])
        apply_state(locked, state.status, state.current_period_end, state.cancel_at_period_end, provisional=True)
    return locked


def change_plan(subscription: Subscription, price: PlanPrice, *, site_id: int | None = None) -> Subscription:
    """Move to another plan price now; the gateway prorates the rest of the period."""
    if not subscription.grants_benefits() or not subscription.reference:
        raise SubscriptionConflict(gettext("Only a subscription in good standing can change plan."), code="not_active")
    if price.pk == subscription.price_id:
        raise SubscriptionError(gettext("That is your plan already."), code="same_plan", field="price")
    if price.currency != subscription.price.currency:
        raise SubscriptionError(
            gettext("Choose a price in %(currency)s, the currency you pay in.")
            % {"currency": subscription.price.currency},
            code="currency_mismatch",
            field="price",
        )
    routed = gateways.route(subscription.gateway, site_id)
    reference = gateway_price(routed, price, site_id)
    key = f"pl-chg-{subscription.pk}-{price.pk}-{uuid.uuid4().hex[:12]}"
    state = gateways.call(
        routed, "change_subscription", subscription.reference, reference, key, expect=SubscriptionState, site_id=site_id
    )
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        locked.price = price
        locked.plan = price.plan
        locked.cancel_at_period_end = state.cancel_at_period_end
        locked.save(update_fields=["price", "plan", "cancel_at_period_end", "updated_at"])
    return locked


def cancel(subscription: Subscription, *, site_id: int | None = None) -> Subscription:
    """Stop renewing: the benefits last until the end of the paid period (an unpaid attempt ends now)."""
    if subscription.status == Subscription.CANCELED:
        raise SubscriptionConflict(gettext("This subscription has ended already."), code="ended")
    if not subscription.reference:
        Subscription.objects.filter(pk=subscription.pk).update(status=Subscription.CANCELED)
        subscription.refresh_from_db()
        return subscription
    routed = gateways.route(subscription.gateway, site_id)
    state = gateways.call(
        routed, "cancel_subscription", subscription.reference, expect=SubscriptionState, site_id=site_id
    )
    Subscription.objects.filter(pk=subscription.pk).update(cancel_at_period_end=state.cancel_at_period_end)
    subscription.refresh_from_db()
    return subscription


def money(amount_minor: int, currency: str) -> str:
    return format_money(amount_minor, currency)
