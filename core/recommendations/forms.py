"""The experiment form of the Wagtail admin: checks that need all variants at once."""

from __future__ import annotations

from django.utils.translation import gettext
from wagtail.admin.forms import WagtailAdminModelForm

from . import experiments, store
from .models import Experiment


class ExperimentForm(WagtailAdminModelForm):
    """Shares of all variants at most 100 %, known recommender keys, one active experiment per site."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        if not hasattr(self, "cleaned_data"):
            return False
        variants = [
            form
            for form in self.formsets["variants"].forms
            if getattr(form, "cleaned_data", None) and not form.cleaned_data.get("DELETE")
        ]
        problem = experiments.share_error(form.cleaned_data.get("traffic_share") for form in variants)
        if problem:
            for form in variants:
                form.add_error("traffic_share", problem)
            self.add_error(None, f"Traffic share: {problem}")
            valid = False
        site = self.cleaned_data.get("site")
        if site is not None:
            known = [rec.key for _, rec in store.recommenders(site.pk)]
            for form in variants:
                keys = [k.strip() for k in (form.cleaned_data.get("recommenders") or "").split(",") if k.strip()]
                unknown = experiments.unknown_recommenders(keys, known)
                if unknown:
                    form.add_error(
                        "recommenders",
                        f"Unknown recommender {', '.join(unknown)}; enabled here: {', '.join(known) or 'none'}.",
                    )
                    valid = False
            if self.cleaned_data.get("active"):
                others = Experiment.objects.filter(site=site, active=True)
                if self.instance.pk:
                    others = others.exclude(pk=self.instance.pk)
                if others.exists():
                    self.add_error("active", f"{others.first().name!r} is already active on this site; stop it first.")
                    valid = False
        names = [(form.cleaned_data.get("name") or "").strip().lower() for form in variants]
        for form, name in zip(variants, names, strict=True):
            if name and names.count(name) > 1:
                form.add_error("name", gettext("Each variant needs its own name."))
                valid = False
        return valid
