"""``{% load analytics %}``: number filters, and the tags other pages include.

* ``{% learning_path user %}`` (learner dashboard): the path to one of the
  learner's interests (or ``?path_goal=<slug>``), with mentors and sessions;
* ``{% booking_success booking %}`` (the mentor's view of a booking): the chance
  it ends completed, and why;
* ``{% price_suggestion_widget %}`` (a form where a mentor sets a price): a box
  that asks ``/api/analytics/price-suggestion/`` as the skills and length change.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.scheduling.currency import MoneyError, format_amount

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 0) -> str:
    """0.256 -> "26 %"; ``None`` (nothing to divide) -> "–"."""
    if value is None or value == "":
        return "–"
    return f"{float(value) * 100:.{int(digits)}f} %"


@register.filter
def num(value: float | None, digits: int = 1) -> str:
    if value is None or value == "":
        return "–"
    return f"{float(value):.{int(digits)}f}"


@register.filter
def money(minor: int | None, currency: str) -> str:
    """``1250|money:"EUR"`` -> "€12.50" in the reader's locale (zero stays €0.00); ``None`` -> "–"."""
    if minor is None:
        return "–"
    try:
        return format_amount(int(minor), currency)
    except (MoneyError, ValueError, TypeError):
        return f"{minor} {currency}"


#: The statistics the prediction models store (``PredictionModel.metrics``), as a person reads them.
FACT_LABELS = {
    "rows": _("Cases"),
    "base_rate": _("Base rate"),
    "roc_auc_holdout": _("ROC AUC on the held-out cases"),
    "holdout_rows": _("Held-out cases"),
    "observations": _("Observations"),
    "skills": _("Skills"),
    "learners": _("Learners"),
    "price_sensitivity": _("Price sensitivity"),
    "sensitivity_measured": _("Sensitivity measured"),
}


def _label(key: Any) -> str:
    text = str(key)
    if len(text) == 3 and text.isupper():  # a currency code
        return text
    if text in FACT_LABELS:
        return str(FACT_LABELS[text])
    return text.replace("_", " ").capitalize()  # a statistic a newer model stores: its key, readable


def _fact(value: Any) -> str:
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, float):
        return f"{value:.3g}"
    if isinstance(value, dict):
        return "; ".join(f"{_label(k).lower()} {_fact(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_fact(v) for v in value)
    return str(value)


@register.filter
def facts(metrics: Any) -> list[tuple[str, str]]:
    """A model's metrics as ``(label, text)`` lines a person reads ("Price sensitivity -0.12"), never a raw dict."""
    if not isinstance(metrics, dict):
        return []
    return [(_label(key), _fact(value)) for key, value in metrics.items()]


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


LEARNING_PATH_TEMPLATE = "analytics/includes/learning_path.html"


@register.simple_tag(takes_context=True)
def learning_path(context, user, goal=None) -> str:
    """The learning path of ``user`` to ``goal`` (a Skill or slug), else ``?path_goal=``, else their first interest.

    Rendered once per learner, goal, address, language and time zone and kept
    (:func:`core.pages.cache.cached_part`) until their bookings, interests or
    skills change (``person:<id>``), the catalogue's mentors or sessions
    change (``listings``, ``site``) or the path model is fitted again (``paths``).
    """
    from django.template import Context
    from django.utils import timezone, translation

    from core.pages.cache import cached_part

    request = context.get("request")
    template_ = context.template.engine.get_template(LEARNING_PATH_TEMPLATE)

    def render() -> str:
        return template_.render(Context(_learning_path(request, user, goal), autoescape=context.autoescape))

    if (
        user is None
        or not getattr(user, "is_authenticated", False)
        or request is None
        or not isinstance(goal, str | None)
    ):
        return mark_safe(render())  # noqa: S308 - a template's own (escaped) output
    parts = [
        request.get_host(),
        user.pk,
        goal if goal is not None else request.GET.get("path_goal", ""),
        translation.get_language(),
        timezone.get_current_timezone_name(),
    ]
    tags = ["site", "listings", "paths", f"person:{user.pk}"]
    return mark_safe(cached_part("learning-path", parts, tags, render))  # noqa: S308 - as above


def _learning_path(request, user, goal) -> dict[str, Any]:
    from core.taxonomy.models import Skill

    from ..services.paths import learning_path as build

    if user is None or not getattr(user, "is_authenticated", False):
        return {"plan": None, "choices": [], "request": request}
    choices = list(user.interests.order_by("name"))
    wanted = goal if goal is not None else (request.GET.get("path_goal") if request is not None else None)
    if isinstance(wanted, Skill):
        chosen = wanted
    elif wanted:
        chosen = Skill.objects.filter(slug=str(wanted)).first()
    else:
        chosen = choices[0] if choices else None
    return {
        "plan": build(user, chosen) if chosen else None,
        "choices": choices,
        "chosen": chosen,
        "unknown_goal": bool(wanted) and chosen is None,
        "request": request,
    }


@register.inclusion_tag("analytics/includes/booking_success.html")
def booking_success(booking) -> dict[str, Any]:
    """The chance ``booking`` (with its ``session``) ends completed, for its mentor."""
    from ..services.success import success_probability

    return {"prediction": success_probability(booking) if booking is not None else None}


@register.inclusion_tag("analytics/includes/price_suggestion.html")
def price_suggestion_widget(skills_field: str = "skills", duration_field: str = "duration_minutes") -> dict[str, Any]:
    """A live price suggestion next to a price field; names the form fields it watches."""
    return {"skills_field": skills_field, "duration_field": duration_field}
