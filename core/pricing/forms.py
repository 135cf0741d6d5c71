"""Forms of pricing's pages: a coupon at checkout, billing details, a mentor's own coupon."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .models import BillingDetails, Coupon


class CouponCodeForm(forms.Form):
    coupon = forms.CharField(max_length=40, required=False, label=gettext_lazy("Coupon code"))


class BillingDetailsForm(forms.ModelForm):
    class Meta:
        model = BillingDetails
        fields = ["legal_name", "address", "country", "tax_id"]
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}
        # The model's names and help are the admin's English: the page says them in the reader's language.
        labels = {
            "legal_name": gettext_lazy("Legal name"),
            "address": gettext_lazy("Address"),
            "country": gettext_lazy("Country"),
            "tax_id": gettext_lazy("Tax id"),
        }
        help_texts = {
            "legal_name": gettext_lazy("Empty: your display name."),
            "country": gettext_lazy("Two letters (ISO 3166), e.g. IN, ES, DE."),
            "tax_id": gettext_lazy("Optional: a GSTIN, VAT or other tax number printed on your receipts."),
        }

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()


class MentorCouponForm(forms.ModelForm):
    """A mentor's code for their own sessions: they bear the discount."""

    class Meta:
        model = Coupon
        fields = ["code", "description", "kind", "percent", "amount_minor", "currency", "valid_until", "max_uses"]
        labels = {
            "code": gettext_lazy("Code"),
            "description": gettext_lazy("Description"),
            "kind": gettext_lazy("Kind"),
            "percent": gettext_lazy("Percent"),
            "amount_minor": gettext_lazy("Fixed amount (minor units, e.g. cents)"),
            "currency": gettext_lazy("Currency"),
            "valid_until": gettext_lazy("Valid until"),
            "max_uses": gettext_lazy("Total uses (empty: no limit)"),
        }
        help_texts = {
            "code": gettext_lazy(
                "What learners type, e.g. WELCOME10 (stored in capitals, matched without regard to case)."
            ),
            "percent": gettext_lazy("For a percentage, e.g. 10."),
            "amount_minor": gettext_lazy("Fixed discount in minor units (cents)."),
            "currency": gettext_lazy("For a fixed amount."),
            "max_uses": gettext_lazy("Empty: no total limit."),
        }
        widgets = {"valid_until": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(self, *args, owner=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.owner = owner
        self.instance.bearer = Coupon.MENTOR

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()
