"""Receivers of scheduling's booking signals (sent after the booking's transaction committed).

* a booking is created: its commission rate is frozen (the site's rate now);
* a paid booking is cancelled or marked no-show with a refund decided by the
  policy: the refund runs as a Celery task (eager without Redis);
* a booking awaiting approval is declined or its deadline passes: anything paid
  for it is refunded in full.

Receivers never raise into the sender: a failure is logged and the payment
flagged, and reconciliation or an editor takes over.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from core.scheduling.models import Booking
from core.scheduling.signals import booking_transitioned

logger = logging.getLogger("peerlearn.payments")


@receiver(booking_transitioned, dispatch_uid="payments-booking-transitioned")
def on_booking_transitioned(sender, booking: Booking, old_status, new_status, actor=None, **kwargs) -> None:
    try:
        if old_status is None and booking.price_minor > 0:
            from .services.ledger import freeze_commission

            freeze_commission(booking)
        if new_status in (Booking.CANCELLED, Booking.NO_SHOW) and booking.refund_minor:
            from .tasks import refund_by_policy

            refund_by_policy.delay(booking.pk)
        if old_status == Booking.PENDING_APPROVAL and new_status in (Booking.DECLINED, Booking.EXPIRED):
            from .services.refunds import refund_released

            refund_released(booking.pk)
    except Exception:
        logger.exception("payments could not follow booking %s to %s", booking.pk, new_status)
