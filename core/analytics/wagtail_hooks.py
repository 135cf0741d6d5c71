"""Analytics in the Wagtail admin: the menu, the pages, the permissions; page views and searches for the log."""

from __future__ import annotations

import logging

from django.contrib.auth.models import Permission
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import Menu, MenuItem, SubmenuMenuItem

from . import admin_views
from .permissions import can_view_dashboard, can_view_learner_risk

logger = logging.getLogger("peerlearn.analytics")


class _Item(MenuItem):
    def __init__(self, *args, check, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.check = check

    def is_shown(self, request) -> bool:
        return self.check(request.user)


class _AnalyticsMenu(SubmenuMenuItem):
    def is_shown(self, request) -> bool:
        return can_view_dashboard(request.user) or can_view_learner_risk(request.user)


@hooks.register("register_admin_urls")
def register_admin_urls():
    urls = [
        path("", admin_views.DashboardView.as_view(), name="dashboard"),
        path("export.csv", admin_views.ExportView.as_view(), name="export"),
        path("at-risk/", admin_views.AtRiskView.as_view(), name="at_risk"),
        path("models/", admin_views.ModelsView.as_view(), name="models"),
    ]
    return [path("analytics/", include((urls, "analytics_admin"), namespace="analytics_admin"))]


@hooks.register("register_admin_menu_item")
def register_menu():
    menu = Menu(
        items=[
            _Item(
                _("Dashboard"),
                reverse("analytics_admin:dashboard"),
                icon_name="table",
                order=1,
                check=can_view_dashboard,
            ),
            _Item(
                _("Learners at risk"),
                reverse("analytics_admin:at_risk"),
                icon_name="warning",
                order=2,
                check=can_view_learner_risk,
            ),
            _Item(
                _("Prediction models"),
                reverse("analytics_admin:models"),
                icon_name="cogs",
                order=3,
                check=can_view_dashboard,
            ),
        ]
    )
    return _AnalyticsMenu(_("Analytics"), menu, icon_name="table", order=250)


@hooks.register("register_permissions")
def register_permissions():
    return Permission.objects.filter(
        content_type__app_label="analytics",
        codename__in=["view_dashboard", "view_learner_risk", "change_predictionmodel"],
    )


@hooks.register("before_serve_page")
def log_page_use(page, request, serve_args, serve_kwargs):
    """A mentor page viewed, or a mentor search run on the mentor index: logged, never in the way."""
    try:
        from core.catalogue.models import MentorIndexPage, MentorPage

        from .services.events import record

        specific = page.specific_class
        user_id = request.user.pk if getattr(request, "user", None) and request.user.is_authenticated else None
        if specific is MentorPage:
            mentor = MentorPage.objects.filter(pk=page.pk).values_list("user_id", flat=True).first()
            skill_ids = list(
                MentorPage.skills.through.objects.filter(mentorpage_id=page.pk).values_list("skill_id", flat=True)
            )
            record("mentor.viewed", user_id=user_id, mentor_id=mentor, skill_ids=skill_ids)
        elif specific is MentorIndexPage and request.GET:
            from core.catalogue.search import FilterError, parse_filters

            try:
                filters = parse_filters(request.GET)
            except FilterError:
                return None
            if filters.active:
                record(
                    "search.performed",
                    user_id=user_id,
                    skill_ids=[s.pk for s in filters.skills],
                    q=filters.q[:200],
                    page=str(request.GET.get("page", "1"))[:6],
                    via="site",
                )
    except Exception:
        logger.exception("could not log a page view")
    return None
