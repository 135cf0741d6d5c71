"""What a mentor asks before a booking and whether they approve it first.

* :class:`BookingQuestion`: a mentor's ordered questions (short text, long text, a choice),
  each required or optional, with a length limit;
* :class:`BookingAnswer`: a learner's answer, with the question's wording copied so a
  later edit of the question never changes what the learner was asked;
* :class:`ApprovalSettings`: whether a mentor approves bookings (never, always, or only
  those made within N hours of the start);
* :class:`ApprovalRequest`: one booking awaiting (or past) its mentor's decision;
* :class:`TimeProposal`: up to three other times the mentor offers instead;
* :class:`ApprovalPolicy`: the site's deadline for a decision (Wagtail site setting).

The booking itself (status ``pending_approval``, its seat held until ``hold_expires_at``)
stays in :mod:`core.scheduling`; this app only decides it, through the state machine.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from core.scheduling.models import Booking

SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 4000
MAX_QUESTIONS = 10
MAX_CHOICES = 12
CHOICE_LIMIT = 100


class BookingQuestion(models.Model):
    """One question a mentor asks every learner who books them."""

    SHORT = "short_text"
    LONG = "long_text"
    CHOICE = "choice"
    KIND_CHOICES = [(SHORT, _("Short text")), (LONG, _("Long text")), (CHOICE, _("Choice"))]
    KIND_LIMITS = {SHORT: SHORT_TEXT_LIMIT, LONG: LONG_TEXT_LIMIT, CHOICE: CHOICE_LIMIT}

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="booking_questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=10, choices=KIND_CHOICES, default=SHORT)
    label = models.CharField(_("question"), max_length=200)
    help_text = models.CharField(_("hint"), max_length=300, blank=True)
    required = models.BooleanField(_("required"), default=False)
    max_length = models.PositiveIntegerField(
        _("longest answer"),
        validators=[MinValueValidator(1), MaxValueValidator(LONG_TEXT_LIMIT)],
        help_text=_("In characters."),
    )
    choices = models.JSONField(_("choices"), default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["mentor", "position", "id"]
        verbose_name = _("booking question")
        verbose_name_plural = _("booking questions")
        constraints = [
            models.CheckConstraint(condition=Q(max_length__gte=1), name="bookingquestion_max_length_positive"),
        ]

    def __str__(self) -> str:
        return self.label


class ApprovalSettings(models.Model):
    """Whether a mentor decides on each booking before it holds for good."""

    NEVER = "never"
    ALWAYS = "always"
    SHORT_NOTICE = "short_notice"
    MODE_CHOICES = [
        (NEVER, _("Bookings are confirmed at once")),
        (ALWAYS, _("I approve every booking")),
        (SHORT_NOTICE, _("I approve bookings made shortly before the start")),
    ]

    mentor = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="approval_settings")
    mode = models.CharField(_("approval"), max_length=12, choices=MODE_CHOICES, default=NEVER)
    short_notice_hours = models.PositiveIntegerField(
        _("within hours of the start"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_("With “shortly before the start”: bookings made within this many hours of it."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("approval settings")
        verbose_name_plural = _("approval settings")

    def __str__(self) -> str:
        return f"{self.mentor}: {self.get_mode_display()}"


class BookingAnswer(models.Model):
    """A learner's answer to one question, frozen with the question's wording at booking time."""

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(BookingQuestion, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=200)
    kind = models.CharField(max_length=10, choices=BookingQuestion.KIND_CHOICES)
    value = models.TextField(blank=True)

    class Meta:
        ordering = ["booking", "position", "id"]
        verbose_name = _("booking answer")
        verbose_name_plural = _("booking answers")

    def __str__(self) -> str:
        return f"{self.label}: {self.value[:60]}"


class ApprovalRequest(models.Model):
    """A booking that needed its mentor's approval, and what became of it."""

    PENDING = ""
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"
    MOVED = "moved"
    WITHDRAWN = "withdrawn"
    DECISION_CHOICES = [
        (PENDING, _("Waiting for the mentor")),
        (APPROVED, _("Approved")),
        (DECLINED, _("Declined")),
        (EXPIRED, _("No decision in time")),
        (MOVED, _("Moved to a proposed time")),
        (WITHDRAWN, _("Withdrawn by the learner")),
    ]

    booking = models.OneToOneField(Booking, on_delete=models.CASCADE, related_name="approval")
    requested_at = models.DateTimeField(default=timezone.now)
    decide_by = models.DateTimeField(db_index=True, help_text=_("The seat is released if nobody decides by then."))
    decision = models.CharField(max_length=10, choices=DECISION_CHOICES, default=PENDING, blank=True, db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(_("message to the learner"), max_length=500, blank=True)

    class Meta:
        ordering = ["decide_by", "id"]
        verbose_name = _("approval request")
        verbose_name_plural = _("approval requests")

    def __str__(self) -> str:
        return f"Approval of booking {self.booking_id} ({self.get_decision_display()})"

    @property
    def is_pending(self) -> bool:
        return self.decision == self.PENDING

    def answers_text(self) -> str:
        """The learner's answers, one "question: answer" per line (the admin's inspect view)."""
        return "\n".join(f"{a.label}: {a.value}" for a in self.booking.answers.order_by("position", "id")) or "—"

    answers_text.short_description = _("answers")

    def learner(self):
        return self.booking.learner

    learner.short_description = _("learner")

    def mentor(self):
        return self.booking.session.mentor

    mentor.short_description = _("mentor")

    def booking_status(self) -> str:
        return self.booking.get_status_display()

    booking_status.short_description = _("booking status")


class TimeProposal(models.Model):
    """Another time the mentor offers for a booking awaiting approval."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DROPPED = "dropped"
    STATUS_CHOICES = [(OPEN, _("Open")), (ACCEPTED, _("Accepted")), (DROPPED, _("Dropped"))]
    MAX_PER_BOOKING = 3

    booking = models.ForeignKey(Booking, on_delete=models.CASCADE, related_name="time_proposals")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default=OPEN, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["booking", "starts_at", "id"]
        verbose_name = _("proposed time")
        verbose_name_plural = _("proposed times")
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="timeproposal_ends_after_start")
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} UTC for booking {self.booking_id} ({self.status})"


@register_setting(icon="tick-inverse")
class ApprovalPolicy(BaseSiteSetting):
    """How long a mentor has to approve a booking."""

    decision_hours = models.PositiveIntegerField(
        _("hours to decide"),
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=_(
            "A booking awaiting approval holds its seat this long at most (never past the session's start); "
            "then the seat is released."
        ),
    )

    panels = [FieldPanel("decision_hours")]

    class Meta:
        verbose_name = _("Booking approval")
