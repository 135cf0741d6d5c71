"""Drawing from and refunding onto a card, safe under concurrency and retries.

Every movement locks the card's row first (``SELECT ... FOR UPDATE``), so two
checkouts drawing from one card at the same moment are serialised and the
balance can never go below zero. Each movement carries the core's idempotency
key (unique): a retried draw or refund answers with the movement made the first
time instead of moving money again.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext

from core.plugins import CheckoutInputError, GatewayError

from .models import GiftCard, GiftCardMovement

CODE_FIELD = "code"


@dataclass(frozen=True)
class Drawn:
    reference: str
    amount_minor: int
    balance_minor: int


def _money(amount_minor: int, currency: str) -> str:
    return f"{amount_minor / 100:.2f} {currency}"


def _existing(key: str, kind: str) -> GiftCardMovement | None:
    return GiftCardMovement.objects.select_related("card").filter(idempotency_key=key, kind=kind).first()


def draw(code: str, amount_minor: int, currency: str, idempotency_key: str, booking_id: int | None = None) -> Drawn:
    """Take ``amount_minor`` from the card ``code``; what is left stays on it for later bookings."""
    earlier = _existing(idempotency_key, GiftCardMovement.DRAW)
    if earlier is not None:
        return Drawn(earlier.reference, earlier.amount_minor, earlier.card.balance_minor)
    currency = currency.upper()
    try:
        with transaction.atomic():
            card = GiftCard.objects.select_for_update().filter(code=code.strip().upper()).first()
            _check_usable(card, amount_minor, currency)
            card.balance_minor -= amount_minor
            card.save(update_fields=["balance_minor"])
            movement = GiftCardMovement.objects.create(
                card=card,
                kind=GiftCardMovement.DRAW,
                amount_minor=amount_minor,
                reference=f"gc_{secrets.token_hex(10)}",
                idempotency_key=idempotency_key,
                booking_id=booking_id,
            )
    except IntegrityError:  # the same key drew concurrently: answer with that draw
        earlier = _existing(idempotency_key, GiftCardMovement.DRAW)
        if earlier is None:
            raise
        return Drawn(earlier.reference, earlier.amount_minor, earlier.card.balance_minor)
    return Drawn(movement.reference, movement.amount_minor, card.balance_minor)


def _check_usable(card: GiftCard | None, amount_minor: int, currency: str) -> None:
    if card is None:
        raise CheckoutInputError(CODE_FIELD, "No gift card has this code. Check it and try again.")
    if not card.active:
        raise CheckoutInputError(CODE_FIELD, "This gift card is blocked. Please contact us.")
    if card.expires_at is not None and card.expires_at <= timezone.now():
        raise CheckoutInputError(CODE_FIELD, f"This gift card expired on {card.expires_at:%Y-%m-%d}.")
    if card.currency != currency:
        raise CheckoutInputError(CODE_FIELD, f"This gift card is in {card.currency}; this booking costs {currency}.")
    if card.balance_minor < amount_minor:
        raise CheckoutInputError(
            CODE_FIELD,
            f"This gift card has {_money(card.balance_minor, currency)} left; "
            f"the booking costs {_money(amount_minor, currency)}.",
        )


def refund(reference: str, amount_minor: int, idempotency_key: str) -> GiftCardMovement:
    """Put ``amount_minor`` of the draw ``reference`` back onto its card (never more than was drawn)."""
    earlier = _existing(idempotency_key, GiftCardMovement.REFUND)
    if earlier is not None:
        return earlier
    paid = GiftCardMovement.objects.filter(kind=GiftCardMovement.DRAW, reference=reference).first()
    if paid is None:
        raise GatewayError(gettext("No gift card payment has the reference %(reference)s.") % {"reference": reference})
    with transaction.atomic():
        card = GiftCard.objects.select_for_update().get(pk=paid.card_id)
        if refunded_minor(reference) + amount_minor > paid.amount_minor:
            raise GatewayError(gettext("The refund is more than what is left of this gift card payment."))
        card.balance_minor += amount_minor
        card.save(update_fields=["balance_minor"])
        return GiftCardMovement.objects.create(
            card=card,
            kind=GiftCardMovement.REFUND,
            amount_minor=amount_minor,
            reference=reference,
            idempotency_key=idempotency_key,
            booking_id=paid.booking_id,
        )


def refunded_minor(reference: str) -> int:
    refunds = GiftCardMovement.objects.filter(kind=GiftCardMovement.REFUND, reference=reference)
    return refunds.aggregate(total=Sum("amount_minor"))["total"] or 0


def drawn(reference: str) -> GiftCardMovement | None:
    return (
        GiftCardMovement.objects.select_related("card").filter(kind=GiftCardMovement.DRAW, reference=reference).first()
    )
