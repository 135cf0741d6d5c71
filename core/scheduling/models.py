"""Availability, sessions, bookings and the waitlist.

Times are stored in UTC. A mentor's weekly rules and date overrides are wall-clock
times in the mentor's own zone (``User.time_zone``) and are expanded to UTC by
:mod:`core.scheduling.services.availability`.

No double booking is enforced by the database: bookings and session creation
lock the rows they depend on (mentor, session, learner) with ``select_for_update``
inside one transaction, and on PostgreSQL two exclusion constraints (added by
migration 0002, PostgreSQL only) make overlapping active sessions of one mentor
and overlapping active bookings of one learner impossible even for code that
forgets the locks. SQLite serialises writers (``transaction_mode: IMMEDIATE``).
"""

from __future__ import annotations

from datetime import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from core.taxonomy.models import Skill

from .currency import CURRENCY_CHOICES

WEEKDAYS = list(enumerate(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]))
MIDNIGHT = time(0, 0)


def validate_slot_lengths(value: object) -> None:
    if not isinstance(value, list) or not value:
        raise ValidationError(gettext_lazy("Offer at least one slot length, in minutes."), code="invalid")
    for item in value:
        if not isinstance(item, int) or isinstance(item, bool) or not 15 <= item <= 480:
            raise ValidationError("Each slot length must be a whole number of minutes from 15 to 480.", code="invalid")


class SchedulingProfile(models.Model):
    """A mentor's booking settings: how soon, how far ahead, breaks, offered lengths."""

    mentor = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scheduling")
    min_notice_minutes = models.PositiveIntegerField(
        default=12 * 60,
        validators=[MaxValueValidator(60 * 24 * 30)],
        help_text=_("How long before a slot it can still be booked, in minutes."),
    )
    horizon_days = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
        help_text=_("How many days ahead slots are offered."),
    )
    buffer_minutes = models.PositiveIntegerField(
        default=10, validators=[MaxValueValidator(240)], help_text=_("Free time kept between two sessions.")
    )
    slot_lengths = models.JSONField(
        default=list,
        validators=[validate_slot_lengths],
        help_text=_("Session lengths offered, in minutes, e.g. [30, 60]."),
    )
    slot_step_minutes = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(240)],
        help_text=_("Slots start every this many minutes from the start of each range."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("scheduling profile")

    def __str__(self) -> str:
        return f"Scheduling of {self.mentor}"

    def save(self, *args, **kwargs) -> None:
        if not self.slot_lengths:
            self.slot_lengths = [60]
        super().save(*args, **kwargs)


class WeeklyRule(models.Model):
    """A weekly range of wall-clock time in the mentor's zone (an end of 00:00 means midnight)."""

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="weekly_rules")
    weekday = models.PositiveSmallIntegerField(choices=WEEKDAYS)
    start_time = models.TimeField()
    end_time = models.TimeField(help_text=_("00:00 means the end of the day."))

    class Meta:
        ordering = ["mentor", "weekday", "start_time"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=models.F("start_time")) | Q(end_time=MIDNIGHT),
                name="weeklyrule_end_after_start",
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weeklyrule_weekday_range"),
        ]
        indexes = [models.Index(fields=["mentor", "weekday"])]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    def clean(self) -> None:
        if self.start_time and self.end_time and not (self.end_time > self.start_time or self.end_time == MIDNIGHT):
            raise ValidationError({"end_time": gettext_lazy("The end must be after the start.")})


class DateOverride(models.Model):
    """A change for one local date: extra time, or time (or the whole day) taken off.

    For a date, the weekly ranges minus every ``unavailable`` override, plus every
    ``available`` one, are the mentor's hours. An ``unavailable`` override without
    times is a day off.
    """

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    KIND_CHOICES = [(AVAILABLE, gettext_lazy("Extra time")), (UNAVAILABLE, gettext_lazy("Time off"))]

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="date_overrides")
    date = models.DateField()
    kind = models.CharField(max_length=12, choices=KIND_CHOICES, default=UNAVAILABLE)
    start_time = models.TimeField(null=True, blank=True)
    end_time = models.TimeField(null=True, blank=True, help_text=_("00:00 means the end of the day."))
    note = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["mentor", "date", "start_time"]
        constraints = [
            # both times or neither; only time off may leave them out (the whole day)
            models.CheckConstraint(
                condition=(Q(start_time__isnull=True) & Q(end_time__isnull=True) & Q(kind="unavailable"))
                | (
                    Q(start_time__isnull=False)
                    & Q(end_time__isnull=False)
                    & (Q(end_time__gt=models.F("start_time")) | Q(end_time=MIDNIGHT))
                ),
                name="dateoverride_times_consistent",
            ),
        ]
        indexes = [models.Index(fields=["mentor", "date"])]

    def __str__(self) -> str:
        if self.start_time is None:
            return f"{self.date}: day off"
        return f"{self.date}: {self.get_kind_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"

    @property
    def whole_day(self) -> bool:
        return self.start_time is None

    def clean(self) -> None:
        if (self.start_time is None) != (self.end_time is None):
            raise ValidationError(gettext_lazy("Give both a start and an end, or neither for the whole day."))
        if self.start_time is None and self.kind == self.AVAILABLE:
            raise ValidationError({"start_time": gettext_lazy("Extra time needs a start and an end.")})
        if self.start_time and not (self.end_time > self.start_time or self.end_time == MIDNIGHT):
            raise ValidationError({"end_time": gettext_lazy("The end must be after the start.")})


class SessionQuerySet(models.QuerySet):
    def active(self) -> SessionQuerySet:
        return self.filter(status__in=Session.ACTIVE_STATUSES)

    def overlapping(self, start, end) -> SessionQuerySet:
        return self.filter(starts_at__lt=end, ends_at__gt=start)


class Session(models.Model):
    """A scheduled meeting of a mentor: 1:1 (capacity 1) or a group."""

    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    STATUS_CHOICES = [
        (SCHEDULED, gettext_lazy("Scheduled")),
        (IN_PROGRESS, gettext_lazy("In progress")),
        (COMPLETED, gettext_lazy("Completed")),
        (CANCELLED, gettext_lazy("Cancelled")),
    ]
    ACTIVE_STATUSES = (SCHEDULED, IN_PROGRESS)

    PUBLISHED = "published"
    SLOT = "slot"
    ORIGIN_CHOICES = [
        (PUBLISHED, gettext_lazy("Published by the mentor")),
        (SLOT, gettext_lazy("Booked from availability")),
    ]

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentored_sessions")
    title = models.CharField(max_length=140)
    description = models.TextField(blank=True, max_length=4000)
    skills = models.ManyToManyField(Skill, blank=True, related_name="sessions")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    capacity = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(500)])
    price_minor = models.PositiveBigIntegerField(default=0, help_text=_("Price per seat in minor units (cents)."))
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    status = models.CharField(max_length=12, choices=STATUS_CHOICES, default=SCHEDULED, db_index=True)
    origin = models.CharField(max_length=10, choices=ORIGIN_CHOICES, default=PUBLISHED)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="session_ends_after_start"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="session_capacity_positive"),
        ]
        indexes = [models.Index(fields=["mentor", "starts_at"]), models.Index(fields=["status", "starts_at"])]

    def __str__(self) -> str:
        return f"{self.title} ({self.starts_at:%Y-%m-%d %H:%M} UTC)"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("scheduling:session_detail", args=[self.pk])

    @property
    def is_group(self) -> bool:
        return self.capacity > 1

    @property
    def is_free(self) -> bool:
        return self.price_minor == 0

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    @property
    def room_url(self) -> str:
        return f"/sessions/{self.pk}/room/"


class BookingQuerySet(models.QuerySet):
    def active(self) -> BookingQuerySet:
        """Bookings that hold a seat."""
        return self.filter(status__in=Booking.ACTIVE_STATUSES)


class Booking(models.Model):
    """One learner's seat in a session, driven by one state machine (services.bookings)."""

    PENDING_APPROVAL = "pending_approval"
    PENDING_PAYMENT = "pending_payment"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NO_SHOW = "no_show"
    REFUNDED = "refunded"
    DECLINED = "declined"
    STATUS_CHOICES = [
        (PENDING_APPROVAL, gettext_lazy("Awaiting the mentor's approval")),
        (PENDING_PAYMENT, gettext_lazy("Pending payment")),
        (CONFIRMED, gettext_lazy("Confirmed")),
        (COMPLETED, gettext_lazy("Completed")),
        (CANCELLED, gettext_lazy("Cancelled")),
        (EXPIRED, gettext_lazy("Expired")),
        (NO_SHOW, gettext_lazy("No-show")),
        (REFUNDED, gettext_lazy("Refunded")),
        (DECLINED, gettext_lazy("Declined by the mentor")),
    ]
    # A booking awaiting approval holds its seat like an unpaid one (core.intake decides it).
    ACTIVE_STATUSES = (PENDING_APPROVAL, PENDING_PAYMENT, CONFIRMED)

    session = models.ForeignKey(Session, on_delete=models.PROTECT, related_name="bookings")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=PENDING_PAYMENT, db_index=True)
    # The session's times, copied so the database can refuse overlapping bookings of one learner.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    hold_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    price_minor = models.PositiveBigIntegerField(default=0, help_text=_("Frozen at booking time."))
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    reschedule_count = models.PositiveSmallIntegerField(default=0)
    refund_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text=_("Share of the price to refund, decided by the policy on cancellation.")
    )
    refund_minor = models.PositiveBigIntegerField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancel_reason = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True, help_text=_("When it left the active states."))

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "learner"],
                condition=Q(status__in=["pending_approval", "pending_payment", "confirmed"]),
                name="booking_one_active_seat_per_learner",
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="booking_ends_after_start"),
            models.CheckConstraint(
                condition=Q(refund_percent__isnull=True) | Q(refund_percent__lte=100), name="booking_refund_percent"
            ),
        ]
        indexes = [
            models.Index(fields=["learner", "starts_at"]),
            models.Index(fields=["session", "status"]),
            models.Index(fields=["status", "hold_expires_at"]),
        ]

    def __str__(self) -> str:
        return f"Booking {self.pk} of {self.learner} for {self.session_id} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class WaitlistEntry(models.Model):
    """A learner's place in the queue for a full group session."""

    WAITING = "waiting"
    OFFERED = "offered"
    ACCEPTED = "accepted"
    LAPSED = "lapsed"
    LEFT = "left"
    CLOSED = "closed"
    STATUS_CHOICES = [
        (WAITING, gettext_lazy("Waiting")),
        (OFFERED, gettext_lazy("Seat offered")),
        (ACCEPTED, gettext_lazy("Accepted")),
        (LAPSED, gettext_lazy("Offer lapsed")),
        (LEFT, gettext_lazy("Left the waitlist")),
        (CLOSED, gettext_lazy("Session closed")),
    ]
    OPEN_STATUSES = (WAITING, OFFERED)

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="waitlist")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="waitlist_entries")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=WAITING, db_index=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    booking = models.ForeignKey(Booking, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("waitlist entries")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "learner"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_one_open_entry_per_learner",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.learner} waiting for {self.session_id} ({self.status})"


@register_setting(icon="calendar-alt")
class SchedulingPolicy(BaseSiteSetting):
    """Cancellation, rescheduling, no-show, hold and waitlist rules of a site."""

    free_cancellation_hours = models.PositiveIntegerField(
        default=24, help_text=_("A learner who cancels at least this many hours before the start gets everything back.")
    )
    late_cancellation_refund_percent = models.PositiveSmallIntegerField(
        default=50,
        validators=[MaxValueValidator(100)],
        help_text=_("Share of the price refunded when a learner cancels later than that."),
    )
    reschedule_window_hours = models.PositiveIntegerField(
        default=12, help_text=_("A booking can be moved until this many hours before its start.")
    )
    max_reschedules = models.PositiveSmallIntegerField(
        default=2, help_text=_("How many times one booking may be moved.")
    )
    mentor_no_show_grace_minutes = models.PositiveIntegerField(
        default=15,
        help_text=_(
            "A session its mentor has not started this many minutes after its start is cancelled, with a full refund."
        ),
    )
    learner_no_show_grace_minutes = models.PositiveIntegerField(
        default=10, help_text=_("The mentor may mark a learner absent this many minutes after the start.")
    )
    learner_no_show_refund_percent = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)], help_text=_("Share refunded to a learner marked absent.")
    )
    hold_minutes = models.PositiveIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text=_("How long a priced booking holds its seat while waiting for payment."),
    )
    waitlist_offer_minutes = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(7 * 24 * 60)],
        help_text=_("How long a freed seat is kept for the next person on the waitlist."),
    )
    room_opens_minutes_before = models.PositiveIntegerField(
        default=10, help_text=_("The mentor can start the session this many minutes before its start.")
    )
    room_closes_minutes_after = models.PositiveIntegerField(
        default=30, help_text=_("... and until this many minutes after its start.")
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("free_cancellation_hours"), FieldPanel("late_cancellation_refund_percent")],
            heading=gettext_lazy("Cancellation"),
        ),
        MultiFieldPanel(
            [FieldPanel("reschedule_window_hours"), FieldPanel("max_reschedules")], heading=gettext_lazy("Rescheduling")
        ),
        MultiFieldPanel(
            [
                FieldPanel("mentor_no_show_grace_minutes"),
                FieldPanel("learner_no_show_grace_minutes"),
                FieldPanel("learner_no_show_refund_percent"),
            ],
            heading=gettext_lazy("No-shows"),
        ),
        MultiFieldPanel(
            [FieldPanel("hold_minutes"), FieldPanel("waitlist_offer_minutes")],
            heading=gettext_lazy("Holds and waitlist"),
        ),
        MultiFieldPanel(
            [FieldPanel("room_opens_minutes_before"), FieldPanel("room_closes_minutes_after")],
            heading=gettext_lazy("Starting a session"),
        ),
    ]

    class Meta:
        verbose_name = _("Booking policy")


# --- recurring series (services.series) -----------------------------------------------


class BookingSeries(models.Model):
    """A learner's weekly or fortnightly run of 1:1 sessions with one mentor.

    Every occurrence is an ordinary 1:1 session and booking (so payments, rooms,
    reviews and refunds treat it like any other); the series only ties them
    together, remembers the wall-clock time in the mentor's zone they keep across
    daylight-saving changes, and how they are paid.
    """

    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    CADENCE_CHOICES = [(WEEKLY, "Weekly"), (FORTNIGHTLY, "Fortnightly")]
    INTERVAL_WEEKS = {WEEKLY: 1, FORTNIGHTLY: 2}

    PER_SESSION = "per_session"
    AT_ONCE = "at_once"
    PAYMENT_CHOICES = [
        (PER_SESSION, gettext_lazy("Each session on its own")),
        (AT_ONCE, gettext_lazy("The whole series at once")),
    ]

    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="booking_series")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mentored_series")
    cadence = models.CharField(max_length=12, choices=CADENCE_CHOICES)
    count = models.PositiveSmallIntegerField(validators=[MinValueValidator(2), MaxValueValidator(52)])
    first_date = models.DateField(help_text=_("Local date of the first session, in the mentor's zone."))
    local_time = models.TimeField(help_text=_("Wall-clock start in the mentor's zone, kept across DST changes."))
    time_zone = models.CharField(max_length=64, help_text=_("The mentor's zone when the series was booked."))
    duration_minutes = models.PositiveSmallIntegerField()
    payment_mode = models.CharField(max_length=12, choices=PAYMENT_CHOICES, default=PER_SESSION)
    price_minor = models.PositiveBigIntegerField(default=0, help_text=_("Price of each session, frozen at booking."))
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("booking series")
        verbose_name_plural = _("booking series")
        constraints = [
            models.CheckConstraint(condition=Q(count__gte=2) & Q(count__lte=52), name="bookingseries_count_range"),
            models.CheckConstraint(condition=Q(cadence__in=["weekly", "fortnightly"]), name="bookingseries_cadence"),
        ]
        indexes = [models.Index(fields=["learner", "created_at"]), models.Index(fields=["mentor", "created_at"])]

    def __str__(self) -> str:
        return f"{self.get_cadence_display()} × {self.count} with {self.mentor} from {self.first_date}"

    @property
    def interval_weeks(self) -> int:
        return self.INTERVAL_WEEKS[self.cadence]

    @property
    def uid(self) -> str:
        """The iCalendar UID every occurrence of the series shares."""
        return f"series-{self.pk}@peerlearn"

    def sessions_summary(self) -> str:
        """Each session with its status, for the admin's inspect view."""
        return "; ".join(
            f"{o.index}: {o.booking.starts_at:%Y-%m-%d %H:%M} UTC {o.booking.get_status_display()}"
            for o in self.occurrences.select_related("booking").order_by("index")
        )

    sessions_summary.short_description = "Sessions"  # type: ignore[attr-defined]


class SeriesOccurrence(models.Model):
    """The n-th session of a series: its booking, and the start the series rule gave it."""

    series = models.ForeignKey(BookingSeries, on_delete=models.CASCADE, related_name="occurrences")
    index = models.PositiveSmallIntegerField(help_text=_("1 for the first session."))
    booking = models.OneToOneField(Booking, on_delete=models.PROTECT, related_name="series_occurrence")
    rule_start = models.DateTimeField(help_text=_("Where the series rule put it (its RECURRENCE-ID when moved)."))

    class Meta:
        ordering = ["series", "index"]
        constraints = [models.UniqueConstraint(fields=["series", "index"], name="seriesoccurrence_unique_index")]

    def __str__(self) -> str:
        return f"#{self.index} of series {self.series_id}"

    @property
    def moved(self) -> bool:
        return self.booking.starts_at != self.rule_start


@register_setting(icon="repeat")
class SeriesPolicy(BaseSiteSetting):
    """What recurring series a site offers."""

    weekly_offered = models.BooleanField(default=True)
    fortnightly_offered = models.BooleanField(default=True)
    max_sessions = models.PositiveSmallIntegerField(
        default=52,
        validators=[MinValueValidator(2), MaxValueValidator(52)],
        help_text=_("The most sessions one series may have (2 to 52)."),
    )
    pay_before_hours = models.PositiveIntegerField(
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_(
            "A series paid session by session: each later session must be paid this many hours before it "
            "starts, or its seat is released."
        ),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("weekly_offered"), FieldPanel("fortnightly_offered")], heading=gettext_lazy("Cadences")
        ),
        FieldPanel("max_sessions"),
        FieldPanel("pay_before_hours"),
    ]

    class Meta:
        verbose_name = _("Recurring series")
