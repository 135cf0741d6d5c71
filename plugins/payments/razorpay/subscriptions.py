"""Razorpay Plans and Subscriptions: the subscription capability of the Razorpay gateway.

Razorpay's customer authorises a *subscription* (not a card) in Checkout, so
``begin_subscription`` creates the subscription for the chosen plan (its id is
also the customer reference) and Checkout opens with ``subscription_id``;
``create_subscription`` verifies Checkout's signature
(HMAC-SHA256 of ``payment_id|subscription_id``) and reads the subscription
back. Renewals, failures and the end arrive as signed ``subscription.*``
webhooks. Razorpay changes a plan at once (``schedule_change_at=now``) and
does not prorate: the new plan's cycle starts with the change.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import razorpay
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
_PERIOD = {"month": "monthly", "year": "yearly"}
#: Razorpay needs a number of billing cycles: ten years of them.
_TOTAL_COUNT = {"monthly": 120, "yearly": 10}
_STATUS = {
    "created": "incomplete",
    "authenticated": "incomplete",
    "active": "active",
    "pending": "past_due",
    "halted": "past_due",
    "paused": "past_due",
    "cancelled": "canceled",
    "completed": "canceled",
    "expired": "canceled",
}


def _status(sub: Mapping[str, Any]) -> str:
    status = _STATUS.get(str(sub.get("status")), "incomplete")
    start_at = int(sub.get("start_at") or 0)
    if sub.get("status") == "authenticated" and start_at > time.time():
        return "trialing"  # authorised, first charge after the free days
    return status


class RazorpaySubscriptions(SubscriptionGateway):
    """Needs the gateway's ``_client``, ``_timeout``, ``_key_secret``, ``_verified_body``, ``_explain_error``."""

    _client: razorpay.Client
    _timeout: float
    _key_secret: str
    key_id: str
    business_name: str
    checkout_js_url: str

    def _explain_error(self, exc: Exception) -> GatewayError:
        raise NotImplementedError("supplied by RazorpayGateway, which this mixin is part of")

    def _verified_body(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, str]:
        raise NotImplementedError("supplied by RazorpayGateway, which this mixin is part of")

    def _call(self, fn, *args, **kwargs):
        from .gateway import _ERRORS

        try:
            return fn(*args, timeout=self._timeout, **kwargs)
        except _ERRORS as exc:
            raise self._explain_error(exc) from exc

    def _state(self, sub: Mapping[str, Any], cancel_at_period_end: bool = False) -> SubscriptionState:
        return SubscriptionState(
            reference=str(sub["id"]),
            status=_status(sub),  # type: ignore[arg-type]
            price_reference=str(sub.get("plan_id") or ""),
            current_period_end=int(sub.get("current_end") or 0),
            cancel_at_period_end=cancel_at_period_end,
        )

    def ensure_price(self, spec: PriceSpec) -> str:
        period = _PERIOD[spec.interval]
        if spec.existing_reference:
            plan = self._call(self._client.plan.fetch, spec.existing_reference)
            item = plan.get("item") or {}
            if (
                int(item.get("amount") or 0) == spec.amount_minor
                and str(item.get("currency")).upper() == spec.currency.upper()
                and plan.get("period") == period
            ):
                return str(plan["id"])
        plan = self._call(
            self._client.plan.create,
            {
                "period": period,
                "interval": 1,
                "item": {
                    "name": spec.product_name[:250],
                    "amount": spec.amount_minor,
                    "currency": spec.currency.upper(),
                },
                "notes": {"peerlearn_price": spec.key},
            },
        )
        return str(plan["id"])

    def begin_subscription(self, request: SubscriptionSetupRequest) -> SubscriptionSetup:
        if not request.price_reference:
            raise GatewayError(gettext("No Razorpay plan was given for the subscription."))
        plan = self._call(self._client.plan.fetch, request.price_reference)
        data: dict[str, Any] = {
            "plan_id": request.price_reference,
            "total_count": _TOTAL_COUNT.get(str(plan.get("period")), 120),
            "customer_notify": 1,
            "notes": {**dict(request.metadata), "idempotency_key": request.idempotency_key[:200]},
        }
        if request.trial_days > 0:
            data["start_at"] = int(time.time()) + request.trial_days * 86400
        sub = self._call(self._client.subscription.create, data)
        return SubscriptionSetup(
            customer_reference=str(sub["id"]),
            client_data={
                "key_id": self.key_id,
                "subscription_id": str(sub["id"]),
                "name": self.business_name,
                "checkout_js_url": self.checkout_js_url,
            },
        )

    def create_subscription(self, request: SubscriptionRequest) -> SubscriptionState:
        sub_id = str(request.params.get("razorpay_subscription_id") or "")
        payment_id = str(request.params.get("razorpay_payment_id") or "")
        signature = str(request.params.get("razorpay_signature") or "")
        if not sub_id or sub_id != request.customer_reference:
            raise GatewayError(gettext("Razorpay's answer is for another subscription."))
        expected = hmac.new(self._key_secret.encode(), f"{payment_id}|{sub_id}".encode(), hashlib.sha256).hexdigest()
        if not payment_id or not hmac.compare_digest(expected, signature):
            raise GatewayError(gettext("Razorpay's answer could not be verified; nothing was recorded."))
        return self._state(self._call(self._client.subscription.fetch, sub_id))

    def change_subscription(self, reference: str, price_reference: str, idempotency_key: str) -> SubscriptionState:
        sub = self._call(
            self._client.subscription.edit, reference, {"plan_id": price_reference, "schedule_change_at": "now"}
        )
        return self._state(sub)

    def cancel_subscription(self, reference: str, at_period_end: bool = True) -> SubscriptionState:
        sub = self._call(
            self._client.subscription.cancel, reference, {"cancel_at_cycle_end": 1 if at_period_end else 0}
        )
        return self._state(sub, cancel_at_period_end=at_period_end and sub.get("status") != "cancelled")

    def parse_subscription_webhook(self, body: bytes, headers: Mapping[str, str]) -> SubscriptionEvent:
        payload, event_id = self._verified_body(body, headers)
        try:
            data = json.loads(payload)
        except ValueError as exc:
            raise WebhookError(gettext("the body is not JSON")) from exc
        try:
            return self._subscription_event(event_id, data)
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookError(
                gettext("unexpected event shape: %(type)s: %(exc)s") % {"type": type(exc).__name__, "exc": exc}
            ) from exc

    @staticmethod
    def _subscription_event(event_id: str, data: Mapping[str, Any]) -> SubscriptionEvent:
        raw_type = str(data["event"])
        payload = data.get("payload") or {}
        sub = (payload.get("subscription") or {}).get("entity") or {}
        payment = (payload.get("payment") or {}).get("entity") or {}
        reference = str(sub.get("id") or "")
        if raw_type == "subscription.charged":
            return SubscriptionEvent(
                event_id=event_id,
                kind="paid",
                subscription_reference=reference,
                raw_type=raw_type,
                invoice_reference=str(payment.get("invoice_id") or payment["id"]),
                amount_minor=int(payment["amount"]),
                currency=str(payment["currency"]).upper(),
                period_end=int(sub.get("current_end") or 0),
            )
        if raw_type in ("subscription.pending", "subscription.halted"):
            return SubscriptionEvent(
                event_id=event_id,
                kind="payment_failed",
                subscription_reference=reference,
                raw_type=raw_type,
                invoice_reference=f"{reference}@{sub.get('charge_at') or sub.get('current_end') or ''}",
                period_end=int(sub.get("current_end") or 0),
                message="Razorpay could not charge the renewal.",
            )
        if raw_type in ("subscription.cancelled", "subscription.completed"):
            return SubscriptionEvent(
                event_id=event_id, kind="canceled", subscription_reference=reference, raw_type=raw_type
            )
        if raw_type in (
            "subscription.authenticated",
            "subscription.activated",
            "subscription.updated",
            "subscription.resumed",
        ):
            return SubscriptionEvent(
                event_id=event_id,
                kind="updated",
                subscription_reference=reference,
                raw_type=raw_type,
                status=_status(sub),
                price_reference=str(sub.get("plan_id") or ""),
                period_end=int(sub.get("current_end") or 0),
            )
        return SubscriptionEvent(event_id=event_id, kind="ignored", subscription_reference=reference, raw_type=raw_type)

    def subscription_checkout_html(self, setup: SubscriptionSetup, context: SubscriptionCheckoutContext) -> str:
        data = setup.client_data
        options = {
            "key": data.get("key_id", ""),
            "subscription_id": data.get("subscription_id", ""),
            "name": data.get("name", ""),
            "description": f"{context.plan_name}: {context.amount_display}",
            "prefill": {"email": context.customer_email},
        }
        return render_template(
            TEMPLATES,
            "razorpay/subscribe.html",
            {"options": options, "checkout_js_url": data.get("checkout_js_url", ""), "context": context},
        )
