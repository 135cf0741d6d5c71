"""Beat tasks: grace-period reminders, and the end of benefits when a grace period runs out."""

from __future__ import annotations

from celery import shared_task

from .services import events, reminders


@shared_task(name="core.subscriptions.tasks.send_grace_reminders")
def send_grace_reminders() -> int:
    return reminders.send_due()


@shared_task(name="core.subscriptions.tasks.end_lapsed_grace")
def end_lapsed_grace() -> int:
    return events.end_lapsed_grace()
