"""Celery beat task of booking approval; the schedule is CELERY_BEAT_SCHEDULE in the settings."""

from __future__ import annotations

from celery import shared_task

from .services import approval


@shared_task(name="core.intake.tasks.expire_approvals", ignore_result=True)
def expire_approvals() -> int:
    """Requests nobody decided by their deadline release their seat (and refund anything paid)."""
    return approval.expire_due_approvals()
