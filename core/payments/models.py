"""Payments, refunds, webhook events, payouts and the append-only ledger.

Money is integer minor units plus an ISO 4217 code everywhere. Every movement
of money is a :class:`LedgerEntry` row that is never changed or deleted (the
model refuses, and on PostgreSQL a trigger refuses too), so every balance is a
sum of entries and history cannot be rewritten. Sign conventions, per booking:

* ``charge`` (+amount) and ``refund`` (-amount) are money moving between the
  learner and the gateway: their sum is what the gateway holds for the booking;
* ``commission`` (+) / ``commission_reversal`` (-) are the platform's share,
  ``mentor_earning`` (+) / ``earning_reversal`` (-) the mentor's: together
  they always add up to charge + refund (the split of what is held);
* ``payout`` (-) is money sent to the mentor; a positive payout entry is a
  *recovery*: a refund after a payout left the mentor's balance for that
  booking negative and the next payout deducted it (see services.payouts);
* ``fee`` (+) / ``fee_reversal`` (-) are the learner's service fee, and
  ``discount`` (-) / ``discount_reversal`` (+) a coupon the platform pays for:
  both are the platform's, like commission; ``tax`` (+) / ``tax_reversal`` (-)
  is tax collected for the tax authority. The split is then
  platform + mentor + tax = charge + refund (see core.pricing.services.split).
* ``package_unearned`` (+) / ``package_release`` (-) hold a session package's
  price between purchase and delivery: a delivered session releases one
  credit's share into commission and mentor earning, a refund releases it back
  to the learner, so platform + mentor + tax + unearned = charge + refund
  (see core.packages.services.accounting).
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from core.scheduling.currency import MoneyError, format_amount


def _money(amount_minor: int, currency: str) -> str:
    """€12.50 in the reader's locale (negative amounts keep their sign)."""
    try:
        return format_amount(amount_minor, currency)
    except MoneyError:
        return f"{amount_minor} {currency} (minor units)"


class MoneyDisplay:
    """``amount``: the minor units formatted with their currency, as the admin shows them."""

    amount_minor: int
    currency: str

    @property
    def amount(self) -> str:
        return _money(self.amount_minor, self.currency)

    amount.fget.short_description = "Amount"  # type: ignore[attr-defined]


class LedgerImmutableError(Exception):
    """Ledger entries are append-only: correct a mistake with a new entry."""


@register_setting(icon="resubmit")
class PaymentSettings(BaseSiteSetting):
    """Commission and the handling of late payments, per Wagtail site."""

    REFUND = "refund"
    REVIEW = "review"
    LATE_PAYMENT_CHOICES = [
        (REFUND, gettext_lazy("Refund it automatically")),
        (REVIEW, gettext_lazy("Hold it for review in the admin")),
    ]

    commission_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("12.00"),
        validators=[MinValueValidator(Decimal("10")), MaxValueValidator(Decimal("15"))],
        help_text=_(
            "The platform's share of each paid booking (10 to 15 %). "
            "A booking keeps the rate in force when it was made."
        ),
    )
    late_payment_action = models.CharField(
        max_length=10,
        choices=LATE_PAYMENT_CHOICES,
        default=REFUND,
        help_text=_("What to do with money that arrives for a booking that expired or was cancelled meanwhile."),
    )

    manual_hold_hours = models.PositiveSmallIntegerField(
        default=72,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 14)],
        help_text=_(
            "How long a seat paid by bank transfer stays held for the transfer to arrive "
            "(never past the session's start)."
        ),
    )

    panels = [
        MultiFieldPanel([FieldPanel("commission_percent")], heading=gettext_lazy("Commission")),
        MultiFieldPanel([FieldPanel("manual_hold_hours")], heading=gettext_lazy("Bank transfers")),
        MultiFieldPanel([FieldPanel("late_payment_action")], heading=gettext_lazy("Payments that arrive too late")),
    ]

    class Meta:
        verbose_name = _("Payments")

    @property
    def commission_bp(self) -> int:
        """The rate in basis points (12 % = 1200): integers all the way down."""
        return int((self.commission_percent * 100).to_integral_value())


class BookingCommission(models.Model):
    """The commission rate frozen for a booking when it was made."""

    booking = models.OneToOneField(
        "scheduling.Booking", on_delete=models.CASCADE, primary_key=True, related_name="commission"
    )
    rate_bp = models.PositiveIntegerField(help_text=_("Basis points: 1200 is 12 %."))
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    def __str__(self) -> str:
        return f"{self.rate_bp / 100:.2f} % on booking {self.booking_id}"


class Payment(MoneyDisplay, models.Model):
    """One attempt to take a booking's price through one gateway.

    A booking may have several (another gateway, a new attempt after the
    gateway cancelled the first); at most one should succeed, and a second
    success is refunded or held for review.
    """

    CREATED = "created"
    REQUIRES_ACTION = "requires_action"
    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ABANDONED = "abandoned"
    STATUS_CHOICES = [
        (CREATED, gettext_lazy("Created (not yet accepted by the gateway)")),
        (REQUIRES_ACTION, gettext_lazy("Waiting for the learner")),
        (PENDING, gettext_lazy("Waiting for the money (transfer)")),
        (PROCESSING, gettext_lazy("Paid at the gateway, waiting for its webhook")),
        (SUCCEEDED, gettext_lazy("Succeeded")),
        (FAILED, gettext_lazy("Failed")),
        (ABANDONED, gettext_lazy("Abandoned (replaced by a new attempt)")),
    ]
    OPEN_STATUSES = (CREATED, REQUIRES_ACTION, PENDING, PROCESSING, FAILED)

    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="payments"
    )
    purchase = models.ForeignKey(
        "packages.PackagePurchase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payments",
        help_text=_("Set instead of the booking when the payment is for a package of sessions."),
    )
    gateway = models.CharField(max_length=50, db_index=True, help_text=_("The gateway's identifier."))
    plugin = models.CharField(max_length=100, help_text=_("The plugin that provides the gateway."))
    reference = models.CharField(max_length=255, blank=True, help_text=_("The gateway's id of this payment."))
    charge_reference = models.CharField(max_length=255, blank=True)
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    commission_bp = models.PositiveIntegerField(help_text=_("Commission rate frozen for this payment (basis points)."))
    status = models.CharField(max_length=16, choices=STATUS_CHOICES, default=CREATED, db_index=True)
    idempotency_key = models.CharField(max_length=80, unique=True)
    failure_message = models.TextField(blank=True)
    needs_review = models.BooleanField(default=False, db_index=True)
    review_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    succeeded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["gateway", "reference"], condition=~Q(reference=""), name="payment_unique_gateway_reference"
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(booking__isnull=False, purchase__isnull=True)
                | Q(booking__isnull=True, purchase__isnull=False),
                name="payment_for_booking_or_purchase",
            ),
        ]
        indexes = [models.Index(fields=["booking", "gateway", "status"])]

    def __str__(self) -> str:
        return f"{self.gateway} {self.reference or '(no reference yet)'}: {_money(self.amount_minor, self.currency)}"

    @property
    def commission(self) -> str:
        """The frozen commission rate as a percentage (1200 basis points: "12 %")."""
        percent = Decimal(self.commission_bp) / 100
        return f"{percent.normalize():f} %"

    commission.fget.short_description = "Commission"  # type: ignore[attr-defined]


class Refund(MoneyDisplay, models.Model):
    """Money going back to the learner, through the payment's gateway."""

    REQUESTED = "requested"
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    STATUS_CHOICES = [
        (REQUESTED, gettext_lazy("Requested (the gateway has not answered)")),
        (PENDING, gettext_lazy("Accepted by the gateway, not settled")),
        (SUCCEEDED, gettext_lazy("Refunded")),
        (FAILED, gettext_lazy("Failed")),
    ]
    #: Refunds that count against what is left to refund.
    COMMITTED_STATUSES = (REQUESTED, PENDING, SUCCEEDED)

    STAFF = "staff"
    CANCELLATION = "cancellation"
    LATE_PAYMENT = "late_payment"
    DUPLICATE = "duplicate"
    GATEWAY = "gateway"
    REASON_CHOICES = [
        (STAFF, gettext_lazy("Staff refund")),
        (CANCELLATION, gettext_lazy("Cancellation policy")),
        (LATE_PAYMENT, gettext_lazy("Paid after the booking expired or was cancelled")),
        (DUPLICATE, gettext_lazy("Second payment for one booking")),
        (GATEWAY, gettext_lazy("Refunded at the gateway, outside PeerLearn")),
    ]

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=REQUESTED, db_index=True)
    reason = models.CharField(max_length=20, choices=REASON_CHOICES, default=STAFF)
    note = models.CharField(max_length=255, blank=True)
    reference = models.CharField(max_length=255, blank=True, help_text=_("The gateway's id of this refund."))
    idempotency_key = models.CharField(max_length=80, unique=True)
    failure_message = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="refund_amount_positive")]

    def __str__(self) -> str:
        return f"Refund of {_money(self.amount_minor, self.currency)} ({self.get_status_display().lower()})"


class WebhookEventRecord(MoneyDisplay, models.Model):
    """Every verified event from a gateway, processed at most once per (gateway, event id)."""

    PROCESSED = "processed"
    IGNORED = "ignored"
    DEFERRED = "deferred"
    REJECTED = "rejected"
    STATUS_CHOICES = [
        (PROCESSED, gettext_lazy("Processed")),
        (IGNORED, gettext_lazy("Ignored (nothing to do)")),
        (DEFERRED, gettext_lazy("Deferred (waiting for an earlier event)")),
        (REJECTED, gettext_lazy("Rejected for review")),
    ]

    gateway = models.CharField(max_length=50)
    event_id = models.CharField(max_length=255)
    raw_type = models.CharField(max_length=100)
    kind = models.CharField(max_length=10)
    reference = models.CharField(max_length=255, blank=True, db_index=True)
    amount_minor = models.BigIntegerField(default=0)
    currency = models.CharField(max_length=3, blank=True)
    payload = models.JSONField(default=dict, help_text=_("The parsed event (no card data, no secrets)."))
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="events")
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, db_index=True)
    message = models.TextField(blank=True)
    source = models.CharField(max_length=20, default="webhook", help_text=_("webhook, or admin for editors' actions."))
    received_at = models.DateTimeField(default=timezone.now, editable=False)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["gateway", "event_id"], name="webhook_event_once")]

    def __str__(self) -> str:
        return f"{self.gateway} {self.raw_type} {self.event_id} ({self.status})"


class Payout(MoneyDisplay, models.Model):
    """Money sent to a mentor: the sum of its ledger entries (one per booking)."""

    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payouts")
    amount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    reference = models.CharField(max_length=255, blank=True, help_text=_("The bank transfer's reference."))
    note = models.CharField(max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.CheckConstraint(condition=Q(amount_minor__gt=0), name="payout_amount_positive")]

    def __str__(self) -> str:
        return f"Payout of {_money(self.amount_minor, self.currency)} to {self.mentor}"


class LedgerQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise LedgerImmutableError("ledger entries cannot be updated")

    def delete(self):
        raise LedgerImmutableError("ledger entries cannot be deleted")

    def balance(self) -> int:
        return int(self.aggregate(total=models.Sum("amount_minor"))["total"] or 0)


class LedgerEntry(MoneyDisplay, models.Model):
    """One movement of money. Append-only."""

    CHARGE = "charge"
    COMMISSION = "commission"
    MENTOR_EARNING = "mentor_earning"
    REFUND = "refund"
    COMMISSION_REVERSAL = "commission_reversal"
    EARNING_REVERSAL = "earning_reversal"
    PAYOUT = "payout"
    SUBSCRIPTION_CHARGE = "subscription_charge"
    SUBSCRIPTION_REVENUE = "subscription_revenue"
    FEE = "fee"
    FEE_REVERSAL = "fee_reversal"
    DISCOUNT = "discount"
    DISCOUNT_REVERSAL = "discount_reversal"
    TAX = "tax"
    TAX_REVERSAL = "tax_reversal"
    PACKAGE_UNEARNED = "package_unearned"
    PACKAGE_RELEASE = "package_release"
    KIND_CHOICES = [
        (CHARGE, gettext_lazy("Charge (learner paid)")),
        (COMMISSION, gettext_lazy("Platform commission")),
        (MENTOR_EARNING, gettext_lazy("Mentor earning")),
        (REFUND, gettext_lazy("Refund (to the learner)")),
        (COMMISSION_REVERSAL, gettext_lazy("Commission reversal")),
        (EARNING_REVERSAL, gettext_lazy("Mentor earning reversal")),
        (PAYOUT, gettext_lazy("Payout (to the mentor)")),
        (SUBSCRIPTION_CHARGE, gettext_lazy("Subscription charge (a mentor paid a plan)")),
        (SUBSCRIPTION_REVENUE, gettext_lazy("Platform revenue from a subscription")),
        (FEE, gettext_lazy("Service fee (platform)")),
        (FEE_REVERSAL, gettext_lazy("Service fee reversal")),
        (DISCOUNT, gettext_lazy("Discount paid by the platform")),
        (DISCOUNT_REVERSAL, gettext_lazy("Discount reversal")),
        (TAX, gettext_lazy("Tax collected")),
        (TAX_REVERSAL, gettext_lazy("Tax reversal")),
        (PACKAGE_UNEARNED, gettext_lazy("Package paid, sessions not yet delivered")),
        (PACKAGE_RELEASE, gettext_lazy("Package credit delivered or refunded")),
    ]
    #: Kinds that move money between a payer (learner, or a mentor paying a plan) and the gateway.
    CASH_KINDS = (CHARGE, REFUND, SUBSCRIPTION_CHARGE)
    COMMISSION_KINDS = (COMMISSION, COMMISSION_REVERSAL)
    FEE_KINDS = (FEE, FEE_REVERSAL)
    DISCOUNT_KINDS = (DISCOUNT, DISCOUNT_REVERSAL)
    #: Everything that is the platform's: commission, service fees less the discounts it pays for,
    #: and all of a subscription (never a mentor's earning).
    PLATFORM_KINDS = (*COMMISSION_KINDS, *FEE_KINDS, *DISCOUNT_KINDS, SUBSCRIPTION_REVENUE)
    TAX_KINDS = (TAX, TAX_REVERSAL)
    MENTOR_KINDS = (MENTOR_EARNING, EARNING_REVERSAL, PAYOUT)
    #: A package's session share between purchase and delivery: nobody's earning yet.
    UNEARNED_KINDS = (PACKAGE_UNEARNED, PACKAGE_RELEASE)

    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries")
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries")
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_entries"
    )
    kind = models.CharField(max_length=20, choices=KIND_CHOICES, db_index=True)
    amount_minor = models.BigIntegerField(help_text=_("Signed, in minor units."))
    currency = models.CharField(max_length=3)
    memo = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    objects = LedgerQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["mentor", "currency", "kind"]), models.Index(fields=["booking", "kind"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {_money(self.amount_minor, self.currency)}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise LedgerImmutableError("ledger entries cannot be changed; add a correcting entry instead")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError("ledger entries cannot be deleted; add a correcting entry instead")
