"""Interactive and instant payment methods: a capability a payment gateway opts into.

A gateway that needs something from the learner (a voucher code, a UPI id, a
purchase-order number) also subclasses :class:`InteractivePayments` and
declares :attr:`~InteractivePayments.checkout_fields`. The core then:

* renders those fields on the checkout page and accepts them as ``inputs`` of
  ``POST /api/bookings/{id}/pay/``, cleaned by :meth:`CheckoutField.clean`;
  input that does not match the declaration is refused with 400 and a reason
  before the gateway is called, and nothing is written;
* calls ``start_payment`` with an :class:`InteractivePaymentRequest`, whose
  ``inputs`` holds the cleaned values (the same key again on a retry);
* when the gateway sets :attr:`~InteractivePayments.confirms_at_start` and
  ``start_payment`` answers ``status="succeeded"``, confirms the booking in the
  same request, through the very path a verified webhook takes (one event per
  payment, deduplicated, the same ledger entries).

A gateway may raise :class:`CheckoutInputError` from ``start_payment`` when the
gateway itself finds an input wrong (an unknown voucher, too little left on
it): the learner sees the message next to that field and may correct it.
Gateways without this capability are called exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from .payments import PaymentRequest

CheckoutFieldKind = Literal["str", "int", "email", "choice"]

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class CheckoutInputError(ValueError):
    """An input the learner must correct; ``field`` names it, ``str(exc)`` says why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CheckoutField:
    """One value a gateway needs from the learner, typed and validated by the core.

    ``pattern`` is a regular expression the whole (stripped) value must match,
    ``pattern_message`` what the learner is told when it does not. ``transform``
    ``"upper"`` upper-cases a ``str`` value before checking (codes).
    """

    name: str
    label: str
    kind: CheckoutFieldKind = "str"
    required: bool = True
    max_length: int = 120
    pattern: str = ""
    pattern_message: str = ""
    choices: tuple[tuple[str, str], ...] = ()
    help_text: str = ""
    placeholder: str = ""
    transform: Literal["", "upper", "lower"] = ""

    def clean(self, raw: Any) -> str | int | None:
        """The value as the gateway receives it; raises :class:`CheckoutInputError` when it is wrong."""
        text = "" if raw is None else str(raw).strip()
        if not text:
            if self.required:
                raise CheckoutInputError(self.name, f"{self.label} is required.")
            return None
        if len(text) > self.max_length:
            raise CheckoutInputError(self.name, f"{self.label} has at most {self.max_length} characters.")
        if any(ord(ch) < 32 for ch in text):
            raise CheckoutInputError(self.name, f"{self.label} contains control characters.")
        if self.transform == "upper":
            text = text.upper()
        elif self.transform == "lower":
            text = text.lower()
        if self.pattern and not re.fullmatch(self.pattern, text):
            raise CheckoutInputError(self.name, self.pattern_message or f"{self.label} is not in the expected form.")
        if self.kind == "int":
            if not re.fullmatch(r"-?\d{1,18}", text):
                raise CheckoutInputError(self.name, f"{self.label} must be a whole number.")
            return int(text)
        if self.kind == "email" and not _EMAIL.match(text):
            raise CheckoutInputError(self.name, f"{self.label} must be an email address.")
        if self.kind == "choice" and text not in {value for value, _ in self.choices}:
            raise CheckoutInputError(self.name, f"{self.label} must be one of the options offered.")
        return text


def clean_inputs(fields: Sequence[CheckoutField], data: Mapping[str, Any] | None) -> dict[str, Any]:
    """Every declared field cleaned; an undeclared key is refused (never passed on silently)."""
    data = data or {}
    declared = {f.name for f in fields}
    unknown = sorted(str(key) for key in data if key not in declared)
    if unknown:
        raise CheckoutInputError(unknown[0], f"This payment method takes no “{unknown[0][:40]}”.")
    cleaned = {f.name: f.clean(data.get(f.name)) for f in fields}
    return {name: value for name, value in cleaned.items() if value is not None}


@dataclass(frozen=True)
class InteractivePaymentRequest(PaymentRequest):
    """A :class:`PaymentRequest` with what the learner entered, cleaned against the declaration."""

    inputs: Mapping[str, Any] = field(default_factory=dict)


class InteractivePayments:
    """The capability: mix into a :class:`~core.plugins.PaymentGateway` subclass.

    Example::

        class VoucherGateway(PaymentGateway, InteractivePayments):
            checkout_fields = (CheckoutField("code", "Voucher code", max_length=20, transform="upper"),)
            confirms_at_start = True
    """

    #: What the checkout asks the learner for, in this order.
    checkout_fields: ClassVar[tuple[CheckoutField, ...]] = ()
    #: Whether a ``succeeded`` answer of ``start_payment`` confirms the booking at once. Only a
    #: gateway that settled the money itself during the call (a voucher drawn, a wallet debited) sets it.
    confirms_at_start: ClassVar[bool] = False


def checkout_fields_of(gateway: object) -> tuple[CheckoutField, ...]:
    """The fields a gateway declares (none for gateways without the capability)."""
    if isinstance(gateway, InteractivePayments):
        return tuple(gateway.checkout_fields)
    return ()


def confirms_at_start(gateway: object) -> bool:
    return isinstance(gateway, InteractivePayments) and bool(gateway.confirms_at_start)
