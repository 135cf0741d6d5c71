"""Stripe subscriptions: Products, Plans (Stripe accepts a Plan id wherever a Price id goes),
Customers, SetupIntents, Subscriptions and Invoices through the official SDK.

The card is collected in the browser with a SetupIntent (Stripe.js
``confirmCardSetup``), made the customer's default payment method, then the
subscription is created server side. Plans rather than Prices because the
offline stand-in the tests use (localstripe) implements Plans only; on Stripe
both are the same object family.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import stripe
from django.utils.translation import gettext

from core.plugins import (
    GatewayError,
    PriceSpec,
    SubscriptionCheckoutContext,
    SubscriptionEvent,
    SubscriptionGateway,
    SubscriptionRequest,
    SubscriptionSetup,
    SubscriptionSetupRequest,
    SubscriptionState,
    WebhookError,
    render_template,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"

_STATUS = {
    "incomplete": "incomplete",
    "incomplete_expired": "canceled",
    "trialing": "trialing",
    "active": "active",
    "past_due": "past_due",
    "unpaid": "past_due",
    "canceled": "canceled",
}


def _id(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return ""


def _price_of(subscription: Mapping[str, Any]) -> str:
    items = ((subscription.get("items") or {}).get("data")) or []
    if not items:
        return _id(subscription.get("plan"))
    item = items[0]
    return _id(item.get("price")) or _id(item.get("plan"))


def _period_end(subscription: Mapping[str, Any]) -> int:
    end = subscription.get("current_period_end")
    if not end:  # newer API versions keep the period on the item
        items = ((subscription.get("items") or {}).get("data")) or []
        end = items[0].get("current_period_end") if items else 0
    return int(end or 0)


def _invoice_subscription(invoice: Mapping[str, Any]) -> str:
    reference = _id(invoice.get("subscription"))
    if not reference:  # newer API versions: parent.subscription_details.subscription
        details = (invoice.get("parent") or {}).get("subscription_details") or {}
        reference = _id(details.get("subscription"))
    return reference


def _invoice_period_end(invoice: Mapping[str, Any]) -> int:
    lines = ((invoice.get("lines") or {}).get("data")) or []
    ends = [int((line.get("period") or {}).get("end") or 0) for line in lines]
    return max(ends, default=0) or int(invoice.get("period_end") or 0)


class StripeSubscriptions(SubscriptionGateway):
    """The subscription capability of :class:`~.gateway.StripeGateway` (needs ``_client``, ``_explain``)."""

    _client: stripe.StripeClient
    publishable_key: str
    js_url: str

    def _explain(self, exc: stripe.StripeError) -> GatewayError:
        raise NotImplementedError("supplied by StripeGateway, which this mixin is part of")

    def _state(self, sub: Mapping[str, Any]) -> SubscriptionState:
        return SubscriptionState(
            reference=str(sub["id"]),
            status=_STATUS.get(str(sub.get("status")), "incomplete"),  # type: ignore[arg-type]
            price_reference=_price_of(sub),
            current_period_end=_period_end(sub),
            cancel_at_period_end=bool(sub.get("cancel_at_period_end")),
        )

    def ensure_price(self, spec: PriceSpec) -> str:
        try:
            if spec.existing_reference:
                plan = self._client.v1.plans.retrieve(spec.existing_reference).to_dict()
                if (
                    int(plan.get("amount") or 0) == spec.amount_minor
                    and str(plan.get("currency")).upper() == spec.currency.upper()
                    and plan.get("interval") == spec.interval
                ):
                    return str(plan["id"])
            version = f"{spec.key}-{spec.amount_minor}-{spec.currency.lower()}-{spec.interval}"
            product = self._client.v1.products.create(
                params={"name": spec.product_name[:250], "metadata": {"peerlearn_price": spec.key}},
                options={"idempotency_key": f"{spec.key}-product"},
            )
            plan = self._client.v1.plans.create(
                params={
                    "amount": spec.amount_minor,
                    "currency": spec.currency.lower(),
                    "interval": spec.interval,
                    "product": product.id,
                    "nickname": spec.product_name[:250],
                    "metadata": {"peerlearn_price": spec.key},
                },
                options={"idempotency_key": version},
            )
        except stripe.StripeError as exc:
            raise self._explain(exc) from exc
        return plan.id

    def begin_subscription(self, request: SubscriptionSetupRequest) -> SubscriptionSetup:
        try:
            customer_id = request.existing_customer
            if not customer_id:
                customer = self._client.v1.customers.create(
                    params={
                        "email": request.customer_email,
                        "name": request.customer_name[:250] or request.customer_email,
                        "metadata": dict(request.metadata),
                    },
                    options={"idempotency_key": f"{request.idempotency_key}-customer"},
                )
                customer_id = customer.id
            setup = self._client.v1.setup_intents.create(
                params={"customer": customer_id, "payment_method_types": ["card"], "usage": "off_session"},
                options={"idempotency_key": f"{request.idempotency_key}-setup"},
            )
        except stripe.StripeError as exc:
            raise self._explain(exc) from exc
        return SubscriptionSetup(
            customer_reference=customer_id,
            client_data={
                "client_secret": setup.client_secret,
                "setup_intent": setup.id,
                "publishable_key": self.publishable_key,
                "js_url": self.js_url,
            },
        )

    def create_subscription(self, request: SubscriptionRequest) -> SubscriptionState:
        setup_id = str(request.params.get("setup_intent") or "")
        if not setup_id.startswith("seti_"):
            raise GatewayError(gettext("The card was not saved: no Stripe SetupIntent came back from the browser."))
        try:
            setup = self._client.v1.setup_intents.retrieve(setup_id).to_dict()
            if setup.get("status") != "succeeded" or _id(setup.get("customer")) != request.customer_reference:
                raise GatewayError(gettext("The card was not saved at Stripe; please enter it again."))
            method_id = _id(setup.get("payment_method"))
            method = self._client.v1.payment_methods.retrieve(method_id).to_dict()
            if _id(method.get("customer")) != request.customer_reference:
                self._client.v1.payment_methods.attach(method_id, params={"customer": request.customer_reference})
            self._client.v1.customers.update(
                request.customer_reference, params={"invoice_settings": {"default_payment_method": method_id}}
            )
            params: dict[str, Any] = {
                "customer": request.customer_reference,
                "items": [{"plan": request.price_reference}],
                "metadata": dict(request.metadata),
            }
            if request.trial_days > 0:
                params["trial_period_days"] = request.trial_days
            sub = self._client.v1.subscriptions.create(
                params=params, options={"idempotency_key": request.idempotency_key}
            )
        except stripe.StripeError as exc:
            raise self._explain(exc) from exc
        return self._state(sub.to_dict())

    def change_subscription(self, reference: str, price_reference: str, idempotency_key: str) -> SubscriptionState:
        try:
            sub = self._client.v1.subscriptions.retrieve(reference).to_dict()
            item = sub["items"]["data"][0]["id"]
            # Stripe prorates a price change by default (proration_behavior=create_prorations).
            updated = self._client.v1.subscriptions.update(
                reference,
                params={"items": [{"id": item, "plan": price_reference}]},
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as exc:
            raise self._explain(exc) from exc
        return self._state(updated.to_dict())

    def cancel_subscription(self, reference: str, at_period_end: bool = True) -> SubscriptionState:
        try:
            if at_period_end:
                sub = self._client.v1.subscriptions.update(reference, params={"cancel_at_period_end": True})
            else:
                sub = self._client.v1.subscriptions.cancel(reference)
        except stripe.StripeError as exc:
            raise self._explain(exc) from exc
        return self._state(sub.to_dict())

    def parse_subscription_webhook(self, body: bytes, headers: Mapping[str, str]) -> SubscriptionEvent:
        payload = self._verified(body, headers)  # provided by the gateway
        data = json.loads(payload)
        try:
            return self._subscription_event(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookError(
                gettext("unexpected event shape: %(type)s: %(exc)s") % {"type": type(exc).__name__, "exc": exc}
            ) from exc

    def _verified(self, body: bytes, headers: Mapping[str, str]) -> str:
        raise NotImplementedError("supplied by StripeGateway, which this mixin is part of")

    @staticmethod
    def _subscription_event(data: Mapping[str, Any]) -> SubscriptionEvent:
        event_id, raw_type = str(data["id"]), str(data["type"])
        obj = data["data"]["object"]
        if raw_type in ("invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed"):
            paid = raw_type != "invoice.payment_failed"
            return SubscriptionEvent(
                event_id=event_id,
                kind="paid" if paid else "payment_failed",
                subscription_reference=_invoice_subscription(obj),
                raw_type=raw_type,
                invoice_reference=str(obj["id"]),
                amount_minor=int(obj.get("amount_paid") or 0) if paid else int(obj.get("amount_due") or 0),
                currency=str(obj.get("currency") or "").upper(),
                period_end=_invoice_period_end(obj),
                message="" if paid else "The renewal could not be charged to the saved card.",
            )
        if raw_type in ("customer.subscription.created", "customer.subscription.updated"):
            return SubscriptionEvent(
                event_id=event_id,
                kind="updated",
                subscription_reference=str(obj["id"]),
                raw_type=raw_type,
                status=_STATUS.get(str(obj.get("status")), "incomplete"),
                price_reference=_price_of(obj),
                period_end=_period_end(obj),
                cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
            )
        if raw_type == "customer.subscription.deleted":
            return SubscriptionEvent(
                event_id=event_id, kind="canceled", subscription_reference=str(obj["id"]), raw_type=raw_type
            )
        return SubscriptionEvent(
            event_id=event_id,
            kind="ignored",
            subscription_reference=_id(obj) if isinstance(obj, Mapping) else "",
            raw_type=raw_type,
        )

    def subscription_checkout_html(self, setup: SubscriptionSetup, context: SubscriptionCheckoutContext) -> str:
        config = {
            "publishable_key": setup.client_data.get("publishable_key", ""),
            "client_secret": setup.client_data.get("client_secret", ""),
            "setup_intent": setup.client_data.get("setup_intent", ""),
            "email": context.customer_email,
        }
        return render_template(
            TEMPLATES,
            "stripe/subscribe.html",
            {"config": config, "js_url": self.js_url, "context": context},
        )
