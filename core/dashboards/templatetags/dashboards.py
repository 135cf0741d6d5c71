"""``{% load dashboards %}``: display helpers of the dashboard pages."""

from __future__ import annotations

from django import template

from core.scheduling.currency import MoneyError, format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str) -> str:
    """``1250|money:"EUR"`` → ``12.50 EUR``; zero → ``Free``."""
    try:
        return format_money(int(minor or 0), currency)
    except (MoneyError, ValueError, TypeError):
        return f"{minor} {currency}"


@register.inclusion_tag("dashboards/checklists.html")
def onboarding(user, which: str = "all") -> dict:
    """``{% onboarding user %}``: the new person's first steps (``which``: "all" or "mentor"); nothing
    once they are done. Used by the dashboards and the profile page, where a new account lands."""
    from core.dashboards.onboarding import kept_learner_checklist, mentor_checklist

    return {
        "learner_checklist": kept_learner_checklist(user) if which == "all" else None,
        "mentor_checklist": mentor_checklist(user),
    }


@register.simple_tag(takes_context=True)
def learner_sessions(context) -> str:
    """``{% learner_sessions %}``: the signed-in learner's seats, kept per person (:mod:`core.dashboards.kept`)."""
    from core.dashboards.kept import learner_sessions as kept_learner_sessions

    return kept_learner_sessions(context["request"])
