"""``{% load series %}``: recurring series on the dashboards."""

from __future__ import annotations

from django import template

register = template.Library()


@register.inclusion_tag("scheduling/includes/series_overview.html")
def series_overview(user, role: str = "learner") -> dict:
    """``{% series_overview request.user "learner" %}``: the person's series still running, grouped."""
    from core.scheduling.series_views import upcoming_of

    return {"rows": upcoming_of(user, role), "role": role}
