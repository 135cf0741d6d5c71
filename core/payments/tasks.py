"""Celery tasks of payments (the beat schedule is CELERY_BEAT_SCHEDULE in the settings)."""

from __future__ import annotations

import logging

from celery import shared_task

logger = logging.getLogger("peerlearn.payments")


@shared_task(name="core.payments.tasks.refund_by_policy", ignore_result=True)
def refund_by_policy(booking_id: int) -> int | None:
    """Refund a cancelled (or no-show) booking as its policy decided; safe to run twice.

    A refund the gateway refuses leaves the payment flagged for review (the
    learner is owed the money) instead of failing the task over and over.
    """
    from .errors import PaymentError
    from .services import refunds

    try:
        refund = refunds.refund_by_policy(booking_id)
    except PaymentError as exc:
        logger.warning("Cancellation refund of booking %s failed: %s", booking_id, exc.message)
        return None
    return refund.pk if refund else None


@shared_task(name="core.payments.tasks.reconcile_payments", ignore_result=True)
def reconcile_payments() -> dict:
    """Compare the last days' payments at their gateways with the ledger; recover lost successes, flag the rest."""
    from .services.reconcile import reconcile

    report = reconcile()
    return {
        "checked": report.checked,
        "recovered": len(report.recovered),
        "flagged": len(report.flagged),
        "errors": len(report.errors),
    }
