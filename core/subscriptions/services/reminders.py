"""Emails to a mentor whose renewal failed: a reminder now and then during the grace period, and the end."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from ..models import Subscription

logger = logging.getLogger("peerlearn.subscriptions")


def _send(template: str, subscription: Subscription) -> None:
    context = {"subscription": subscription, "mentor": subscription.mentor, "plan": subscription.plan}
    subject = render_to_string(f"subscriptions/email/{template}_subject.txt", context).strip()
    body = render_to_string(f"subscriptions/email/{template}.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [subscription.mentor.email])


def remind(subscription_id: int, now: datetime | None = None) -> bool:
    """Send the grace-period reminder if one is due (never two within the site's interval)."""
    from ..benefits import subscription_settings

    now = now or timezone.now()
    every = timedelta(hours=subscription_settings().reminder_every_hours)
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().select_related("mentor", "plan").get(pk=subscription_id)
        if (
            subscription.status != Subscription.PAST_DUE
            or not subscription.grace_until
            or subscription.grace_until <= now
        ):
            return False
        if subscription.last_reminder_at and subscription.last_reminder_at > now - every:
            return False
        subscription.last_reminder_at = now
        subscription.reminders_sent += 1
        subscription.save(update_fields=["last_reminder_at", "reminders_sent", "updated_at"])
    _send("grace_reminder", subscription)
    return True


def send_due(now: datetime | None = None) -> int:
    """Every reminder due now (the beat task)."""
    now = now or timezone.now()
    due = Subscription.objects.filter(status=Subscription.PAST_DUE, grace_until__gt=now).values_list("pk", flat=True)
    return sum(1 for pk in due if remind(pk, now))


def send_ended(subscription: Subscription) -> None:
    transaction.on_commit(lambda: _send("grace_ended", subscription))
