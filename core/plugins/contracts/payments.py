"""The payment gateway contract. Amounts are integer minor units + ISO 4217."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal


class WebhookError(Exception):
    """A webhook that must be refused (bad signature, unreadable body)."""


@dataclass(frozen=True)
class PaymentRequest:
    booking_id: int
    amount_minor: int
    currency: str
    idempotency_key: str
    description: str
    customer_email: str = ""
    return_url: str = ""
    existing_reference: str = ""  # resume the gateway's payment instead of starting anew


@dataclass(frozen=True)
class PaymentStart:
    """What the browser needs to finish a payment (``client_data`` is sent to it)."""

    reference: str
    status: Literal["requires_action", "pending", "succeeded"]
    client_data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WebhookEvent:
    event_id: str
    kind: Literal["succeeded", "failed", "refunded", "ignored"]
    reference: str
    amount_minor: int
    currency: str
    raw_type: str


@dataclass(frozen=True)
class RefundRequest:
    reference: str
    amount_minor: int
    currency: str
    idempotency_key: str


@dataclass(frozen=True)
class RefundResult:
    refund_reference: str
    status: Literal["succeeded", "pending", "failed"]
    amount_minor: int


class PaymentGateway(ABC):
    """A way to take money. Errors raise; the core fails the payment closed."""

    identifier: ClassVar[str]
    display_name: ClassVar[str]
    #: ISO 4217 codes this gateway takes; empty means any.
    currencies: ClassVar[frozenset[str]] = frozenset()

    def supports(self, currency: str) -> bool:
        return not self.currencies or currency.upper() in self.currencies

    @abstractmethod
    def start_payment(self, request: PaymentRequest) -> PaymentStart: ...

    @abstractmethod
    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """Verify the signature and parse; raise :class:`WebhookError` to refuse."""

    @abstractmethod
    def refund(self, request: RefundRequest) -> RefundResult: ...
