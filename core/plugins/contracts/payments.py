"""The payment gateway contract. Amounts are integer minor units + ISO 4217.

A gateway plugin returns :class:`PaymentGateway` instances from the
``peerlearn_payment_gateways`` hook. The core routes every call by the
gateway's ``identifier`` and makes it through the plugin manager with
``raise_errors=True``: whatever a gateway raises fails the operation *closed*
(no money is ever marked as received or returned on an error). Raise
:class:`GatewayError` with a sentence a person can read; any other exception
is reported as "the gateway failed" with its type.

What the core guarantees a gateway, so a plugin stays small:

* ``start_payment`` is called again with the same ``idempotency_key`` (and the
  reference of the first answer, when there was one) when a learner resumes or
  retries, so passing the key to the gateway makes retries after an outage safe;
* a booking is confirmed only by a verified webhook event (``parse_webhook``)
  or, for ``manual_confirmation`` gateways, by an editor in the admin; the
  browser's return (``verify_return``) never confirms anything;
* events are deduplicated by ``event_id`` and may arrive in any order; the
  amount and currency of each event are checked against the payment;
* refunds never exceed what is left of a payment: the core checks before it
  calls ``refund``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal


class GatewayError(Exception):
    """The gateway refused an operation or could not be reached.

    ``str(exc)`` is shown to the learner or editor, so it says what happened in
    a sentence and never contains a secret.
    """


class WebhookError(Exception):
    """A webhook that must be refused (bad or stale signature, unreadable body).

    The core answers 400 with the message and records nothing.
    """


@dataclass(frozen=True)
class PaymentRequest:
    """Start (or resume) taking ``amount_minor`` for a booking.

    ``booking_id`` is 0 when the payment is for a package of sessions bought
    before any booking: ``metadata["purchase_id"]`` then names the purchase.
    """

    booking_id: int
    amount_minor: int
    currency: str
    idempotency_key: str
    description: str
    customer_email: str = ""
    return_url: str = ""
    #: The gateway's reference from an earlier answer: resume that payment instead of starting anew.
    existing_reference: str = ""
    #: Plain strings the gateway may store with its payment (our payment id, the site).
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PaymentStart:
    """What the browser needs to finish a payment (``client_data`` is sent to it).

    ``status`` "failed" means the gateway's payment can no longer be paid (for
    example it was cancelled there): the core then starts a new one with a new
    idempotency key.
    """

    reference: str
    status: Literal["requires_action", "pending", "succeeded", "failed"]
    client_data: Mapping[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass(frozen=True)
class WebhookEvent:
    """A verified event from the gateway.

    For ``succeeded`` and ``failed``, ``amount_minor`` is the payment's amount.
    For ``refunded``, ``amount_minor`` is the original payment's amount (checked
    like the others), ``refund_amount_minor`` the amount of the refund this
    event reports and ``refunded_total_minor`` the total refunded on the payment
    so far when the gateway says it (the core then records only what it has not
    recorded yet, whatever the order of events). ``ignored`` events are
    acknowledged and kept for the record.
    """

    event_id: str
    kind: Literal["succeeded", "failed", "refunded", "ignored"]
    reference: str
    amount_minor: int
    currency: str
    raw_type: str
    #: The gateway's id of the captured payment or charge, when it differs from ``reference``.
    charge_reference: str = ""
    refund_reference: str = ""
    refund_amount_minor: int = 0
    refunded_total_minor: int | None = None
    message: str = ""


@dataclass(frozen=True)
class PaymentReturn:
    """What the learner's browser brought back from the gateway, once verified.

    Never confirms a booking: it lets the result page say "payment received,
    waiting for confirmation" and records ``charge_reference`` early.
    """

    reference: str
    status: Literal["processing", "failed"]
    charge_reference: str = ""
    message: str = ""


@dataclass(frozen=True)
class RefundRequest:
    reference: str
    amount_minor: int
    currency: str
    idempotency_key: str
    charge_reference: str = ""
    reason: str = ""


@dataclass(frozen=True)
class RefundResult:
    """``pending``: accepted but not settled; the core waits for a ``refunded`` event."""

    refund_reference: str
    status: Literal["succeeded", "pending", "failed"]
    amount_minor: int
    message: str = ""


@dataclass(frozen=True)
class PaymentState:
    """A payment as the gateway sees it now (used by reconciliation)."""

    reference: str
    status: Literal["pending", "succeeded", "failed", "canceled"]
    amount_minor: int
    currency: str
    refunded_minor: int = 0
    charge_reference: str = ""


@dataclass(frozen=True)
class CheckoutContext:
    """What a gateway's checkout widget may use besides ``PaymentStart.client_data``."""

    booking_id: int
    amount_minor: int
    currency: str
    amount_display: str
    description: str
    customer_email: str
    csrf_token: str
    #: POST the gateway's return parameters here (``verify_return``); answers JSON.
    return_url: str
    #: The page that waits for the webhook and shows the booking's status.
    result_url: str
    #: The page's Content-Security-Policy nonce: write ``<script nonce="{{ context.csp_nonce }}">``
    #: on the widget's inline scripts, or they do not run.
    csp_nonce: str = ""


class PaymentGateway(ABC):
    """A way to take money. Errors raise; the core fails the payment closed."""

    identifier: ClassVar[str]
    display_name: ClassVar[str]
    #: ISO 4217 codes this gateway takes; empty means any. Instances may narrow it from settings.
    currencies: frozenset[str] = frozenset()
    #: True when money arrives outside any API (bank transfer): an editor marks payments
    #: paid (and refunds sent) in the admin, and ``refund`` answers "pending".
    manual_confirmation: ClassVar[bool] = False

    def supports(self, currency: str) -> bool:
        return not self.currencies or currency.upper() in self.currencies

    @abstractmethod
    def start_payment(self, request: PaymentRequest) -> PaymentStart:
        """Create (or, with ``existing_reference``, fetch) the gateway's payment."""

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the signature and parse; raise :class:`WebhookError` to refuse.

        ``headers`` are matched case-insensitively by the core's mapping.
        """

    @abstractmethod
    def refund(self, request: RefundRequest) -> RefundResult:
        """Return ``amount_minor`` of a captured payment to the payer."""

    def verify_return(self, reference: str, params: Mapping[str, str]) -> PaymentReturn:
        """Check what the browser posted after paying; raise :class:`GatewayError` if forged.

        Gateways whose browser step returns nothing to verify keep this default.
        """
        return PaymentReturn(reference=reference, status="processing")

    def lookup(self, reference: str) -> PaymentState | None:
        """Ask the gateway for the payment's state now; ``None`` if it cannot be asked."""
        return None

    def checkout_html(self, start: PaymentStart, context: CheckoutContext) -> str:
        """HTML of the widget the checkout page shows for this gateway (trusted, not escaped).

        Render it from the plugin's own templates (see :func:`core.plugins.render_template`).
        """
        return ""

    def content_security_sources(self) -> Mapping[str, Sequence[str]]:
        """Origins the checkout widget loads or talks to, by CSP directive.

        For example ``{"script-src": ["https://js.example.com"], "frame-src": [...],
        "connect-src": [...]}``: the checkout page's Content-Security-Policy allows
        them on that page only. Same-origin widgets keep this default.
        """
        return {}
