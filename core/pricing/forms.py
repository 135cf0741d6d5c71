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

    def clean_country(self) -> str:
        return (self.cleaned_data.get("country") or "").strip().upper()


class MentorCouponForm(forms.ModelForm):
    """A mentor's code for their own sessions: they bear the discount."""

    class Meta:
        model = Coupon
        fields = ["code", "description", "kind", "percent", "amount_minor", "currency", "valid_until", "max_uses"]
        labels = {
            "amount_minor": gettext_lazy("Fixed amount (minor units, e.g. cents)"),
            "max_uses": gettext_lazy("Total uses (empty: no limit)"),
        }
        widgets = {"valid_until": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(self, *args, owner=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.instance.owner = owner
        self.instance.bearer = Coupon.MENTOR

    def clean_code(self) -> str:
        return (self.cleaned_data.get("code") or "").strip().upper()
