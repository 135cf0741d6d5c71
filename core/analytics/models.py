"""The event log, the stored prediction models and the churn scores they produce.

:class:`Event` is append-only: rows are written in batches by
:mod:`core.analytics.services.events` and only ever removed by the retention
sweep. :class:`PredictionModel` keeps each fitted model as a compressed JSON
blob (never a pickle: loading a stored model cannot run code).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseGenericSetting, register_setting


class EventImmutableError(Exception):
    """Events are facts: they are never changed, only pruned by the retention sweep."""


class EventQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise EventImmutableError("events cannot be updated")

    def delete(self):
        raise EventImmutableError("events are removed only by the retention sweep (prune_events)")

    def _prune(self) -> int:
        """Delete these rows: for the retention sweep only."""
        count, _ = models.QuerySet.delete(self)
        return count


class Event(models.Model):
    """One thing that happened. The ids a metric filters on are columns; the rest is ``data``."""

    name = models.CharField(max_length=64)
    occurred_at = models.DateTimeField(default=timezone.now)
    user_id = models.BigIntegerField(
        null=True, blank=True, help_text=_("The person it is about (learner, new user...).")
    )
    mentor_id = models.BigIntegerField(null=True, blank=True)
    booking_id = models.BigIntegerField(null=True, blank=True)
    session_id = models.BigIntegerField(null=True, blank=True)
    amount_minor = models.BigIntegerField(null=True, blank=True)
    currency = models.CharField(max_length=3, blank=True)
    skill_ids = models.JSONField(default=list, blank=True)
    site_id = models.IntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["name", "occurred_at"], name="analytics_event_name_time"),
            models.Index(fields=["user_id", "name", "occurred_at"], name="analytics_event_user"),
            models.Index(fields=["occurred_at"], name="analytics_event_time"),
            # Each booking's once-only events are looked up before a batch is written (without_copies):
            # without it every booking and cancellation scanned all booking events ever logged.
            models.Index(
                fields=["booking_id", "name"],
                name="analytics_event_booking",
                condition=models.Q(booking_id__isnull=False),
            ),
        ]
        permissions = [
            ("view_dashboard", "Can view the analytics dashboard and its exports"),
            ("view_learner_risk", "Can view learners at risk of churning"),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.occurred_at:%Y-%m-%d %H:%M:%S}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise EventImmutableError("events cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise EventImmutableError("events are removed only by the retention sweep")


class PredictionModel(models.Model):
    """One fitted model of one kind. The newest ``ready`` one of a kind serves predictions."""

    CHURN = "churn"
    SESSION_SUCCESS = "session_success"
    PRICING = "pricing"
    LEARNING_PATH = "learning_path"
    KIND_CHOICES = [
        (CHURN, gettext_lazy("Churn")),
        (SESSION_SUCCESS, gettext_lazy("Session success")),
        (PRICING, gettext_lazy("Pricing")),
        (LEARNING_PATH, gettext_lazy("Learning path")),
    ]
    READY = "ready"
    INSUFFICIENT = "insufficient_data"
    FAILED = "failed"
    STATUS_CHOICES = [
        (READY, gettext_lazy("Ready")),
        (INSUFFICIENT, gettext_lazy("Not enough data")),
        (FAILED, gettext_lazy("Failed")),
    ]

    kind = models.CharField(max_length=20, choices=KIND_CHOICES, db_index=True)
    status = models.CharField(max_length=20, choices=STATUS_CHOICES)
    blob = models.BinaryField(blank=True, default=b"", help_text=_("The fitted model: zlib-compressed JSON."))
    metrics = models.JSONField(
        default=dict, blank=True, help_text=_("Quality on held-out data, when it could be measured.")
    )
    n_samples = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    fit_seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        get_latest_by = "created_at"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} model of {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    @staticmethod
    def pack(payload: dict[str, Any]) -> bytes:
        return zlib.compress(json.dumps(payload, separators=(",", ":")).encode("utf-8"), 6)

    def payload(self) -> dict[str, Any]:
        if not self.blob:
            return {}
        return json.loads(zlib.decompress(bytes(self.blob)).decode("utf-8"))

    @property
    def size_bytes(self) -> int:
        return len(bytes(self.blob or b""))


class ChurnScore(models.Model):
    """A learner's latest churn probability and its main reasons (rewritten at each scoring)."""

    learner = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="churn_score")
    probability = models.FloatField()
    reasons = models.JSONField(default=list, help_text=_("The main reasons, as sentences, strongest first."))
    features = models.JSONField(default=dict)
    model = models.ForeignKey(PredictionModel, on_delete=models.SET_NULL, null=True, related_name="+")
    computed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-probability", "learner_id"]

    def __str__(self) -> str:
        return f"{self.learner} {self.probability:.0%}"


@register_setting(icon="table")
class AnalyticsSettings(BaseGenericSetting):
    """How long the log keeps events, and what counts as a learner who stopped booking."""

    retention_days = models.PositiveIntegerField(
        default=400,
        validators=[MinValueValidator(30), MaxValueValidator(3650)],
        help_text=_(
            "Behaviour events (searches, page views, recommendation impressions and clicks, room joins and "
            "leaves, plugins' domain events) older than this many days are deleted every night."
        ),
    )
    business_retention_days = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(36500)],
        help_text=_(
            "Business events (sign-ups, bookings, payments, ratings, sessions) older than this many days are "
            "deleted too; 0 keeps them for good (the dashboard's history needs them)."
        ),
    )
    churn_horizon_days = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(14), MaxValueValidator(365)],
        help_text=_("A learner who books nothing for this many days counts as having stopped."),
    )
    at_risk_threshold = models.PositiveSmallIntegerField(
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("Learners whose churn probability is at least this percentage are listed as at risk."),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("retention_days"), FieldPanel("business_retention_days")], heading=gettext_lazy("Event log")
        ),
        MultiFieldPanel(
            [FieldPanel("churn_horizon_days"), FieldPanel("at_risk_threshold")], heading=gettext_lazy("Churn")
        ),
    ]

    class Meta:
        verbose_name = _("Analytics")
