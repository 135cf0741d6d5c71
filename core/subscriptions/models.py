"""Premium mentor plans, their prices, mentors' subscriptions, invoices and gateway events.

Editors define :class:`Plan` (a Wagtail snippet with its :class:`PlanPrice`
rows per currency and interval). A mentor's :class:`Subscription` goes through
a payment gateway that declared the subscription capability; only a verified
webhook changes what it grants (see :mod:`core.subscriptions.services.events`).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Orderable

from core.scheduling.currency import MINOR_UNITS, MoneyError, format_money, to_minor
from core.scheduling.services.sessions import MAX_CAPACITY

COMMISSION_MIN = Decimal("10")
COMMISSION_MAX = Decimal("15")


class Plan(ClusterableModel):
    """A premium plan and the benefits it grants while its subscription is in good standing."""

    name = models.CharField(max_length=80)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True, help_text=_("Shown to mentors on the plans page."))
    active = models.BooleanField(default=True, help_text=_("Inactive plans are not offered; subscribers keep them."))
    trial_days = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(90)], help_text=_("Free days before the first charge (0 to 90).")
    )
    sort_order = models.PositiveSmallIntegerField(default=0)
    commission_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(COMMISSION_MIN), MaxValueValidator(COMMISSION_MAX)],
        help_text=_("Commission on the mentor's bookings while subscribed (10 to 15 %). Empty: the site's rate."),
    )
    sponsored_placements = models.BooleanField(default=False, help_text=_("The mentor may run sponsored campaigns."))
    group_capacity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(2), MaxValueValidator(MAX_CAPACITY)],
        help_text=_("Largest group session the mentor may publish. Empty: the site's standard limit."),
    )
    insights = models.BooleanField(default=False, help_text=_("The mentor insights page."))
    badge = models.CharField(
        max_length=40, blank=True, help_text=_('A badge on the mentor\'s profile, e.g. "Premium mentor". Empty: none.')
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("name"), FieldPanel("slug"), FieldPanel("description"), FieldPanel("active")],
            heading=gettext_lazy("Plan"),
        ),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("trial_days"), FieldPanel("sort_order")])], heading=gettext_lazy("Billing")
        ),
        InlinePanel("prices", heading=gettext_lazy("Prices"), label=gettext_lazy("Price"), min_num=1),
        MultiFieldPanel(
            [
                FieldPanel("commission_percent"),
                FieldPanel("sponsored_placements"),
                FieldPanel("group_capacity"),
                FieldPanel("insights"),
                FieldPanel("badge"),
            ],
            heading=gettext_lazy("Benefits"),
        ),
    ]

    class Meta:
        ordering = ["sort_order", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_percent__isnull=True)
                | Q(commission_percent__gte=COMMISSION_MIN, commission_percent__lte=COMMISSION_MAX),
                name="plan_commission_in_range",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def commission_bp(self) -> int | None:
        if self.commission_percent is None:
            return None
        return int((self.commission_percent * 100).to_integral_value())

    def benefit_lines(self) -> list[str]:
        """The benefits in words, for the plans page."""
        lines = []
        if self.commission_percent is not None:
            lines.append(
                gettext("%(percent)s %% commission on your bookings")
                % {"percent": f"{self.commission_percent.normalize():f}"}
            )
        if self.sponsored_placements:
            lines.append(gettext("Sponsored placements in search and recommendations"))
        if self.group_capacity:
            count = self.group_capacity
            lines.append(
                ngettext(
                    "Group sessions of up to %(count)s learner", "Group sessions of up to %(count)s learners", count
                )
                % {"count": count}
            )
        if self.insights:
            lines.append(gettext("The mentor insights page"))
        if self.badge:
            lines.append(gettext("A “%(badge)s” badge on your profile") % {"badge": self.badge})
        return lines


class PlanPrice(Orderable):
    """One price of a plan: an amount per month or per year in one currency."""

    MONTH = "month"
    YEAR = "year"
    INTERVAL_CHOICES = [(MONTH, gettext_lazy("Monthly")), (YEAR, gettext_lazy("Yearly"))]

    plan = ParentalKey(Plan, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(max_length=3, help_text=_("ISO 4217, e.g. EUR, INR."))
    interval = models.CharField(max_length=5, choices=INTERVAL_CHOICES, default=MONTH)
    amount = models.DecimalField(
        max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.01"))], help_text=_("In major units.")
    )

    panels = [FieldRowPanel([FieldPanel("currency"), FieldPanel("interval"), FieldPanel("amount")])]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "currency", "interval"], name="planprice_one_per_currency_interval"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="planprice_amount_positive"),
        ]

    def clean(self) -> None:
        self.currency = (self.currency or "").strip().upper()
        if self.currency not in MINOR_UNITS:
            raise ValidationError({"currency": f"“{self.currency}” is not an ISO 4217 currency code."})
        if self.amount is not None:
            try:
                to_minor(self.amount.normalize(), self.currency)
            except MoneyError as exc:
                raise ValidationError({"amount": exc.message}) from None

    @property
    def amount_minor(self) -> int:
        return to_minor(self.amount.normalize(), self.currency)

    @property
    def display(self) -> str:
        per = "month" if self.interval == self.MONTH else "year"
        return f"{format_money(self.amount_minor, self.currency)} / {per}"

    def __str__(self) -> str:
        return f"{self.plan}: {self.display}"


class GatewayPrice(models.Model):
    """The gateway's recurring price for one of our plan prices (created on first use)."""

    price = models.ForeignKey(PlanPrice, on_delete=models.CASCADE, related_name="gateway_prices")
    gateway = models.CharField(max_length=50)
    reference = models.CharField(max_length=255)
    amount_minor = models.PositiveBigIntegerField(help_text=_("The amount the gateway's price was made for."))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["price", "gateway"], name="gatewayprice_one_per_gateway")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.reference}"


class Subscription(models.Model):
    """A mentor's subscription to a plan through one gateway."""

    INCOMPLETE = "incomplete"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    STATUS_CHOICES = [
        (INCOMPLETE, gettext_lazy("Waiting for the card and the gateway's confirmation")),
        (TRIALING, gettext_lazy("Trial")),
        (ACTIVE, gettext_lazy("Active")),
        (PAST_DUE, gettext_lazy("Renewal failed (grace period)")),
        (CANCELED, gettext_lazy("Ended")),
    ]
    LIVE_STATUSES = (INCOMPLETE, TRIALING, ACTIVE, PAST_DUE)

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    price = models.ForeignKey(PlanPrice, on_delete=models.PROTECT, related_name="subscriptions")
    gateway = models.CharField(max_length=50)
    plugin = models.CharField(max_length=100, blank=True)
    customer_reference = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=255, blank=True, help_text=_("The gateway's id of the subscription."))
    status = models.CharField(max_length=12, choices=STATUS_CHOICES, default=INCOMPLETE, db_index=True)
    current_period_end = models.DateTimeField(null=True, blank=True)
    cancel_at_period_end = models.BooleanField(default=False)
    grace_until = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    last_reminder_at = models.DateTimeField(null=True, blank=True)
    idempotency_key = models.CharField(max_length=80, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    #: Editors read subscriptions in the admin; only the gateway's webhooks change them.
    panels = [
        FieldPanel(name, read_only=True)
        for name in (
            "mentor",
            "plan",
            "price",
            "gateway",
            "reference",
            "status",
            "current_period_end",
            "cancel_at_period_end",
            "grace_until",
            "reminders_sent",
        )
    ]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mentor"],
                condition=Q(status__in=["incomplete", "trialing", "active", "past_due"]),
                name="subscription_one_live_per_mentor",
            ),
            models.UniqueConstraint(
                fields=["gateway", "reference"], condition=~Q(reference=""), name="subscription_unique_reference"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.mentor} on {self.plan} ({self.get_status_display().lower()})"

    def grants_benefits(self, now: datetime | None = None) -> bool:
        """In good standing: a trial, paid, or a failed renewal still inside its grace period."""
        now = now or timezone.now()
        if self.status in (self.TRIALING, self.ACTIVE):
            return True
        return self.status == self.PAST_DUE and self.grace_until is not None and self.grace_until > now


class SubscriptionInvoice(models.Model):
    """A charge of a subscription as the gateway reported it (the mentor's billing history)."""

    PAID = "paid"
    FAILED = "failed"
    STATUS_CHOICES = [(PAID, gettext_lazy("Paid")), (FAILED, gettext_lazy("Payment failed"))]

    subscription = models.ForeignKey(Subscription, on_delete=models.PROTECT, related_name="invoices")
    reference = models.CharField(max_length=255)
    status = models.CharField(max_length=8, choices=STATUS_CHOICES)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    period_end = models.DateTimeField(null=True, blank=True)
    message = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "reference", "status"], name="subscriptioninvoice_once")
        ]

    def __str__(self) -> str:
        return f"{self.reference}: {self.amount_display} ({self.get_status_display().lower()})"

    @property
    def amount_display(self) -> str:
        return format_money(self.amount_minor, self.currency)


class SubscriptionEventRecord(models.Model):
    """Every verified subscription event, processed at most once per (gateway, event id)."""

    gateway = models.CharField(max_length=50)
    event_id = models.CharField(max_length=255)
    raw_type = models.CharField(max_length=100)
    kind = models.CharField(max_length=16)
    subscription = models.ForeignKey(
        Subscription, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    status = models.CharField(max_length=12)
    message = models.TextField(blank=True)
    payload = models.JSONField(default=dict)
    received_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="subscription_event_once")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.raw_type} {self.event_id} ({self.status})"


@register_setting(icon="pick")
class SubscriptionSettings(BaseSiteSetting):
    """How failed renewals are handled and what mentors without a plan may do."""

    grace_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
        help_text=_("After a failed renewal the benefits last this many days while the gateway retries."),
    )
    reminder_every_hours = models.PositiveSmallIntegerField(
        default=48,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=_("How often a mentor in a grace period is reminded to update the card."),
    )
    standard_group_capacity = models.PositiveSmallIntegerField(
        default=MAX_CAPACITY,
        validators=[MinValueValidator(2), MaxValueValidator(MAX_CAPACITY)],
        help_text=_("Largest group session a mentor without a plan granting more may publish."),
    )
    insights_need_plan = models.BooleanField(
        default=False, help_text=_("Only mentors whose plan includes it may open the mentor insights page.")
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("grace_days"), FieldPanel("reminder_every_hours")], heading=gettext_lazy("Failed renewals")
        ),
        MultiFieldPanel(
            [FieldPanel("standard_group_capacity"), FieldPanel("insights_need_plan")],
            heading=gettext_lazy("Without a plan"),
        ),
    ]

    class Meta:
        verbose_name = _("Premium plans")
