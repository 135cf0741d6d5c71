"""Session packages a mentor sells, what learners bought, and the credits they book with.

A :class:`Package` is N 1:1 sessions of one length with one mentor, priced per
currency (:class:`PackagePrice`) and valid for some days after purchase. A
:class:`PackagePurchase` is paid once through the ordinary payment flow (a
:class:`core.payments.models.Payment` whose ``purchase`` is set) and then holds
the learner's credits; ``credits_left`` is the one counter every booking draws
from under a row lock. Each booking made with a credit has a :class:`CreditUse`
saying what became of that credit (held, returned, earned by the mentor).

Money: the purchase's session share waits in the ledger as *unearned* until a
session is delivered (see :mod:`core.packages.services.accounting`).
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Orderable

from core.scheduling.currency import MINOR_UNITS, MoneyError, format_money, to_minor

MAX_SESSIONS = 50
DURATIONS = (15, 30, 45, 60, 90, 120)


@register_setting(icon="tasks")
class PackageSettings(BaseSiteSetting):
    """What happens to credits nobody used: refunds while valid, and at expiry."""

    PRO_RATA = "pro_rata"
    NONE = "none"
    REFUND_CHOICES = [
        (PRO_RATA, _("Learners may have unused credits refunded pro rata while the package is valid")),
        (NONE, _("No refunds of unused credits")),
    ]
    EXPIRY_REFUND = "refund"
    EXPIRY_FORFEIT = "forfeit"
    EXPIRY_CHOICES = [
        (EXPIRY_REFUND, _("Refund unused credits pro rata when the package expires")),
        (EXPIRY_FORFEIT, _("No refund after expiry: unused credits are earned by the mentor")),
    ]

    unused_refund = models.CharField(
        max_length=10, choices=REFUND_CHOICES, default=PRO_RATA, verbose_name=_("unused credits")
    )
    on_expiry = models.CharField(
        max_length=10, choices=EXPIRY_CHOICES, default=EXPIRY_FORFEIT, verbose_name=_("at expiry")
    )

    panels = [MultiFieldPanel([FieldPanel("unused_refund"), FieldPanel("on_expiry")], heading=_("Unused credits"))]

    class Meta:
        verbose_name = _("Session packages")


class Package(ClusterableModel):
    """N sessions of one length with one mentor, bought at once."""

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="packages")
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    sessions = models.PositiveSmallIntegerField(
        _("sessions"), validators=[MinValueValidator(1), MaxValueValidator(MAX_SESSIONS)]
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("session length (minutes)"), choices=[(d, str(d)) for d in DURATIONS], default=60
    )
    validity_days = models.PositiveSmallIntegerField(
        _("valid for (days after purchase)"), default=180, validators=[MinValueValidator(1), MaxValueValidator(730)]
    )
    active = models.BooleanField(_("on sale"), default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    panels = [
        FieldPanel("mentor"),
        FieldPanel("title"),
        FieldPanel("description"),
        FieldRowPanel([FieldPanel("sessions"), FieldPanel("duration_minutes"), FieldPanel("validity_days")]),
        FieldPanel("active"),
        InlinePanel("prices", heading=_("Prices"), min_num=1),
    ]

    class Meta:
        ordering = ["mentor_id", "sessions", "pk"]
        verbose_name = _("session package")
        constraints = [
            models.CheckConstraint(
                condition=Q(sessions__gte=1) & Q(sessions__lte=MAX_SESSIONS), name="package_sessions_range"
            ),
            models.CheckConstraint(condition=Q(validity_days__gte=1), name="package_validity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.sessions} × {self.duration_minutes} min)"

    def clean(self) -> None:
        if self.mentor_id and not getattr(self.mentor, "is_mentor", False):
            raise ValidationError({"mentor": _("Only a mentor can sell a package.")})

    def price_in(self, currency: str) -> PackagePrice | None:
        return next((p for p in self.prices.all() if p.currency == currency), None)


class PackagePrice(Orderable):
    """One price of a package, in one currency (major units, like plan prices)."""

    package = ParentalKey(Package, on_delete=models.CASCADE, related_name="prices")
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217, e.g. EUR, INR."))
    amount = models.DecimalField(
        _("price"), max_digits=12, decimal_places=3, validators=[MinValueValidator(Decimal("0.01"))]
    )

    panels = [FieldRowPanel([FieldPanel("currency"), FieldPanel("amount")])]

    class Meta(Orderable.Meta):
        constraints = [
            models.UniqueConstraint(fields=["package", "currency"], name="packageprice_one_per_currency"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="packageprice_amount_positive"),
        ]

    def __str__(self) -> str:
        return self.display

    def clean(self) -> None:
        self.currency = (self.currency or "").strip().upper()
        if self.currency not in MINOR_UNITS:
            raise ValidationError(
                {"currency": _("“%(code)s” is not an ISO 4217 currency code.") % {"code": self.currency}}
            )
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
        return format_money(self.amount_minor, self.currency)


class PackagePurchase(models.Model):
    """A learner's purchase of a package: paid once, then a pool of credits until it expires."""

    PENDING = "pending"
    PAID = "paid"
    EXPIRED = "expired"
    CLOSED = "closed"
    STATUS_CHOICES = [
        (PENDING, _("Waiting for payment")),
        (PAID, _("Paid: credits can be used")),
        (EXPIRED, _("Expired")),
        (CLOSED, _("Closed (unused credits refunded)")),
    ]

    package = models.ForeignKey(Package, on_delete=models.PROTECT, related_name="purchases")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="package_purchases")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=PENDING, db_index=True)
    sessions = models.PositiveSmallIntegerField(help_text=_("Credits bought (frozen from the package)."))
    duration_minutes = models.PositiveSmallIntegerField()
    validity_days = models.PositiveSmallIntegerField()
    price_minor = models.PositiveBigIntegerField(help_text=_("The package's price when bought."))
    currency = models.CharField(max_length=3)
    credits_left = models.PositiveSmallIntegerField(default=0)
    credits_refunded = models.PositiveSmallIntegerField(default=0)
    credits_forfeited = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    paid_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(sessions__gte=1), name="purchase_sessions_positive"),
            models.CheckConstraint(
                condition=Q(credits_left__lte=F("sessions")) & Q(credits_refunded__lte=F("sessions")),
                name="purchase_credits_within_sessions",
            ),
            models.CheckConstraint(condition=Q(price_minor__gt=0), name="purchase_price_positive"),
        ]
        indexes = [models.Index(fields=["learner", "status"])]

    def __str__(self) -> str:
        return f"{self.package.title} for {self.learner} ({self.get_status_display()})"

    @property
    def usable(self) -> bool:
        return self.status == self.PAID and self.credits_left > 0 and not self.expired

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def expiry_from(self, paid_at) -> timezone.datetime:
        return paid_at + timedelta(days=self.validity_days)

    @property
    def price_display(self) -> str:
        return format_money(self.price_minor, self.currency)


class CreditUse(models.Model):
    """One credit drawn for one booking, and what became of it."""

    HELD = "held"
    RETURNED = "returned"
    EARNED = "earned"
    STATUS_CHOICES = [
        (HELD, _("Booked")),
        (RETURNED, _("Returned (cancelled in the free window)")),
        (EARNED, _("Earned by the mentor")),
    ]

    purchase = models.ForeignKey(PackagePurchase, on_delete=models.PROTECT, related_name="uses")
    booking = models.OneToOneField("scheduling.Booking", on_delete=models.PROTECT, related_name="credit_use")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=HELD, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Credit of {self.purchase_id} for booking {self.booking_id} ({self.status})"


class CreditRefund(models.Model):
    """Unused credits given back for money: how many, and the split of the refund planned when it was asked for."""

    LEARNER = "learner"
    EXPIRY = "expiry"
    STAFF = "staff"
    CAUSE_CHOICES = [(LEARNER, _("Asked by the learner")), (EXPIRY, _("Package expired")), (STAFF, _("Staff"))]

    purchase = models.ForeignKey(PackagePurchase, on_delete=models.PROTECT, related_name="credit_refunds")
    refund = models.OneToOneField("payments.Refund", on_delete=models.PROTECT, related_name="credit_refund")
    credits = models.PositiveSmallIntegerField()
    cause = models.CharField(max_length=10, choices=CAUSE_CHOICES)
    release_minor = models.BigIntegerField()
    fee_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(credits__gte=1), name="creditrefund_credits_positive")]

    def __str__(self) -> str:
        return f"{self.credits} credit(s) of purchase {self.purchase_id} refunded"
