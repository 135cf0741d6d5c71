"""Stripe PaymentIntents, confirmed in the browser by Stripe.js (card element).

Every call goes through a :class:`stripe.StripeClient` of its own (no global
``stripe.api_key``), so two sites with different accounts never share keys.
``api_base`` points the SDK at another server (``localstripe`` in tests).
Creating intents and refunds passes the core's idempotency key, so a retry
after a timeout returns the first intent or refund instead of a second one.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import stripe
from django.utils.translation import gettext

from core.plugins import (
    CheckoutContext,
    GatewayError,
    PaymentGateway,
    PaymentRequest,
    PaymentStart,
    PaymentState,
    RefundRequest,
    RefundResult,
    WebhookError,
    WebhookEvent,
    render_template,
)

from .subscriptions import StripeSubscriptions

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Stripe's recommended tolerance for webhook timestamps (the SDK's default).
WEBHOOK_TOLERANCE_SECONDS = 300

_START_STATUS = {
    "requires_payment_method": "requires_action",
    "requires_confirmation": "requires_action",
    "requires_action": "requires_action",
    "processing": "pending",
    "requires_capture": "pending",
    "succeeded": "succeeded",
    "canceled": "failed",
}
_STATE_STATUS = {
    "succeeded": "succeeded",
    "canceled": "canceled",
}


def header(headers: Mapping[str, str], name: str) -> str:
    """A header, whatever the case of its name in ``headers``."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def _id(value: Any) -> str:
    """An expandable field: an id string, or an object carrying one."""
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return str(value.get("id") or "")
    return ""


def _explain(exc: stripe.StripeError) -> GatewayError:
    if isinstance(exc, stripe.APIConnectionError):
        return GatewayError(gettext("Stripe could not be reached. Nothing was charged; please try again in a moment."))
    if isinstance(exc, stripe.AuthenticationError):
        return GatewayError(
            gettext("Stripe refused the site's API key. An administrator must check the Stripe settings.")
        )
    message = exc.user_message or getattr(exc, "_message", None) or "no details"
    return GatewayError(gettext("Stripe refused the request: %(message)s") % {"message": message})


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it; the core shows it translated."""
    return message


class StripeGateway(StripeSubscriptions, PaymentGateway):
    identifier = "stripe"
    display_name = gettext_noop("Card (Stripe)")

    def __init__(
        self,
        *,
        secret_key: str,
        publishable_key: str = "",
        webhook_secret: str = "",
        api_base: str = "",
        js_url: str = "https://js.stripe.com/v3/",
        currencies: frozenset[str] = frozenset(),
        timeout_seconds: float = 15,
        max_network_retries: int = 1,
    ) -> None:
        self._secret_key = secret_key
        self.publishable_key = publishable_key
        self._webhook_secret = webhook_secret
        self.js_url = js_url
        self.currencies = currencies
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")} if api_base else None,
            max_network_retries=max_network_retries,
            http_client=stripe.RequestsClient(timeout=timeout_seconds),
        )

    # --- payments -------------------------------------------------------------

    def start_payment(self, request: PaymentRequest) -> PaymentStart:
        try:
            if request.existing_reference:
                intent = self._client.v1.payment_intents.retrieve(request.existing_reference)
            else:
                intent = self._client.v1.payment_intents.create(
                    params={
                        "amount": request.amount_minor,
                        "currency": request.currency.lower(),
                        "payment_method_types": ["card"],
                        "metadata": {
                            **{str(k): str(v) for k, v in request.metadata.items()},
                            "booking_id": str(request.booking_id),
                            "description": request.description[:500],
                        },
                    },
                    options={"idempotency_key": request.idempotency_key},
                )
        except stripe.StripeError as exc:
            raise _explain(exc) from exc
        if intent.amount != request.amount_minor or intent.currency.upper() != request.currency.upper():
            return PaymentStart(
                reference=intent.id,
                status="failed",
                message="The payment at Stripe is for a different amount; a new one is needed.",
            )
        status = _START_STATUS.get(intent.status, "pending")
        return PaymentStart(
            reference=intent.id,
            status=status,
            client_data={
                "client_secret": intent.client_secret,
                "publishable_key": self.publishable_key,
                "js_url": self.js_url,
                "payment_intent": intent.id,
            },
        )

    def _explain(self, exc: stripe.StripeError) -> GatewayError:
        return _explain(exc)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        data = json.loads(self._verified(body, headers))
        try:
            return self._event(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookError(
                gettext("unexpected event shape: %(type)s: %(exc)s") % {"type": type(exc).__name__, "exc": exc}
            ) from exc

    def _verified(self, body: bytes, headers: Mapping[str, str]) -> str:
        """The body as text once its ``Stripe-Signature`` is checked; :class:`WebhookError` otherwise."""
        if not self._webhook_secret:
            raise WebhookError(gettext("no Stripe webhook secret is configured, so no event can be verified"))
        signature = header(headers, "Stripe-Signature")
        if not signature:
            raise WebhookError(gettext("the Stripe-Signature header is missing"))
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookError(gettext("the body is not UTF-8")) from exc
        try:
            stripe.Webhook.construct_event(
                payload, signature, self._webhook_secret, tolerance=WEBHOOK_TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as exc:
            raise WebhookError(
                gettext("bad or stale signature: %(user_message_or_exc)s")
                % {"user_message_or_exc": exc.user_message or exc}
            ) from exc
        except ValueError as exc:
            raise WebhookError(gettext("the body is not JSON")) from exc
        return payload

    @staticmethod
    def _event(data: Mapping[str, Any]) -> WebhookEvent:
        event_id = str(data["id"])
        raw_type = str(data["type"])
        obj = data["data"]["object"]
        if raw_type in ("payment_intent.succeeded", "payment_intent.payment_failed"):
            succeeded = raw_type == "payment_intent.succeeded"
            error = obj.get("last_payment_error") or {}
            return WebhookEvent(
                event_id=event_id,
                kind="succeeded" if succeeded else "failed",
                reference=str(obj["id"]),
                amount_minor=int(obj.get("amount_received") or obj["amount"]) if succeeded else int(obj["amount"]),
                currency=str(obj["currency"]).upper(),
                raw_type=raw_type,
                charge_reference=_id(obj.get("latest_charge")),
                message="" if succeeded else str(error.get("message") or "The card payment failed."),
            )
        if raw_type == "charge.refunded":
            refunds = (obj.get("refunds") or {}).get("data") or []
            latest = refunds[0] if refunds else {}
            return WebhookEvent(
                event_id=event_id,
                kind="refunded",
                reference=_id(obj.get("payment_intent")) or str(obj["id"]),
                amount_minor=int(obj["amount"]),
                currency=str(obj["currency"]).upper(),
                raw_type=raw_type,
                charge_reference=str(obj["id"]),
                refund_reference=_id(latest),
                refund_amount_minor=int(latest.get("amount") or 0) if latest else 0,
                refunded_total_minor=int(obj["amount_refunded"]),
            )
        return WebhookEvent(
            event_id=event_id,
            kind="ignored",
            reference=_id(obj) if isinstance(obj, Mapping) else "",
            amount_minor=0,
            currency=str(obj.get("currency") or "").upper() if isinstance(obj, Mapping) else "",
            raw_type=raw_type,
        )

    def refund(self, request: RefundRequest) -> RefundResult:
        params: dict[str, Any] = {
            "payment_intent": request.reference,
            "amount": request.amount_minor,
            "metadata": {"idempotency_key": request.idempotency_key, "reason": request.reason[:500]},
        }
        try:
            refund = self._client.v1.refunds.create(params=params, options={"idempotency_key": request.idempotency_key})
        except stripe.StripeError as exc:
            raise _explain(exc) from exc
        if refund.status in ("failed", "canceled"):
            raise GatewayError(
                gettext("Stripe could not refund: the refund is %(status)s.") % {"status": refund.status}
            )
        return RefundResult(
            refund_reference=refund.id,
            status="succeeded" if refund.status == "succeeded" else "pending",
            amount_minor=int(refund.amount),
        )

    def lookup(self, reference: str) -> PaymentState | None:
        try:
            intent = self._client.v1.payment_intents.retrieve(reference).to_dict()
            charge = intent.get("latest_charge")
            if isinstance(charge, str) and charge:
                charge = self._client.v1.charges.retrieve(charge).to_dict()
        except stripe.StripeError as exc:
            raise _explain(exc) from exc
        return PaymentState(
            reference=str(intent["id"]),
            status=_STATE_STATUS.get(str(intent["status"]), "pending"),  # type: ignore[arg-type]
            amount_minor=int(intent["amount"]),
            currency=str(intent["currency"]).upper(),
            refunded_minor=int(charge.get("amount_refunded") or 0) if isinstance(charge, Mapping) else 0,
            charge_reference=_id(charge),
        )

    # --- browser --------------------------------------------------------------

    def content_security_sources(self) -> Mapping[str, Sequence[str]]:
        # Stripe's documented needs: Stripe.js and its frames from js.stripe.com, 3-D Secure
        # frames from hooks.stripe.com, the browser's calls to api.stripe.com. A test copy
        # (localstripe) serves the script and answers its calls from js_url's origin.
        parts = urlsplit(self.js_url)
        js = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
        return {
            "script-src": [js],
            "frame-src": [js, "https://hooks.stripe.com"],
            "connect-src": [js, "https://api.stripe.com"],
        }

    def checkout_html(self, start: PaymentStart, context: CheckoutContext) -> str:
        config = {
            "publishable_key": start.client_data.get("publishable_key", ""),
            "client_secret": start.client_data.get("client_secret", ""),
            "result_url": context.result_url,
            "email": context.customer_email,
        }
        return render_template(
            TEMPLATES,
            "stripe/checkout.html",
            {"config": config, "js_url": self.js_url, "context": context},
        )
