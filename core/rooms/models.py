"""What a room keeps: who was there and when (attendance), and what was said (chat).

Both are kept with the session after it ends: participants read the chat
afterwards, bookings use attendance for no-shows, analytics and payouts use
it for time spent.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from core.scheduling.models import Session

CHAT_MAX_LENGTH = 2000


class AttendanceQuerySet(models.QuerySet["Attendance"]):
    def open(self) -> AttendanceQuerySet:
        """Connections that have not left (yet)."""
        return self.filter(left_at__isnull=True)


class Attendance(models.Model):
    """One stay of one person in a session's room: from joining to leaving.

    A person who reconnects gets a new row (a new ``peer_id``); the old one is
    closed with the reason ``replaced`` or ``disconnected``. ``left_at`` stays
    empty while the person is in the room; ``last_seen`` is refreshed by the
    socket's keep-alive so a row left open by a crashed server process can be
    told apart from a live one.
    """

    MENTOR = "mentor"
    LEARNER = "learner"
    ROLE_CHOICES = [(MENTOR, gettext_lazy("Mentor")), (LEARNER, gettext_lazy("Learner"))]

    LEFT = "left"
    DISCONNECTED = "disconnected"
    REPLACED = "replaced"
    ENDED = "ended"
    STALE = "stale"
    REASON_CHOICES = [
        (LEFT, gettext_lazy("Left")),
        (DISCONNECTED, gettext_lazy("Connection lost")),
        (REPLACED, gettext_lazy("Reconnected elsewhere")),
        (ENDED, gettext_lazy("Session ended")),
        (STALE, gettext_lazy("No sign of life")),
    ]

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="attendance")
    role = models.CharField(max_length=8, choices=ROLE_CHOICES)
    peer_id = models.CharField(max_length=32, unique=True, help_text=_("The id other peers address this stay by."))
    joined_at = models.DateTimeField(default=timezone.now, db_index=True)
    left_at = models.DateTimeField(null=True, blank=True)
    leave_reason = models.CharField(max_length=12, choices=REASON_CHOICES, blank=True)
    last_seen = models.DateTimeField(default=timezone.now)
    audio = models.BooleanField(default=True, help_text=_("Microphone on."))
    video = models.BooleanField(default=True, help_text=_("Camera on."))
    screen = models.BooleanField(default=False, help_text=_("Sharing the screen."))

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at", "id"]
        verbose_name_plural = _("attendance")
        indexes = [
            models.Index(fields=["session", "user"], name="attendance_session_user"),
            models.Index(fields=["session"], condition=Q(left_at__isnull=True), name="attendance_open"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_at__isnull=True) | Q(left_at__gte=models.F("joined_at")),
                name="attendance_leaves_after_joining",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} in session {self.session_id} from {self.joined_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.left_at is None

    def seconds(self, until=None) -> int:
        """Time spent in this stay (until ``until`` or now while still open)."""
        end = self.left_at or until or timezone.now()
        return max(0, int((end - self.joined_at).total_seconds()))


class ChatMessage(models.Model):
    """A line of a session's text chat, kept with the session."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="chat_messages")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="room_chat_messages"
    )
    author_name = models.CharField(max_length=150, help_text=_("The author's name when it was sent."))
    text = models.TextField(max_length=CHAT_MAX_LENGTH)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["session", "sent_at"], name="chat_session_sent")]

    def __str__(self) -> str:
        return f"{self.author_name}: {self.text[:60]}"


@register_setting(icon="media")
class RoomSettings(BaseSiteSetting):
    """Which video backend the site's rooms use."""

    video_backend = models.CharField(
        max_length=64,
        blank=True,
        help_text=_(
            "Identifier of the video backend (e.g. 'p2p'). Empty: the first enabled backend "
            "that fits the session's size."
        ),
    )

    panels = [FieldPanel("video_backend")]

    class Meta:
        verbose_name = _("Rooms")

    def clean(self) -> None:
        """Refuse an identifier no enabled plugin offers (a typo would silently fall back)."""
        from django.core.exceptions import ValidationError

        from core.plugins.manager import get_manager

        wanted = self.video_backend.strip()
        self.video_backend = wanted
        if not wanted:
            return
        offered = sorted(
            getattr(backend, "identifier", "?")
            for _, backend in get_manager().providers("peerlearn_video_backends", site_id=self.site_id)
        )
        if wanted not in offered:
            choices = ", ".join(offered) or "none: enable a video plugin first"
            raise ValidationError({"video_backend": f"No enabled plugin offers '{wanted}'. Available: {choices}."})
