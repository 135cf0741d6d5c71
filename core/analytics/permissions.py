"""Who may see what: the business dashboard and the at-risk list are for editors with the permission."""

from __future__ import annotations

VIEW_DASHBOARD = "analytics.view_dashboard"
VIEW_LEARNER_RISK = "analytics.view_learner_risk"


def can_view_dashboard(user) -> bool:
    """Staff of the analytics dashboard: active, allowed into the Wagtail admin, and given the permission."""
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or (user.has_perm("wagtailadmin.access_admin") and user.has_perm(VIEW_DASHBOARD)))
    )


def can_view_learner_risk(user) -> bool:
    return bool(
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or (user.has_perm("wagtailadmin.access_admin") and user.has_perm(VIEW_LEARNER_RISK)))
    )
