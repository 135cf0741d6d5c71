"""The gift card gateway: the learner types a code, the card is drawn, the booking is confirmed at once."""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext, gettext_lazy

from core.plugins import (
    CheckoutContext,
    CheckoutField,
    CheckoutInputError,
    InteractivePaymentRequest,
    InteractivePayments,
    PaymentGateway,
    PaymentRequest,
    PaymentStart,
    PaymentState,
    RefundRequest,
    RefundResult,
    WebhookError,
    WebhookEvent,
)

from . import balances
from .models import CODE_PATTERN


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue without translating it; the core shows it translated."""
    return message


class GiftCardGateway(PaymentGateway, InteractivePayments):
    identifier = "giftcard"
    display_name = gettext_noop("Gift card")
    checkout_fields = (
        CheckoutField(
            balances.CODE_FIELD,
            "Gift card code",
            max_length=32,
            pattern=CODE_PATTERN,
            pattern_message="A gift card code has 6 to 32 letters, digits and hyphens, e.g. GC-7KQ2-MX9P-4TZR.",
            transform="upper",
            placeholder=gettext_lazy("GC-XXXX-XXXX-XXXX"),
            help_text=gettext_lazy(
                "The code printed on your gift card. What is left on it stays for your next booking."
            ),
        ),
    )
    confirms_at_start = True

    def __init__(self, *, currencies: frozenset[str] = frozenset()) -> None:
        self.currencies = currencies

    def start_payment(self, request: PaymentRequest) -> PaymentStart:
        if request.existing_reference:  # drawn already (the core resumes): same answer, nothing drawn again
            paid = balances.drawn(request.existing_reference)
            if paid is not None:
                return PaymentStart(reference=paid.reference, status="succeeded")
        code = request.inputs.get(balances.CODE_FIELD, "") if isinstance(request, InteractivePaymentRequest) else ""
        if not code:
            raise CheckoutInputError(balances.CODE_FIELD, "Enter the code of your gift card.")
        result = balances.draw(
            code, request.amount_minor, request.currency, request.idempotency_key, request.booking_id
        )
        message = f"Paid with your gift card; {result.balance_minor / 100:.2f} {request.currency} left on it."
        return PaymentStart(reference=result.reference, status="succeeded", message=message)

    def parse_webhook(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        raise WebhookError(gettext("gift card payments have no webhooks: they are settled while the learner pays"))

    def refund(self, request: RefundRequest) -> RefundResult:
        movement = balances.refund(request.reference, request.amount_minor, request.idempotency_key)
        return RefundResult(
            refund_reference=f"{movement.reference}-r{movement.pk}",
            status="succeeded",
            amount_minor=movement.amount_minor,
            message="Put back onto the gift card.",
        )

    def lookup(self, reference: str) -> PaymentState | None:
        paid = balances.drawn(reference)
        if paid is None:
            return None
        return PaymentState(
            reference=reference,
            status="succeeded",
            amount_minor=paid.amount_minor,
            currency=paid.card.currency,
            refunded_minor=balances.refunded_minor(reference),
        )

    def checkout_html(self, start: PaymentStart, context: CheckoutContext) -> str:
        """Nothing to show: the core renders the code field and the card is drawn in that request."""
        return ""
