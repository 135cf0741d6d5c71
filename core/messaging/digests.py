"""The unread-messages email: one per person, naming each conversation waiting for them.

A message is named in at most one digest (``digested_at``), and only after it
has stayed unread for ``MESSAGE_DIGEST_AFTER_MINUTES``: someone who reads
their messages on the site gets no email at all. The stamp and the sending
happen per recipient inside one transaction, so a failed send leaves the
messages for the next run.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from core.notifications import links

from .models import Message, MessagingPreference

log = logging.getLogger(__name__)


def _recipient_id(message: Message) -> int:
    conversation = message.conversation
    return conversation.mentor_id if message.sender_id == conversation.learner_id else conversation.learner_id


def due_messages():
    cutoff = timezone.now() - timedelta(minutes=settings.MESSAGE_DIGEST_AFTER_MINUTES)
    return (
        Message.objects.filter(read_at__isnull=True, digested_at__isnull=True, created_at__lte=cutoff)
        .select_related("conversation", "sender")
        .order_by("created_at", "id")
    )


def send_unread_digests() -> dict[str, int]:
    """Email everyone with messages unread for a while; returns ``{"sent": n, "skipped": m}``."""
    by_recipient: dict[int, list[Message]] = defaultdict(list)
    for message in due_messages()[:5000]:
        by_recipient[_recipient_id(message)].append(message)
    opted_out = set(
        MessagingPreference.objects.filter(user_id__in=by_recipient, email_digest=False).values_list(
            "user_id", flat=True
        )
    )
    users = get_user_model().objects.in_bulk(list(by_recipient))
    counts = {"sent": 0, "skipped": 0}
    for user_id, messages in by_recipient.items():
        user = users.get(user_id)
        with transaction.atomic():
            ids = [message.pk for message in messages]
            # Claim: a concurrent run (or a read meanwhile) leaves fewer rows to stamp.
            claimed = Message.objects.filter(pk__in=ids, read_at__isnull=True, digested_at__isnull=True).update(
                digested_at=timezone.now()
            )
            if not claimed or user is None or user_id in opted_out or not user.email or not user.is_active:
                counts["skipped"] += 1
                continue
            _send(user, messages)
            counts["sent"] += 1
    return counts


def _send(user, messages: list[Message]) -> None:
    threads: dict[int, dict] = {}
    for message in messages:
        thread = threads.setdefault(
            message.conversation_id,
            {
                "sender": message.sender.display_name or "Someone",
                "count": 0,
                "latest": "",
                "url": links.absolute(message.conversation.get_absolute_url()),
            },
        )
        thread["count"] += 1
        thread["latest"] = (message.body[:200] + "…") if len(message.body) > 200 else message.body
    context = {
        "recipient": user,
        "threads": list(threads.values()),
        "total": len(messages),
        "inbox_url": links.absolute("/messages/"),
        "settings_url": links.absolute("/messages/settings/"),
    }
    subject = " ".join(render_to_string("messaging/email/digest_subject.txt", context).split())
    prefix = getattr(settings, "ACCOUNT_EMAIL_SUBJECT_PREFIX", "")
    mail = EmailMultiAlternatives(
        subject=f"{prefix}{subject}",
        body=render_to_string("messaging/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
    )
    mail.attach_alternative(render_to_string("messaging/email/digest.html", context), "text/html")
    mail.send()
