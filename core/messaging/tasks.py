"""Celery tasks of messaging: the unread digest on the beat."""

from __future__ import annotations

import logging

from celery import shared_task

from . import digests

log = logging.getLogger(__name__)


@shared_task(name="core.messaging.tasks.send_unread_digests", ignore_result=True)
def send_unread_digests() -> dict[str, int]:
    """Every 15 minutes (CELERY_BEAT_SCHEDULE): email people about messages left unread."""
    counts = digests.send_unread_digests()
    if counts["sent"]:
        log.info("message digests: %s", counts)
    return counts
