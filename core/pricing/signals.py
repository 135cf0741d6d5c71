"""Following bookings: a coupon's use is given back when its booking lapses or is cancelled with a full refund.

* expired (the hold ran out unpaid), or cancelled before it was paid: the held use is released;
* cancelled or marked no-show with a 100 % refund: the used code is released too, and a
  booking a platform coupon paid for in full has its ledger entries reversed.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from core.scheduling.models import Booking
from core.scheduling.signals import booking_transitioned

logger = logging.getLogger("peerlearn.pricing")


@receiver(booking_transitioned, dispatch_uid="pricing-booking-transitioned")
def on_booking_transitioned(sender, booking: Booking, old_status, new_status, actor=None, **kwargs) -> None:
    try:
        from django.db import transaction

        from core.payments.models import Payment
        from core.payments.services import ledger

        from .services import coupons

        if new_status == Booking.EXPIRED or (new_status == Booking.CANCELLED and old_status == Booking.PENDING_PAYMENT):
            coupons.release_for(booking.pk)
        elif new_status in (Booking.CANCELLED, Booking.NO_SHOW) and booking.refund_percent == 100:
            coupons.release_for(booking.pk, used_too=True)
            if not Payment.objects.filter(booking=booking, status=Payment.SUCCEEDED).exists():
                with transaction.atomic():
                    ledger.reverse_free_booking(booking, mentor_id=booking.session.mentor_id)
    except Exception:
        logger.exception("pricing could not follow booking %s to %s", booking.pk, new_status)
