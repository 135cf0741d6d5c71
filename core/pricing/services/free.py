"""A booking whose coupon covers the whole price is confirmed without a gateway."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext

from core.payments.services import ledger
from core.scheduling.models import Booking
from core.scheduling.services.bookings import confirm_booking, lock_booking

from ..errors import PricingConflict
from . import coupons, quotes, receipts


def confirm_covered(booking: Booking | int, *, user=None) -> Booking:
    """Confirm a booking its coupon pays for in full: coupon used, ledger written, receipt for zero."""
    booking_id = booking if isinstance(booking, int) else booking.pk
    with transaction.atomic():
        locked = lock_booking(booking_id)
        coupons._check_changeable(locked, user)
        redemption = quotes.held_redemption(locked)
        quote = quotes.quote_for(locked, redemption=redemption)
        if redemption is None or quote.total_minor != 0:
            raise PricingConflict(
                gettext("This booking has a price to pay: choose how to pay."), code="payment_required"
            )
        coupons.mark_used(locked.pk, redemption.pk)
        ledger.record_free_booking(
            locked,
            discount_bearer=redemption.bearer,
            commission_bp=ledger.freeze_commission(locked),
            mentor_id=locked.session.mentor_id,
        )
        confirm_booking(locked, by=user)
        receipts.issue_for_free_booking(locked, quote)
    return locked
