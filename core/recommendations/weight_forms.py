"""Admin forms that edit the weights of families plugins declare, beside the built-in weights.

The declared families are read per form (the site's enabled plugins), so a
family appears as soon as its plugin is enabled and disappears when it is
not; saving keeps the weights of families that are absent now.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminModelForm

from core.plugins import MAX_FAMILY_WEIGHT

from . import families
from .families import Family

BUILTIN_FIELDS = ("weight_content", "weight_collaborative", "weight_popularity", "weight_trending")


def _help(family: Family) -> str:
    text = _("Declared by the plugin %(plugin)s; default %(default)g.") % {
        "plugin": family.plugin,
        "default": family.default_weight,
    }
    return f"{family.description} {text}".strip()


def _weight_field(family: Family, *, required: bool, initial: float | None) -> forms.FloatField:
    return forms.FloatField(
        label=family.label,
        required=required,
        min_value=0.0,
        max_value=MAX_FAMILY_WEIGHT,
        initial=initial,
        help_text=_help(family),
    )


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and math.isfinite(value)


class RecommendationSettingsForm(WagtailAdminModelForm):
    """Settings > Recommendations: one weight field per family the site's enabled plugins declare."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.declared_families = families.declared(getattr(self.instance, "site_id", None))
        current = families.declared_weights(self.instance.family_weights, self.declared_families)
        for family in self.declared_families:
            self.fields[family.field_name] = _weight_field(family, required=True, initial=current[family.name])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        values = [cleaned.get(name) for name in BUILTIN_FIELDS]
        declared = {f.name: cleaned.get(f.field_name) for f in self.declared_families}
        everything = values + list(declared.values())
        if all(_finite(v) for v in everything):
            stored = dict(self.instance.family_weights) if isinstance(self.instance.family_weights, dict) else {}
            stored.update({name: float(v) for name, v in declared.items()})
            self.instance.family_weights = stored  # absent families keep their weights
            if sum(everything) <= 0:
                self.add_error("weight_content", _("At least one blend weight must be above zero."))
        return cleaned


class ExperimentVariantForm(WagtailAdminModelForm):
    """One A/B variant: besides the built-in weights, one optional weight per family a loaded plugin declares.

    Families of every loaded plugin are offered (an experiment's site is chosen
    on the same page); a family left empty weighs 0 in a variant that gives a
    weight set, as a built-in weight left empty does.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.declared_families = families.declared(enabled_only=False)
        stored = self.instance.family_weights if isinstance(self.instance.family_weights, dict) else {}
        for family in self.declared_families:
            self.fields[family.field_name] = _weight_field(family, required=False, initial=stored.get(family.name))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        stored = dict(self.instance.family_weights) if isinstance(self.instance.family_weights, dict) else {}
        for family in self.declared_families:
            value = cleaned.get(family.field_name)
            if value is None:
                stored.pop(family.name, None)
            else:
                stored[family.name] = float(value)
        self.instance.family_weights = stored
        return cleaned
