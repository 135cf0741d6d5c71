"""Invoice / bank transfer: money arrives outside any API.

The learner gets a payment reference and the site's instructions; the booking
stays pending until an editor marks the payment paid in the Wagtail admin
(``manual_confirmation``). Refunds are "pending" until the editor has sent the
money back and marked the refund sent.

An accounting or bank-reconciliation tool may also post events to
``/payments/webhooks/manual/``, signed like Stripe's: the header
``X-PeerLearn-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>``
and a JSON body ``{"id", "type": "payment.received" | "payment.failed" |
"refund.sent", "reference", "amount_minor", "currency"}`` (refunds add
``refund_reference``, ``refund_amount_minor``, optionally ``refunded_total_minor``).
Without a secret configured, every webhook is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.utils.translation import gettext

from core.plugins import (
    CheckoutContext,
    PaymentGateway,
    PaymentRequest,
    PaymentStart,
    RefundRequest,
    RefundResult,
    WebhookError,
    WebhookEvent,
    render_template,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
SIGNATURE_HEADER = "X-PeerLearn-Signature"
TOLERANCE_SECONDS = 300
_KINDS = {"payment.received": "succeeded", "payment.failed": "failed", "refund.sent": "refunded"}


def header(headers: Mapping[str, str], name: str) -> str:
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The signature header value for ``body`` (what a sender computes)."""
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


def verify(secret: str, body: bytes, value: str, tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> None:
    parts: dict[str, list[str]] = {}
    for item in value.split(","):
        key, _, val = item.strip().partition("=")
        parts.setdefault(key, []).append(val)
    try:
        stamp = int(parts["t"][0])
    except (KeyError, ValueError) as exc:
        raise WebhookError(gettext("the signature header has no timestamp")) from exc
    expected = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise WebhookError(gettext("bad signature"))
    if abs((now if now is not None else time.time()) - stamp) > tolerance:
        raise WebhookError(gettext("stale signature (older than %(tolerance)ss)") % {"tolerance": tolerance})


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it; the core shows it translated."""
    return message


class ManualGateway(PaymentGateway):
    identifier = "manual"
    display_name = gettext_noop("Invoice / bank transfer")
    manual_confirmation = True

    def __init__(
        self,
        *,
        instructions: str,
        reference_prefix: str = "PL",
        webhook_secret: str = "",
        currencies: frozenset[str] = frozenset(),
    ) -> None:
        self.instructions = instructions
        self.reference_prefix = reference_prefix
        self._webhook_secret = webhook_secret
        self.currencies = currencies

    def _reference(self, request: PaymentRequest) -> str:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:6].upper()
        return f"{self.reference_prefix}-{request.booking_id}-{digest}"

    def start_payment(self, request: PaymentRequest) -> PaymentStart:
        reference = request.existing_reference or self._reference(request)
        return PaymentStart(
            reference=reference,
            status="pending",
            client_data={
                "reference": reference,
                "instructions": self.instructions,
                "amount_minor": request.amount_minor,
                "currency": request.currency.upper(),
            },
        )

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        if not self._webhook_secret:
            raise WebhookError(gettext("webhooks of the manual gateway are off: no webhook secret is configured"))
        signature = header(headers, SIGNATURE_HEADER)
        if not signature:
            raise WebhookError(
                gettext("the %(SIGNATURE_HEADER)s header is missing") % {"SIGNATURE_HEADER": SIGNATURE_HEADER}
            )
        verify(self._webhook_secret, body, signature)
        try:
            data: dict[str, Any] = json.loads(body)
            kind = _KINDS.get(str(data["type"]), "ignored")
            refunded_total = data.get("refunded_total_minor")
            return WebhookEvent(
                event_id=str(data["id"]),
                kind=kind,  # type: ignore[arg-type]
                reference=str(data.get("reference") or ""),
                amount_minor=int(data.get("amount_minor") or 0),
                currency=str(data.get("currency") or "").upper(),
                raw_type=str(data["type"]),
                refund_reference=str(data.get("refund_reference") or ""),
                refund_amount_minor=int(data.get("refund_amount_minor") or 0),
                refunded_total_minor=int(refunded_total) if refunded_total is not None else None,
                message=str(data.get("message") or ""),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise WebhookError(
                gettext("unexpected event shape: %(type)s: %(exc)s") % {"type": type(exc).__name__, "exc": exc}
            ) from exc

    def refund(self, request: RefundRequest) -> RefundResult:
        digest = hashlib.sha256(request.idempotency_key.encode()).hexdigest()[:8].upper()
        return RefundResult(
            refund_reference=f"{request.reference}-R{digest}",
            status="pending",
            amount_minor=request.amount_minor,
            message="Send the money back to the learner by bank transfer, then mark the refund sent in the admin.",
        )

    def checkout_html(self, start: PaymentStart, context: CheckoutContext) -> str:
        return render_template(
            TEMPLATES,
            "manual/checkout.html",
            {"reference": start.reference, "instructions": self.instructions, "context": context},
        )
