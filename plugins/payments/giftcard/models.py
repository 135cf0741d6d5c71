"""Gift cards and every movement of their balances."""

from __future__ import annotations

import re
import secrets

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: codes are typed from paper
CODE_PATTERN = r"[A-Z0-9-]{6,32}"


def new_code() -> str:
    """A fresh code such as ``GC-7KQ2-MX9P-4TZR`` (60 bits of randomness)."""
    groups = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(4)) for _ in range(3)]
    return "GC-" + "-".join(groups)


class GiftCard(models.Model):
    """A code an editor issued, worth ``balance_minor`` of ``currency`` until spent or expired."""

    code = models.CharField(
        max_length=32,
        unique=True,
        default=new_code,
        validators=[RegexValidator(f"^{CODE_PATTERN}$", "Letters, digits and hyphens, 6 to 32.", flags=re.IGNORECASE)],
        help_text=_("What the learner types at checkout. A random one is filled in; you may choose your own."),
    )
    currency = models.CharField(
        max_length=3,
        validators=[RegexValidator(r"^[A-Z]{3}$", "An ISO 4217 code, e.g. EUR.", flags=re.IGNORECASE)],
        help_text=_("The card pays for sessions priced in this currency only."),
    )
    initial_minor = models.PositiveIntegerField(
        _("value (minor units)"),
        validators=[MinValueValidator(1)],
        help_text=_("What the card is worth when issued, in cents (or the currency's minor unit): 5000 = 50.00."),
    )
    balance_minor = models.PositiveIntegerField(_("balance (minor units)"), default=0, editable=False)
    active = models.BooleanField(default=True, help_text=_("Switch off to block a lost or stolen card."))
    expires_at = models.DateTimeField(null=True, blank=True, help_text=_("Empty: never expires."))
    note = models.CharField(max_length=255, blank=True, help_text=_("For editors: who it was issued to, and why."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(balance_minor__lte=models.F("initial_minor")), name="giftcard_balance_within_value"
            )
        ]

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        self.code = self.code.strip().upper()
        self.currency = self.currency.strip().upper()
        if self._state.adding:
            self.balance_minor = self.initial_minor
        super().save(*args, **kwargs)

    def clean(self) -> None:
        # Normalised before Django checks uniqueness, so "gc-abc" and "GC-ABC" are one code.
        self.code = self.code.strip().upper()
        self.currency = self.currency.strip().upper()
        if self.pk is None:
            return
        issued = GiftCard.objects.filter(pk=self.pk).values("initial_minor", "currency").first()
        if issued and (issued["initial_minor"], issued["currency"]) != (self.initial_minor, self.currency.upper()):
            raise ValidationError(
                "The value and currency of an issued card cannot change (it may have been spent); "
                "block it and issue a new one."
            )


class GiftCardMovement(models.Model):
    """One draw (a payment) or refund (money back onto the card); never edited."""

    DRAW = "draw"
    REFUND = "refund"
    KINDS = [(DRAW, "Payment"), (REFUND, "Refund to the card")]

    card = models.ForeignKey(GiftCard, on_delete=models.PROTECT, related_name="movements")
    kind = models.CharField(max_length=10, choices=KINDS)
    amount_minor = models.PositiveIntegerField()
    #: The payment's reference (for a draw, the gateway reference the core stores).
    reference = models.CharField(max_length=64, db_index=True)
    idempotency_key = models.CharField(max_length=255, unique=True)
    booking_id = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.amount_minor} {self.card.currency} ({self.reference})"
