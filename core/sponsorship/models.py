"""Sponsored placement campaigns, their daily counters and each sponsored impression.

A campaign puts a mentor in marked "Sponsored" slots of mentor search and of
recommendations, for the skills or topics (skill categories) it targets,
between two dates, within a daily budget, priced per day shown or per 1,000
impressions. Every slot shown is one :class:`SponsoredImpression` (counted
once per view; its click once); :class:`CampaignDay` keeps the day's
impressions, clicks and spend, updated under a row lock so spend never passes
the daily budget.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, MultiFieldPanel

from core.scheduling.currency import format_money


class Campaign(models.Model):
    PER_DAY = "per_day"
    PER_MILLE = "per_mille"
    PRICING_CHOICES = [(PER_DAY, gettext_lazy("Per day shown")), (PER_MILLE, gettext_lazy("Per 1,000 impressions"))]

    ACTIVE = "active"
    PAUSED = "paused"
    STATUS_CHOICES = [(ACTIVE, gettext_lazy("Active")), (PAUSED, gettext_lazy("Paused"))]

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(max_length=120)
    skills = models.ManyToManyField("taxonomy.Skill", blank=True, related_name="+", help_text=_("Empty: any skill."))
    topics = models.CharField(
        max_length=255, blank=True, help_text=_("Comma-separated skill categories, e.g. Programming, Music.")
    )
    starts_on = models.DateField()
    ends_on = models.DateField()
    pricing = models.CharField(max_length=10, choices=PRICING_CHOICES, default=PER_MILLE)
    price_minor = models.PositiveBigIntegerField(help_text=_("Per day shown, or per 1,000 impressions (minor units)."))
    daily_budget_minor = models.PositiveBigIntegerField(help_text=_("Most spent on one day (minor units)."))
    currency = models.CharField(max_length=3, default="EUR")
    status = models.CharField(max_length=8, choices=STATUS_CHOICES, default=ACTIVE, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    panels = [
        MultiFieldPanel(
            [FieldPanel("mentor"), FieldPanel("name"), FieldPanel("status")], heading=gettext_lazy("Campaign")
        ),
        MultiFieldPanel([FieldPanel("skills"), FieldPanel("topics")], heading=gettext_lazy("Targeting")),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("starts_on"), FieldPanel("ends_on")]),
                FieldRowPanel([FieldPanel("pricing"), FieldPanel("price_minor")]),
                FieldRowPanel([FieldPanel("daily_budget_minor"), FieldPanel("currency")]),
            ],
            heading=gettext_lazy("Dates and budget"),
        ),
    ]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(price_minor__gt=0), name="campaign_price_positive"),
            models.CheckConstraint(condition=Q(daily_budget_minor__gt=0), name="campaign_budget_positive"),
            models.CheckConstraint(condition=Q(ends_on__gte=models.F("starts_on")), name="campaign_dates_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.mentor})"

    @property
    def topic_list(self) -> list[str]:
        return [t.strip().lower() for t in self.topics.split(",") if t.strip()]

    def totals(self) -> dict[str, int]:
        agg = self.days.aggregate(i=Sum("impressions"), c=Sum("clicks"), s=Sum("spend_minor"))
        return {"impressions": agg["i"] or 0, "clicks": agg["c"] or 0, "spend_minor": agg["s"] or 0}

    def money(self, minor: int) -> str:
        return format_money(minor, self.currency)

    def clean(self) -> None:
        """What the admin form checks (the API and the mentor's page go through ``services.create_campaign``)."""
        from datetime import timedelta

        errors = {}
        if self.price_minor is not None and self.price_minor <= 0:
            errors["price_minor"] = "The price must be more than 0."
        if self.daily_budget_minor is not None and self.daily_budget_minor <= 0:
            errors["daily_budget_minor"] = "The daily budget must be more than 0."
        if self.starts_on and self.ends_on:
            if self.ends_on < self.starts_on:
                errors["ends_on"] = gettext_lazy("The end is before the start.")
            elif (self.ends_on - self.starts_on).days >= 180:
                errors["ends_on"] = "A campaign runs at most 180 days."
            if self._state.adding and self.starts_on > timezone.localdate() + timedelta(days=365):
                errors["starts_on"] = "Start within 365 days."
        if self.mentor_id and not self.mentor.is_mentor:
            errors["mentor"] = gettext_lazy("Only mentors can be sponsored.")
        if errors:
            from django.core.exceptions import ValidationError

            raise ValidationError(errors)

    def impressions_shown(self) -> int:
        return sum(day.impressions for day in self.days.all())

    def clicks_made(self) -> int:
        return sum(day.clicks for day in self.days.all())

    def spent(self) -> str:
        return self.money(sum(day.spend_minor for day in self.days.all()))

    impressions_shown.short_description = "Impressions"  # type: ignore[attr-defined]
    clicks_made.short_description = "Clicks"  # type: ignore[attr-defined]
    spent.short_description = "Spent"  # type: ignore[attr-defined]


class CampaignDay(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    impressions = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    spend_minor = models.PositiveBigIntegerField(default=0)

    class Meta:
        ordering = ["-day"]
        constraints = [models.UniqueConstraint(fields=["campaign", "day"], name="campaignday_once")]

    def __str__(self) -> str:
        return f"{self.campaign} on {self.day}"


class SponsoredImpression(models.Model):
    """One sponsored slot shown to one viewer once (its id travels with the slot, like a recommendation's)."""

    impression_id = models.UUIDField(default=uuid.uuid4, unique=True)
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="impressions")
    surface = models.CharField(max_length=32)
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    position = models.PositiveSmallIntegerField()
    shown_at = models.DateTimeField(default=timezone.now, db_index=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-shown_at", "-id"]

    def __str__(self) -> str:
        return f"{self.campaign} at {self.surface} #{self.position}"
