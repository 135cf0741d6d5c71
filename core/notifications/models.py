"""The notification centre and the private calendar feeds of PeerLearn users."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _


class NotificationQuerySet(models.QuerySet["Notification"]):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    """One message in a user's notification centre.

    ``kind`` is a dotted event name (``booking.confirmed``, ``session.rescheduled``,
    ``reminder.15m``...) so the client can style or group notifications; ``url``
    is where clicking it leads (a relative path on this site).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True, max_length=2000)
    url = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(fields=["user", "-created"], name="notif_user_created"),
            models.Index(fields=["user", "read_at"], name="notif_user_read"),
        ]

    def __str__(self) -> str:
        return f"{self.title} → {self.user}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


def new_feed_token() -> str:
    """A 256-bit URL-safe secret: the feed URL is the only credential a calendar app has."""
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's private iCalendar subscription URL, ``/calendar/<token>.ics``.

    Calendar apps cannot log in, so the token in the URL is the credential.
    Regenerating replaces the token (old subscriptions stop working);
    revoking deletes the row.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created = models.DateTimeField(default=timezone.now)
    last_fetched = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"


class CalendarSequence(models.Model):
    """The iCalendar SEQUENCE of a session's event (RFC 5545 3.8.7.4).

    The event UID is stable per session; every change a calendar must apply
    over an earlier copy (new time, cancellation of the session or of one
    learner's seat) increments this number.
    """

    session = models.OneToOneField("scheduling.Session", on_delete=models.CASCADE, related_name="calendar_sequence")
    sequence = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Session {self.session_id}: sequence {self.sequence}"


class ReminderSent(models.Model):
    """Proof that one reminder went to one person for one session at its current time.

    The row is inserted (claimed) in the same transaction that sends the
    reminder: the unique constraint lets exactly one worker win, a rolled-back
    send leaves no row, so the next beat tick tries again. The start is part of
    the key, so a session moved to a new time gets its own reminders.
    """

    KIND_24H = "24h"
    KIND_15M = "15m"
    KIND_CHOICES = [(KIND_24H, gettext_lazy("24 hours before")), (KIND_15M, gettext_lazy("15 minutes before"))]

    session = models.ForeignKey("scheduling.Session", on_delete=models.CASCADE, related_name="reminders_sent")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.CASCADE, null=True, blank=True, related_name="reminders_sent"
    )
    kind = models.CharField(max_length=3, choices=KIND_CHOICES)
    session_start = models.DateTimeField(help_text=_("The start the reminder was about (UTC)."))
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "user", "kind", "session_start"], name="reminder_once_per_person_kind_and_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder to {self.user} for session {self.session_id}"
