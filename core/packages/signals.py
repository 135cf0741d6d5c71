"""Following bookings made with a credit: the credit comes back, or the mentor earns it.

* cancelled with a full refund (inside the free-cancellation window, or by the
  mentor or staff): the credit returns to the package;
* completed, no-show, or cancelled late: the credit is spent and its share of the
  package is recognised as the mentor's earning (see services.accounting).

Receivers run after the booking's transaction commits; the work is idempotent.
"""

from __future__ import annotations

import logging

from django.dispatch import receiver

from core.scheduling.signals import booking_transitioned

logger = logging.getLogger("peerlearn.packages")


@receiver(booking_transitioned, dispatch_uid="packages-booking-transitioned")
def on_booking_transitioned(sender, booking, old_status, new_status, actor=None, **kwargs) -> None:
    if old_status is None or new_status in ("confirmed", "pending_payment"):
        return
    try:
        from .services.credits import settle_for_booking

        settle_for_booking(booking.pk, new_status, booking.refund_percent)
    except Exception:
        logger.exception("packages could not follow booking %s to %s", booking.pk, new_status)
