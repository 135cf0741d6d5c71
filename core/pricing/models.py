"""What a learner pays on top of or off a session's price, and the documents that prove it.

* :class:`RevenueSettings` (a Wagtail site setting): the learner-side service
  fee per currency (:class:`FeeRule`), tax rates by country (:class:`TaxRate`),
  whether prices include tax, and the seller printed on receipts;
* :class:`Coupon` / :class:`CouponRedemption`: codes editors or mentors make,
  and each use of one by a booking (held while the booking waits for its
  payment, used once paid, released when it lapses);
* :class:`PaymentBreakdown`: the price, discount, fee and tax frozen on each
  payment attempt, which the ledger splits the charge (and its refunds) by;
* :class:`Receipt`: a numbered document per payment and refund, numbered from
  a gap-free sequence per site (:class:`ReceiptCounter`).

Money is integer minor units plus an ISO currency, as everywhere else.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.utils.translation import gettext_lazy as _
from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.models import Orderable

from core.scheduling.currency import CURRENCY_CHOICES

COUNTRY = RegexValidator(r"^[A-Z]{2}$", "A two-letter ISO country code in capitals, e.g. DE, IN, US.")
PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


@register_setting(icon="tag")
class RevenueSettings(ClusterableModel, BaseSiteSetting):
    """The learner's service fee, tax, and the seller named on receipts, per Wagtail site."""

    fee_refundable = models.BooleanField(
        default=False,
        help_text=_(
            "Refund the service fee with the session when the cancellation policy refunds it "
            "(at the same percentage). Off: the fee is kept."
        ),
    )
    prices_include_tax = models.BooleanField(
        default=False,
        help_text=_(
            "On: session prices and fees already include tax (tax is shown inside the total). "
            "Off: tax is added on top at checkout."
        ),
    )
    seller_name = models.CharField(max_length=120, default="PeerLearn")
    seller_address = models.TextField(blank=True, max_length=500)
    seller_country = models.CharField(
        max_length=2,
        blank=True,
        validators=[COUNTRY],
        help_text=_("Taxed at this country's rate when a buyer has not said where they are."),
    )
    platform_tax_id = models.CharField(max_length=40, blank=True, help_text=_("Printed on every receipt."))
    receipt_prefix = models.CharField(
        max_length=12,
        default="PL",
        validators=[RegexValidator(r"^[A-Z0-9]{1,12}$", gettext_lazy("Capital letters and digits only."))],
        help_text=_("Receipts are numbered PREFIX-000001, PREFIX-000002, … without gaps."),
    )

    panels = [
        MultiFieldPanel(
            [FieldPanel("fee_refundable"), InlinePanel("fee_rules", label=gettext_lazy("Service fee per currency"))],
            heading=gettext_lazy("Learner service fee"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("prices_include_tax"),
                FieldPanel("seller_country"),
                FieldPanel("platform_tax_id"),
                InlinePanel("tax_rates", label=gettext_lazy("Tax rate")),
            ],
            heading=gettext_lazy("Tax"),
        ),
        MultiFieldPanel(
            [FieldPanel("seller_name"), FieldPanel("seller_address"), FieldPanel("receipt_prefix")],
            heading=gettext_lazy("Receipts"),
        ),
    ]

    class Meta:
        verbose_name = _("Fees, tax and receipts")


class FeeRule(Orderable):
    """The service fee in one currency: a percentage of the session price plus a fixed amount, capped."""

    settings = ParentalKey(RevenueSettings, on_delete=models.CASCADE, related_name="fee_rules")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("0"), validators=[MinValueValidator(0), MaxValueValidator(50)]
    )
    fixed_minor = models.PositiveIntegerField(default=0, help_text=_("Fixed part in minor units (cents): 50 is 0.50."))
    cap_minor = models.PositiveIntegerField(
        null=True, blank=True, help_text=_("The most the fee can be, in minor units; empty: no cap.")
    )

    panels = [
        FieldRowPanel([FieldPanel("currency"), FieldPanel("percent")]),
        FieldRowPanel([FieldPanel("fixed_minor"), FieldPanel("cap_minor")]),
    ]

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["settings", "currency"], name="fee_rule_one_per_currency")]

    def __str__(self) -> str:
        return f"{self.percent} % + {self.fixed_minor} {self.currency}"


class TaxRate(Orderable):
    """The tax a buyer in ``country`` pays (VAT, GST, sales tax)."""

    settings = ParentalKey(RevenueSettings, on_delete=models.CASCADE, related_name="tax_rates")
    country = models.CharField(max_length=2, validators=[COUNTRY])
    name = models.CharField(max_length=30, default="VAT", help_text=_("As printed on receipts: VAT, GST, Sales tax."))
    percent = models.DecimalField(max_digits=5, decimal_places=2, validators=PERCENT)

    panels = [FieldRowPanel([FieldPanel("country"), FieldPanel("name"), FieldPanel("percent")])]

    class Meta(Orderable.Meta):
        constraints = [models.UniqueConstraint(fields=["settings", "country"], name="tax_rate_one_per_country")]

    def __str__(self) -> str:
        return f"{self.name} {self.percent} % ({self.country})"


class BillingDetails(models.Model):
    """What a buyer wants on their receipts: where they are taxed and their tax id (GSTIN, VAT number)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="billing_details")
    legal_name = models.CharField(max_length=120, blank=True, help_text=_("Empty: your display name."))
    address = models.TextField(blank=True, max_length=500)
    country = models.CharField(max_length=2, blank=True, validators=[COUNTRY])
    tax_id = models.CharField(
        max_length=40,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9 .\-/]{0,40}$", "Letters, digits, spaces, dots, dashes, slashes.")],
        help_text=_("Optional: a GSTIN, VAT or other tax number printed on your receipts."),
    )

    def __str__(self) -> str:
        return f"Billing details of {self.user}"


class Coupon(models.Model):
    """A discount code: a percentage or a fixed amount, with limits and who bears it."""

    PERCENT = "percent"
    FIXED = "fixed"
    KIND_CHOICES = [
        (PERCENT, gettext_lazy("Percentage of the session price")),
        (FIXED, gettext_lazy("Fixed amount in one currency")),
    ]
    PLATFORM = "platform"
    MENTOR = "mentor"
    BEARER_CHOICES = [
        (PLATFORM, gettext_lazy("The platform (the mentor earns on the full price)")),
        (MENTOR, gettext_lazy("The mentor (earnings on the discounted price)")),
    ]

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9_-]{2,31}$", "3 to 32 letters, digits, - or _.")],
        help_text=_("What learners type, e.g. WELCOME10 (stored in capitals, matched without regard to case)."),
    )
    description = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=10, choices=KIND_CHOICES, default=PERCENT)
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("100"))],
    )
    amount_minor = models.PositiveIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1)], help_text=_("Fixed discount in minor units (cents).")
    )
    currency = models.CharField(max_length=3, blank=True, choices=CURRENCY_CHOICES, help_text=_("For a fixed amount."))
    valid_from = models.DateTimeField(null=True, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True)
    max_uses = models.PositiveIntegerField(null=True, blank=True, help_text=_("Empty: no total limit."))
    max_uses_per_learner = models.PositiveIntegerField(default=1, validators=[MinValueValidator(1)])
    uses = models.PositiveIntegerField(default=0, editable=False, help_text=_("Held and used redemptions."))
    mentors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="+",
        help_text=_("Only these mentors' sessions (empty: any)."),
    )
    skills = models.ManyToManyField(
        "taxonomy.Skill", blank=True, related_name="+", help_text=_("Only sessions teaching one of these (empty: any).")
    )
    first_booking_only = models.BooleanField(default=False, help_text=_("Only a learner's first paid booking."))
    bearer = models.CharField(max_length=10, choices=BEARER_CHOICES, default=PLATFORM)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="own_coupons",
        help_text=_("A mentor's own code: only their sessions, and they bear the discount."),
    )
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    panels = [
        FieldPanel("code"),
        FieldPanel("description"),
        MultiFieldPanel(
            [
                FieldPanel("kind"),
                FieldRowPanel([FieldPanel("percent"), FieldPanel("amount_minor"), FieldPanel("currency")]),
            ],
            heading=gettext_lazy("Discount"),
        ),
        FieldPanel("bearer"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
                FieldRowPanel([FieldPanel("max_uses"), FieldPanel("max_uses_per_learner")]),
                FieldPanel("first_booking_only"),
                FieldPanel("mentors"),
                FieldPanel("skills"),
            ],
            heading=gettext_lazy("Limits"),
        ),
        FieldPanel("owner"),
        FieldPanel("active"),
    ]

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="percent", percent__gt=0, percent__lte=100) & Q(amount_minor__isnull=True))
                | (Q(kind="fixed", amount_minor__gt=0) & ~Q(currency="") & Q(percent__isnull=True)),
                name="coupon_discount_well_formed",
            ),
            models.CheckConstraint(
                condition=Q(max_uses__isnull=True) | Q(uses__lte=models.F("max_uses")),
                name="coupon_uses_within_limit",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        self.code = (self.code or "").strip().upper()
        super().save(*args, **kwargs)

    def clean(self) -> None:
        self.code = (self.code or "").strip().upper()
        errors = {}
        if self.kind == self.PERCENT:
            if self.percent is None:
                errors["percent"] = "Give the percentage (more than 0, at most 100)."
            self.amount_minor = None
            self.currency = ""
        else:
            if not self.amount_minor:
                errors["amount_minor"] = "Give the fixed amount in minor units (more than 0)."
            if not self.currency:
                errors["currency"] = "A fixed amount needs its currency."
            self.percent = None
        if self.valid_from and self.valid_until and self.valid_until <= self.valid_from:
            errors["valid_until"] = gettext_lazy("The end must be after the start.")
        if self.owner_id:
            self.bearer = self.MENTOR
        if errors:
            raise ValidationError(errors)


class CouponRedemption(models.Model):
    """One use of a coupon by one booking: held until paid, then used; released if the booking lapses."""

    HELD = "held"
    USED = "used"
    RELEASED = "released"
    STATUS_CHOICES = [
        (HELD, gettext_lazy("Held (waiting for payment)")),
        (USED, gettext_lazy("Used")),
        (RELEASED, gettext_lazy("Released")),
    ]

    coupon = models.ForeignKey(Coupon, on_delete=models.PROTECT, related_name="redemptions")
    booking = models.ForeignKey("scheduling.Booking", on_delete=models.CASCADE, related_name="coupon_redemptions")
    learner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    discount_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)
    bearer = models.CharField(max_length=10, choices=Coupon.BEARER_CHOICES)
    status = models.CharField(max_length=10, choices=STATUS_CHOICES, default=HELD, db_index=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    released_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["booking"], condition=~Q(status="released"), name="one_live_redemption_per_booking"
            )
        ]

    def __str__(self) -> str:
        return f"{self.coupon} on booking {self.booking_id} ({self.status})"


class PaymentBreakdown(models.Model):
    """The price of one payment attempt, frozen when it was created; the ledger splits by it.

    ``total = price - discount + fee + (tax unless prices include it)``. The
    mentor's share is computed on ``mentor_base_minor``: the session net of
    tax, plus the discount when the platform bears it.
    """

    payment = models.OneToOneField("payments.Payment", on_delete=models.CASCADE, related_name="breakdown")
    price_minor = models.PositiveBigIntegerField()
    discount_minor = models.PositiveBigIntegerField(default=0)
    discount_bearer = models.CharField(max_length=10, choices=Coupon.BEARER_CHOICES, blank=True)
    redemption = models.ForeignKey(CouponRedemption, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    fee_minor = models.PositiveBigIntegerField(
        default=0, help_text=_("The service fee as charged (with its tax if inclusive).")
    )
    fee_refundable = models.BooleanField(default=False)
    tax_name = models.CharField(max_length=30, blank=True)
    tax_percent = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("0"))
    tax_country = models.CharField(max_length=2, blank=True)
    prices_include_tax = models.BooleanField(default=False)
    session_tax_minor = models.PositiveBigIntegerField(default=0)
    fee_tax_minor = models.PositiveBigIntegerField(default=0)
    total_minor = models.PositiveBigIntegerField()
    currency = models.CharField(max_length=3)

    def __str__(self) -> str:
        return f"Breakdown of payment {self.payment_id}"


class ReceiptCounter(models.Model):
    """The last receipt number of a site: locked while a number is taken, so numbers have no gaps."""

    site = models.OneToOneField("wagtailcore.Site", on_delete=models.CASCADE, related_name="+")
    last = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"Receipt counter of site {self.site_id}: {self.last}"


class Receipt(models.Model):
    """A numbered receipt (a payment) or credit note (a refund); a snapshot that never changes."""

    RECEIPT = "receipt"
    CREDIT_NOTE = "credit_note"
    KIND_CHOICES = [(RECEIPT, gettext_lazy("Receipt")), (CREDIT_NOTE, gettext_lazy("Credit note (refund)"))]

    site = models.ForeignKey("wagtailcore.Site", on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveBigIntegerField()
    number = models.CharField(max_length=30, unique=True)
    kind = models.CharField(max_length=12, choices=KIND_CHOICES)
    booking = models.ForeignKey(
        "scheduling.Booking", on_delete=models.PROTECT, null=True, blank=True, related_name="receipts"
    )
    purchase = models.ForeignKey(
        "packages.PackagePurchase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipts",
        help_text=_("The package of sessions paid or refunded (instead of a booking)."),
    )
    subscription_invoice = models.OneToOneField(
        "subscriptions.SubscriptionInvoice",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="receipt",
        help_text=_("The premium plan's invoice paid (instead of a booking or a package)."),
    )
    payment = models.ForeignKey(
        "payments.Payment", on_delete=models.PROTECT, null=True, blank=True, related_name="receipts"
    )
    refund = models.OneToOneField(
        "payments.Refund", on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="receipts")
    mentor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    seller = models.JSONField(help_text=_("Name, address, tax id as printed."))
    buyer_details = models.JSONField(help_text=_("Name, email, address, country, tax id as printed."))
    lines = models.JSONField(help_text=_("[{description, amount_minor}] as printed."))
    currency = models.CharField(max_length=3)
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    tax_label = models.CharField(max_length=60, blank=True)
    issued_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)

    class Meta:
        ordering = ["-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["site", "sequence"], name="receipt_gap_free_sequence"),
            models.UniqueConstraint(
                fields=["payment"], condition=Q(kind="receipt", payment__isnull=False), name="one_receipt_per_payment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}"

    @property
    def subject(self) -> str:
        """What was paid for, as the receipts page lists it: the session, or the package."""
        if self.booking_id:
            return self.booking.session.title
        if self.purchase_id:
            return self.purchase.package.title
        if self.subscription_invoice_id:
            return str(self.subscription_invoice.subscription.plan)
        return ""

    @property
    def buyer_name(self) -> str:
        return str(self.buyer_details.get("name", ""))

    @property
    def buyer_tax_id(self) -> str:
        return str(self.buyer_details.get("tax_id", ""))
