"""Messages between a learner and a mentor, kept between sessions.

One :class:`Conversation` per learner–mentor pair; its :class:`Message` rows
carry plain text (never HTML: it is escaped and linkified when shown) and at
most one attachment each, whose type was read from its content. A
:class:`Block` stops either side writing; a :class:`MessageReport` puts the
conversation in front of editors in the Wagtail admin.
"""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _

BODY_MAX = 4000


class Conversation(models.Model):
    """The one thread between a learner and a mentor (unique per pair)."""

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_message_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "mentor"], name="conversation_one_per_pair"),
            models.CheckConstraint(condition=~Q(learner=models.F("mentor")), name="conversation_two_people"),
        ]

    def __str__(self) -> str:
        return f"{self.learner} ↔ {self.mentor}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("messaging:conversation", args=[self.pk])

    def has_participant(self, user) -> bool:
        return user.pk in (self.learner_id, self.mentor_id)

    def other(self, user):
        """The person ``user`` is talking to."""
        return self.mentor if user.pk == self.learner_id else self.learner

    @property
    def transcript(self) -> str:
        """The last 200 messages as plain text, for editors reviewing a report."""
        lines = []
        for message in self.messages.select_related("sender").order_by("-created_at", "-id")[:200][::-1]:
            attachment = f" [attachment: {message.attachment_name}]" if message.attachment else ""
            lines.append(f"{message.created_at:%Y-%m-%d %H:%M} UTC, {message.sender}: {message.body}{attachment}")
        return "\n".join(lines)


def attachment_path(instance: Message, filename: str) -> str:
    """A random stored name: the uploader's file name never reaches the storage path."""
    suffix = PurePosixPath(filename).suffix.lower()[:8]
    return f"message-attachments/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class MessageQuerySet(models.QuerySet["Message"]):
    def unread_by(self, user) -> MessageQuerySet:
        """Messages sent to ``user`` that they have not read yet."""
        return self.filter(Q(conversation__learner=user) | Q(conversation__mentor=user), read_at__isnull=True).exclude(
            sender=user
        )


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField(blank=True, max_length=BODY_MAX, help_text=_("Plain text; escaped wherever shown."))
    attachment = models.FileField(upload_to=attachment_path, blank=True, max_length=200)
    attachment_name = models.CharField(max_length=120, blank=True, help_text=_("The file name shown and offered."))
    attachment_type = models.CharField(max_length=60, blank=True, help_text=_("The type read from the content."))
    attachment_size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True, help_text=_("When the recipient first saw it."))
    digested_at = models.DateTimeField(null=True, blank=True, help_text=_("When an unread digest email named it."))

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["conversation", "-created_at"], name="message_conv_created"),
            models.Index(fields=["read_at", "digested_at"], name="message_unread_digest"),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(body="") | ~Q(attachment=""), name="message_has_text_or_attachment"),
        ]

    def __str__(self) -> str:
        return f"{self.sender}: {self.body[:60]}"


class MessagingPreference(models.Model):
    """A mentor's choice of who may write to them first."""

    ANYONE = "anyone"
    BOOKED = "booked"
    FIRST_CONTACT_CHOICES = [
        (ANYONE, gettext_lazy("Anyone signed in")),
        (BOOKED, gettext_lazy("Only learners who have booked a session with me")),
    ]

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messaging")
    first_contact = models.CharField(max_length=10, choices=FIRST_CONTACT_CHOICES, default=ANYONE)
    email_digest = models.BooleanField(default=True, help_text=_("Email me about messages I have not read."))

    def __str__(self) -> str:
        return f"Messaging preferences of {self.user}"


class Block(models.Model):
    """``blocker`` does not want messages from ``blocked`` (and writes none to them)."""

    blocker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    blocked = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["blocker", "blocked"], name="block_once_per_pair")]

    def __str__(self) -> str:
        return f"{self.blocker} blocked {self.blocked}"


class MessageReport(models.Model):
    """A participant flagged a message they received; editors review it in the admin."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="reports")
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reason = models.CharField(max_length=500)
    created_at = models.DateTimeField(default=timezone.now)
    resolved = models.BooleanField(default=False, help_text=_("Tick once an editor has dealt with it."))

    class Meta:
        ordering = ["resolved", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="report_once_per_message")]

    def __str__(self) -> str:
        return f"Report by {self.reporter} on message {self.message_id}"

    @property
    def conversation(self) -> Conversation:
        return self.message.conversation
