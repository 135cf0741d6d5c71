"""The mentor's package form and the learner's slot choice; the rules themselves are in services.catalogue."""

from __future__ import annotations

from django import forms
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import DURATIONS, MAX_SESSIONS


def _sessions_help() -> str:
    return gettext("1 to %(max)s.") % {"max": MAX_SESSIONS}


class PackageForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    # Lazy: "1 to 50." is said in the language of the page, not of the import.
    sessions = forms.IntegerField(label=_("Sessions"), help_text=lazy(_sessions_help, str)())
    duration_minutes = forms.TypedChoiceField(
        label=_("Session length (minutes)"), choices=[(d, str(d)) for d in DURATIONS], coerce=int, initial=60
    )
    validity_days = forms.IntegerField(label=_("Valid for (days after purchase)"), initial=180)
    currency = forms.CharField(label=_("Currency"), max_length=3, initial="EUR", help_text=_("ISO 4217, e.g. EUR."))
    amount = forms.DecimalField(
        label=_("Price"), max_digits=12, decimal_places=3, help_text=_("For the whole package.")
    )
    active = forms.BooleanField(label=_("On sale"), required=False, initial=True)

    def refused(self, field: str | None, message: str) -> None:
        """Show a service's refusal next to the field at fault."""
        name = {"prices": "amount"}.get(field or "", field)
        self.add_error(name if name in self.fields else None, message)


class CreditSlotForm(forms.Form):
    start = forms.DateTimeField(label=_("Start"), widget=forms.HiddenInput)
