"""Razorpay orders, paid through Razorpay Checkout on our own page.

The flow: ``start_payment`` creates an order (its id is our reference).
Razorpay's orders API takes no idempotency key, so the order's ``receipt`` is
our key, and an order already made for it (a retry after a lost answer) is
found by its receipt and reused instead of creating a second one. Checkout
collects the payment in the browser and hands back ``razorpay_payment_id``,
``razorpay_order_id`` and ``razorpay_signature``, which ``verify_return``
checks with the SDK; the booking is confirmed only by the signed
``payment.captured`` webhook. Refunds go to the captured payment
(``pay_...``) with Razorpay's ``X-Refund-Idempotency`` header.

``api_base`` points the SDK's HTTP calls at another server (tests run a
local one): nothing here needs the internet to be tested.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import razorpay
import requests
from django.utils.translation import gettext
from razorpay.errors import BadRequestError, ServerError, SignatureVerificationError
from razorpay.errors import GatewayError as RazorpayGatewayError

from core.plugins import (
    CheckoutContext,
    GatewayError,
    PaymentGateway,
    PaymentRequest,
    PaymentReturn,
    PaymentStart,
    PaymentState,
    RefundRequest,
    RefundResult,
    WebhookError,
    WebhookEvent,
    render_template,
)

from .subscriptions import RazorpaySubscriptions

TEMPLATES = Path(__file__).resolve().parent / "templates"
DEFAULT_API_BASE = "https://api.razorpay.com"
DEFAULT_CHECKOUT_JS = "https://checkout.razorpay.com/v1/checkout.js"


def header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def _explain(exc: Exception) -> GatewayError:
    if isinstance(exc, requests.ConnectionError | requests.Timeout):
        return GatewayError(
            gettext("Razorpay could not be reached. Nothing was charged; please try again in a moment.")
        )
    if isinstance(exc, BadRequestError):
        return GatewayError(gettext("Razorpay refused the request: %(exc)s") % {"exc": exc})
    if isinstance(exc, RazorpayGatewayError | ServerError):
        return GatewayError(
            gettext("Razorpay failed: %(exc_or_server_error)s") % {"exc_or_server_error": exc or "server error"}
        )
    return GatewayError(gettext("Razorpay answered something unexpected (%(type)s).") % {"type": type(exc).__name__})


def receipt_for(idempotency_key: str) -> str:
    """The order's ``receipt``: our idempotency key, cut to Razorpay's 40 characters."""
    return idempotency_key[:40]


def _made_for(order: Mapping[str, Any], receipt: str, idempotency_key: str) -> bool:
    notes = order.get("notes")
    notes = notes if isinstance(notes, Mapping) else {}  # Razorpay sends [] for no notes
    return order.get("receipt") == receipt and notes.get("idempotency_key", idempotency_key) == idempotency_key


_ERRORS = (requests.RequestException, BadRequestError, RazorpayGatewayError, ServerError, ValueError, KeyError)


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it; the core shows it translated."""
    return message


class RazorpayGateway(RazorpaySubscriptions, PaymentGateway):
    identifier = "razorpay"
    display_name = gettext_noop("Razorpay (cards, UPI, netbanking)")

    def __init__(
        self,
        *,
        key_id: str,
        key_secret: str,
        webhook_secret: str = "",
        api_base: str = DEFAULT_API_BASE,
        checkout_js_url: str = DEFAULT_CHECKOUT_JS,
        business_name: str = "PeerLearn",
        currencies: frozenset[str] = frozenset({"INR"}),
        timeout_seconds: float = 15,
    ) -> None:
        self.key_id = key_id
        self._webhook_secret = webhook_secret
        self._key_secret = key_secret
        self.checkout_js_url = checkout_js_url
        self.business_name = business_name
        self.currencies = currencies
        self._timeout = timeout_seconds
        self._client = razorpay.Client(auth=(key_id, key_secret), base_url=api_base.rstrip("/"))

    # --- payments -------------------------------------------------------------

    def start_payment(self, request: PaymentRequest) -> PaymentStart:
        try:
            order = self._order_for(request)
            reference = str(order["id"])
            amount = int(order["amount"])
            currency = str(order["currency"]).upper()
            status = str(order.get("status") or "created")
        except _ERRORS as exc:
            raise _explain(exc) from exc
        if amount != request.amount_minor or currency != request.currency.upper():
            return PaymentStart(
                reference=reference,
                status="failed",
                message="The order at Razorpay is for a different amount; a new one is needed.",
            )
        return PaymentStart(
            reference=reference,
            status="succeeded" if status == "paid" else "requires_action",
            client_data={
                "key_id": self.key_id,
                "order_id": reference,
                "amount": amount,
                "currency": currency,
                "name": self.business_name,
                "description": request.description[:255],
                "prefill_email": request.customer_email,
                "checkout_js_url": self.checkout_js_url,
            },
        )

    def _order_for(self, request: PaymentRequest) -> Mapping[str, Any]:
        """The order of this payment attempt: the one we were told, one already made for its key, or a new one."""
        if request.existing_reference:
            return self._client.order.fetch(request.existing_reference, timeout=self._timeout)
        receipt = receipt_for(request.idempotency_key)
        existing = self._order_with_receipt(receipt, request.idempotency_key)
        if existing is not None:
            return existing
        return self._client.order.create(
            {
                "amount": request.amount_minor,
                "currency": request.currency.upper(),
                "receipt": receipt,
                "notes": {
                    **{str(k): str(v) for k, v in request.metadata.items()},
                    "booking_id": str(request.booking_id),
                    "idempotency_key": request.idempotency_key,
                },
            },
            timeout=self._timeout,
        )

    def _order_with_receipt(self, receipt: str, idempotency_key: str) -> Mapping[str, Any] | None:
        """An order made earlier for this key (its answer may have been lost), best first.

        A paid order wins, then one the learner already tried to pay, then the
        oldest. The full key in the notes guards against two keys whose first 40
        characters (a receipt's limit) are the same.
        """
        found = self._client.order.all({"receipt": receipt, "count": 100}, timeout=self._timeout)
        orders = [order for order in found.get("items") or [] if _made_for(order, receipt, idempotency_key)]
        if not orders:
            return None
        return min(
            orders,
            key=lambda o: (o.get("status") != "paid", o.get("status") != "attempted", int(o.get("created_at") or 0)),
        )

    def verify_return(self, reference: str, params: Mapping[str, str]) -> PaymentReturn:
        order_id = str(params.get("razorpay_order_id") or "")
        payment_id = str(params.get("razorpay_payment_id") or "")
        signature = str(params.get("razorpay_signature") or "")
        if not (order_id and payment_id and signature):
            raise GatewayError(gettext("Razorpay's answer is incomplete (order, payment and signature are needed)."))
        if order_id != reference:
            raise GatewayError(gettext("Razorpay's answer is for another order."))
        try:
            self._client.utility.verify_payment_signature(
                {"razorpay_order_id": order_id, "razorpay_payment_id": payment_id, "razorpay_signature": signature}
            )
        except SignatureVerificationError as exc:
            raise GatewayError(
                gettext("Razorpay's payment signature does not match; the answer was not accepted.")
            ) from exc
        return PaymentReturn(reference=reference, status="processing", charge_reference=payment_id)

    def _explain_error(self, exc: Exception) -> GatewayError:
        return _explain(exc)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        payload, event_id = self._verified_body(body, headers)
        try:
            data = json.loads(payload)
        except ValueError as exc:
            raise WebhookError(gettext("the body is not JSON")) from exc
        try:
            return self._event(event_id, data)
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookError(
                gettext("unexpected event shape: %(type)s: %(exc)s") % {"type": type(exc).__name__, "exc": exc}
            ) from exc

    def _verified_body(self, body: bytes, headers: Mapping[str, str]) -> tuple[str, str]:
        """The body as text and the delivery's event id, once ``X-Razorpay-Signature`` is checked."""
        if not self._webhook_secret:
            raise WebhookError(gettext("no Razorpay webhook secret is configured, so no event can be verified"))
        signature = header(headers, "X-Razorpay-Signature")
        if not signature:
            raise WebhookError(gettext("the X-Razorpay-Signature header is missing"))
        try:
            payload = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise WebhookError(gettext("the body is not UTF-8")) from exc
        try:
            self._client.utility.verify_webhook_signature(payload, signature, self._webhook_secret)
        except SignatureVerificationError as exc:
            raise WebhookError(gettext("bad signature")) from exc
        # Razorpay names each delivery's event in a header; a retried delivery keeps it.
        event_id = header(headers, "X-Razorpay-Event-Id") or "sha256:" + hashlib.sha256(body).hexdigest()
        return payload, event_id

    @staticmethod
    def _event(event_id: str, data: Mapping[str, Any]) -> WebhookEvent:
        raw_type = str(data["event"])
        payload = data.get("payload") or {}
        payment = (payload.get("payment") or {}).get("entity") or {}
        if raw_type in ("payment.captured", "payment.failed"):
            captured = raw_type == "payment.captured"
            return WebhookEvent(
                event_id=event_id,
                kind="succeeded" if captured else "failed",
                reference=str(payment["order_id"]),
                amount_minor=int(payment["amount"]),
                currency=str(payment["currency"]).upper(),
                raw_type=raw_type,
                charge_reference=str(payment["id"]),
                message="" if captured else str(payment.get("error_description") or "The payment failed."),
            )
        if raw_type == "refund.processed":
            refund = (payload.get("refund") or {}).get("entity") or {}
            return WebhookEvent(
                event_id=event_id,
                kind="refunded",
                reference=str(payment["order_id"]),
                amount_minor=int(payment["amount"]),
                currency=str(payment["currency"]).upper(),
                raw_type=raw_type,
                charge_reference=str(payment["id"]),
                refund_reference=str(refund.get("id") or ""),
                refund_amount_minor=int(refund.get("amount") or 0),
                refunded_total_minor=(
                    int(payment["amount_refunded"]) if payment.get("amount_refunded") is not None else None
                ),
            )
        return WebhookEvent(
            event_id=event_id,
            kind="ignored",
            reference=str(payment.get("order_id") or ""),
            amount_minor=0,
            currency=str(payment.get("currency") or "").upper(),
            raw_type=raw_type,
        )

    def _captured_payment(self, order_id: str) -> Mapping[str, Any] | None:
        payments = self._client.order.payments(order_id, timeout=self._timeout)
        for item in payments.get("items") or []:
            if item.get("status") in ("captured", "refunded"):
                return item
        return None

    def refund(self, request: RefundRequest) -> RefundResult:
        try:
            payment_id = request.charge_reference
            if not payment_id:
                captured = self._captured_payment(request.reference)
                if captured is None:
                    raise GatewayError(
                        gettext("Razorpay has no captured payment for this order, so nothing can be refunded.")
                    )
                payment_id = str(captured["id"])
            refund = self._client.payment.refund(
                payment_id,
                {
                    "amount": request.amount_minor,
                    "speed": "normal",
                    "receipt": request.idempotency_key[:40],
                    "notes": {"idempotency_key": request.idempotency_key, "reason": request.reason[:250]},
                },
                headers={"X-Refund-Idempotency": request.idempotency_key},
                timeout=self._timeout,
            )
            status = str(refund.get("status") or "pending")
            result = RefundResult(
                refund_reference=str(refund["id"]),
                status="succeeded" if status == "processed" else "pending",
                amount_minor=int(refund["amount"]),
            )
        except _ERRORS as exc:
            raise _explain(exc) from exc
        if status == "failed":
            raise GatewayError(gettext("Razorpay could not refund this payment."))
        return result

    def lookup(self, reference: str) -> PaymentState | None:
        try:
            order = self._client.order.fetch(reference, timeout=self._timeout)
            captured = self._captured_payment(reference)
        except _ERRORS as exc:
            raise _explain(exc) from exc
        return PaymentState(
            reference=reference,
            status="succeeded" if captured is not None else "pending",
            amount_minor=int(order["amount"]),
            currency=str(order["currency"]).upper(),
            refunded_minor=int(captured.get("amount_refunded") or 0) if captured else 0,
            charge_reference=str(captured["id"]) if captured else "",
        )

    # --- browser --------------------------------------------------------------

    def content_security_sources(self) -> Mapping[str, Sequence[str]]:
        # Checkout's script, the payment window it opens (a frame of api.razorpay.com), its calls and images.
        parts = urlsplit(self.checkout_js_url)
        js = f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""
        return {
            "script-src": [js],
            "frame-src": ["https://api.razorpay.com"],
            "connect-src": ["https://api.razorpay.com", "https://lumberjack.razorpay.com"],
            "img-src": ["https://cdn.razorpay.com"],
        }

    def checkout_html(self, start: PaymentStart, context: CheckoutContext) -> str:
        data = start.client_data
        options = {
            "key": data.get("key_id", ""),
            "order_id": data.get("order_id", ""),
            "amount": data.get("amount", context.amount_minor),
            "currency": data.get("currency", context.currency),
            "name": data.get("name", ""),
            "description": data.get("description", context.description),
            "prefill": {"email": context.customer_email},
        }
        config = {
            "options": options,
            "return_url": context.return_url,
            "result_url": context.result_url,
            "csrf_token": context.csrf_token,
        }
        return render_template(
            TEMPLATES,
            "razorpay/checkout.html",
            {"config": config, "checkout_js_url": data.get("checkout_js_url", DEFAULT_CHECKOUT_JS), "context": context},
        )
