"""The dashboard's filter form: it renders the fields; ``metrics.parse_request`` is what validates them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.taxonomy.models import Skill

from .services.metrics import GRANULARITY_CHOICES


class ReportFilterForm(forms.Form):
    start = forms.DateField(label=_("Start"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("End"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    granularity = forms.ChoiceField(label=_("Period"), choices=GRANULARITY_CHOICES, required=False)
    skill = forms.ChoiceField(label=_("Skill"), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["skill"].choices = [("", _("All skills"))] + list(Skill.objects.values_list("slug", "name"))

    def show_errors(self, field: str, message: str) -> None:
        """Attach the service's error to its field (or to the form) without re-validating."""
        self.is_bound = True
        self._errors = self._errors or forms.utils.ErrorDict()
        self._errors.setdefault(
            field if field in self.fields else forms.forms.NON_FIELD_ERRORS, self.error_class()
        ).append(message)
