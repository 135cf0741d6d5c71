"""A mentor's connected calendar and the events PeerLearn wrote into it.

The connection's secret fields (a CalDAV password) are stored with the same
encrypted field as plugin secrets (:class:`core.plugins.models.EncryptedSecretsField`),
so a database dump hands out no calendar passwords. The last busy times read
are kept on the row: when the calendar cannot be reached they stay in force
(and availability says it may be stale) instead of the mentor looking free.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.plugins.models import EncryptedSecretsField


class CalendarConnection(models.Model):
    """One mentor's calendar, through one provider of a calendar plugin."""

    mentor = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_connection"
    )
    plugin = models.CharField(_("plugin"), max_length=100)
    provider = models.CharField(_("provider"), max_length=100)
    settings = models.JSONField(default=dict, blank=True)
    secrets = EncryptedSecretsField(default=dict, blank=True, editable=False)
    calendar_id = models.CharField(_("calendar"), max_length=1000, blank=True)
    calendar_name = models.CharField(_("calendar name"), max_length=255, blank=True)
    #: the last busy times read: [[start ISO, end ISO], ...] in UTC, for [busy_from, busy_until)
    busy = models.JSONField(default=list, blank=True)
    busy_from = models.DateTimeField(null=True, blank=True)
    busy_until = models.DateTimeField(null=True, blank=True)
    #: the last attempt to read busy times failed (availability is then flagged stale)
    busy_failing = models.BooleanField(default=False)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_code = models.CharField(max_length=20, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("calendar connection")
        verbose_name_plural = _("calendar connections")

    def __str__(self) -> str:
        return f"{self.mentor} · {self.provider} · {self.calendar_name or self.calendar_id or '-'}"

    def __repr__(self) -> str:  # never show secrets, even in a debugger
        return f"<CalendarConnection mentor={self.mentor_id} provider={self.provider}>"

    @property
    def failing(self) -> bool:
        """Whether the last attempt failed after the last success."""
        return bool(self.last_error_at and (self.last_synced_at is None or self.last_error_at > self.last_synced_at))


class CalendarEvent(models.Model):
    """An event PeerLearn wrote into a mentor's calendar for one session, as last written."""

    connection = models.ForeignKey(CalendarConnection, on_delete=models.CASCADE, related_name="events")
    session = models.ForeignKey("scheduling.Session", on_delete=models.CASCADE, related_name="calendar_events")
    uid = models.CharField(max_length=255)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    written_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["connection", "session"], name="calendar_event_once_per_session"),
        ]

    def __str__(self) -> str:
        return self.uid
