"""What pricing does when payments records money: use the coupon, issue the document.

Called by :mod:`core.payments.services.events` inside the transaction that
writes the ledger, so the receipt number and the coupon's use commit (or roll
back) with the money.
"""

from __future__ import annotations

from core.payments.models import Payment, Refund

from ..models import PaymentBreakdown
from . import coupons, receipts


def payment_succeeded(payment: Payment) -> None:
    frozen = PaymentBreakdown.objects.filter(payment=payment).first()
    if frozen is not None and frozen.redemption_id:
        coupons.mark_used(payment.booking_id, frozen.redemption_id)
    receipts.issue_for_payment(payment)


def refund_settled(refund: Refund) -> None:
    receipts.issue_for_refund(refund)
