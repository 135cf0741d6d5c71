"""Recordings of a session's room, the files they produced, and the log of consent.

A :class:`Recording` runs from the mentor's *start* to *stop*; each person
who consented contributes :class:`RecordingFile` rows (one per stay: a
reconnect starts a new file). A :class:`ConsentDecision` row is written every
time someone consents or declines, and never changed: the latest row of a
person in a session is their decision, the others are the log.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from core.scheduling.models import Session


def file_path(instance: RecordingFile, filename: str) -> str:
    recording = instance.recording
    return f"recordings/session-{recording.session_id}/recording-{recording.pk}/{filename}"


def chunk_path(instance: RecordingChunk, filename: str) -> str:
    part = instance.part
    return f"recordings/session-{part.recording.session_id}/recording-{part.recording_id}/chunks/{filename}"


class Recording(models.Model):
    RECORDING = "recording"
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"
    STATE_CHOICES = [
        (RECORDING, _("Recording")),
        (PROCESSING, _("Processing")),
        (READY, _("Ready")),
        (FAILED, _("Failed")),
    ]
    BROWSER = "browser"
    SERVER = "server"
    LOCATION_CHOICES = [(BROWSER, _("In each browser")), (SERVER, _("On the media server"))]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="recordings")
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="recordings_started"
    )
    started_by_name = models.CharField(max_length=150)
    plugin = models.CharField(max_length=100, help_text=_("The plugin whose video backend recorded it."))
    backend = models.CharField(max_length=64)
    location = models.CharField(max_length=8, choices=LOCATION_CHOICES)
    site_id_used = models.IntegerField(null=True, blank=True)
    state = models.CharField(max_length=12, choices=STATE_CHOICES, default=RECORDING)
    started_at = models.DateTimeField(default=timezone.now)
    stopped_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(
        null=True, blank=True, db_index=True, help_text=_("Deleted after this (the site's retention).")
    )
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("recording")
        verbose_name_plural = _("recordings")
        constraints = [
            models.UniqueConstraint(fields=["session"], condition=Q(state="recording"), name="one_live_recording"),
        ]

    def __str__(self) -> str:
        return f"{self.session.title} · {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_live(self) -> bool:
        return self.state == self.RECORDING


class RecordingFile(models.Model):
    """One person's media in one recording (one stay; browser uploads arrive in chunks first)."""

    recording = models.ForeignKey(Recording, on_delete=models.CASCADE, related_name="files")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="recording_files"
    )
    display_name = models.CharField(max_length=150)
    take = models.CharField(max_length=32, blank=True, help_text=_("The browser recorder that uploaded it."))
    file = models.FileField(upload_to=file_path, max_length=300, blank=True)
    content_type = models.CharField(max_length=60, default="video/webm")
    size = models.BigIntegerField(default=0)
    offset_seconds = models.FloatField(default=0.0)
    duration_seconds = models.FloatField(default=0.0)
    has_audio = models.BooleanField(default=True)
    has_video = models.BooleanField(default=True)
    complete = models.BooleanField(default=False, help_text=_("Every chunk arrived (browser) or it was exported."))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["offset_seconds", "id"]
        verbose_name = _("recording file")

    def __str__(self) -> str:
        return f"{self.display_name} · {self.recording}"


class RecordingChunk(models.Model):
    """A piece of a browser upload, kept until the file is assembled (storage cannot append)."""

    part = models.ForeignKey(RecordingFile, on_delete=models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    blob = models.FileField(upload_to=chunk_path, max_length=300)
    size = models.PositiveIntegerField()
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["index"]
        constraints = [models.UniqueConstraint(fields=["part", "index"], name="one_chunk_per_index")]

    def __str__(self) -> str:
        return f"chunk {self.index} of {self.part_id}"


class ConsentDecision(models.Model):
    """One consent or refusal, as it was given (an append-only log)."""

    GRANTED = "granted"
    DECLINED = "declined"
    DECISION_CHOICES = [(GRANTED, _("Consented")), (DECLINED, _("Declined"))]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="recording_consents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="recording_consents")
    display_name = models.CharField(max_length=150)
    role = models.CharField(max_length=8)
    decision = models.CharField(max_length=8, choices=DECISION_CHOICES)
    recording = models.ForeignKey(
        Recording,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consents",
        help_text=_("The recording running when it was given, if any."),
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]
        verbose_name = _("recording consent")
        indexes = [models.Index(fields=["session", "user", "-decided_at"], name="consent_latest")]

    def __str__(self) -> str:
        return f"{self.display_name}: {self.decision} ({self.session_id})"


@register_setting(icon="media")
class RecordingSettings(BaseSiteSetting):
    """How long recordings are kept and how large a browser upload may grow."""

    retention_days = models.PositiveIntegerField(
        default=30,
        help_text=_("Recordings are deleted this many days after they end. 0 keeps them until someone deletes them."),
    )
    max_upload_mb = models.PositiveIntegerField(
        default=1024, help_text=_("The most one person's browser may upload for one recording (MB).")
    )

    panels = [FieldPanel("retention_days"), FieldPanel("max_upload_mb")]

    class Meta:
        verbose_name = _("Recordings")

    def expiry(self, ended_at):
        return ended_at + timedelta(days=self.retention_days) if self.retention_days else None
