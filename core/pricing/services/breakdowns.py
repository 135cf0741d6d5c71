"""Freezing a booking's quote onto each payment attempt (what the ledger and the receipt read)."""

from __future__ import annotations

from ..models import CouponRedemption, PaymentBreakdown
from . import quotes

#: A payment in these states has money on its way: its amount is never replaced.
_SETTLING = ("pending", "processing", "succeeded")


def current(booking) -> tuple[quotes.Quote, CouponRedemption | None]:
    """The booking's quote now, with the coupon use it holds."""
    redemption = quotes.held_redemption(booking)
    return quotes.quote_for(booking, redemption=redemption), redemption


def matches(payment, quote: quotes.Quote, redemption: CouponRedemption | None) -> bool:
    """Whether ``payment`` was made for this very price (or can no longer be replaced)."""
    if payment.status in _SETTLING:
        return True
    frozen = PaymentBreakdown.objects.filter(payment=payment).first()
    if frozen is None:
        return payment.amount_minor == quote.total_minor and redemption is None
    return (
        frozen.total_minor == quote.total_minor
        and frozen.redemption_id == (redemption.pk if redemption else None)
        and frozen.fee_minor == quote.fee_minor
        and frozen.session_tax_minor + frozen.fee_tax_minor == quote.tax_minor
    )


def freeze(payment, quote: quotes.Quote, redemption: CouponRedemption | None) -> PaymentBreakdown:
    return PaymentBreakdown.objects.create(
        payment=payment,
        price_minor=quote.price_minor,
        discount_minor=quote.discount_minor,
        discount_bearer=quote.discount_bearer,
        redemption=redemption if quote.discount_minor else None,
        fee_minor=quote.fee_minor,
        fee_refundable=quote.fee_refundable,
        tax_name=quote.tax_name,
        tax_percent=quote.tax_percent,
        tax_country=quote.tax_country,
        prices_include_tax=quote.prices_include_tax,
        session_tax_minor=quote.session_tax_minor,
        fee_tax_minor=quote.fee_tax_minor,
        total_minor=quote.total_minor,
        currency=quote.currency,
    )


def quote_of(breakdown: PaymentBreakdown) -> quotes.Quote:
    """A frozen breakdown read back as a quote (for receipts and the booking API)."""
    return quotes.Quote(
        currency=breakdown.currency,
        price_minor=breakdown.price_minor,
        discount_minor=breakdown.discount_minor,
        discount_bearer=breakdown.discount_bearer,
        coupon_code=breakdown.redemption.coupon.code if breakdown.redemption_id else "",
        fee_minor=breakdown.fee_minor,
        fee_refundable=breakdown.fee_refundable,
        tax_name=breakdown.tax_name,
        tax_percent=breakdown.tax_percent,
        tax_country=breakdown.tax_country,
        prices_include_tax=breakdown.prices_include_tax,
        session_tax_minor=breakdown.session_tax_minor,
        fee_tax_minor=breakdown.fee_tax_minor,
        total_minor=breakdown.total_minor,
    )


def booking_quote(booking) -> quotes.Quote:
    """The booking's price as paid (its paid payment's breakdown), else as it would be paid now."""
    frozen = (
        PaymentBreakdown.objects.filter(payment__booking=booking, payment__status="succeeded")
        .select_related("redemption__coupon")
        .order_by("payment__succeeded_at", "payment_id")
        .first()
    )
    return quote_of(frozen) if frozen is not None else quotes.quote_for(booking)
