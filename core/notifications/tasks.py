"""Celery tasks of the notification centre: session emails and the reminder beat."""

from __future__ import annotations

import logging

from celery import shared_task
from django.contrib.auth import get_user_model

from core.accounts.language import speaking_to
from core.scheduling.models import Booking, Session

from . import emails, reminders

log = logging.getLogger(__name__)


@shared_task(name="core.notifications.tasks.send_due_reminders", ignore_result=True)
def send_due_reminders() -> dict[str, int]:
    """Every minute (CELERY_BEAT_SCHEDULE): reminders 24 h and 15 min before sessions, once each."""
    counts = reminders.send_due_reminders()
    if counts["sent"] or counts["failed"]:
        log.info("reminders: %s", counts)
    return counts


@shared_task(
    name="core.notifications.tasks.send_session_email",
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=30,
    max_retries=5,
)
def send_session_email(
    name: str,
    recipient_id: int,
    session_id: int,
    invitations: list[dict] | None = None,
    booking_id: int | None = None,
    extra: dict | None = None,
) -> int:
    """Render and send one session email with its ``.ics`` parts.

    ``invitations`` are ``{"session_id", "method", "sequence", "filename"}``
    dicts: the SEQUENCE is fixed by the caller when the change happened, so a
    retried or late task still carries the right number.
    """
    recipient = get_user_model().objects.filter(pk=recipient_id).first()
    session = Session.objects.select_related("mentor").filter(pk=session_id).first()
    if recipient is None or session is None:
        return 0
    with speaking_to(recipient):  # the times and names in the context, in the reader's language
        context = emails.session_context(session, recipient)
    if booking_id is not None:
        context["booking"] = Booking.objects.select_related("session").filter(pk=booking_id).first()
    context.update(extra or {})
    parts = []
    for item in invitations or []:
        target = session if item["session_id"] == session.pk else Session.objects.get(pk=item["session_id"])
        parts.append(
            emails.Invitation(
                session=target,
                method=item["method"],
                sequence=int(item["sequence"]),
                filename=item.get("filename", "invite.ics"),
            )
        )
    return emails.send(name, recipient, context, parts)
