from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet

from . import admin_views
from .forms import ExperimentForm
from .models import Experiment
from .panels import DeclaredFamilyWeightsPanel, VariantsInlinePanel


class RecommenderModelsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(admin_views.PERMISSION)


@hooks.register("register_admin_urls")
def register_admin_urls():
    urls = [
        path("", admin_views.RecommenderModelsView.as_view(), name="index"),
        path("experiments/<int:pk>/report/", admin_views.ExperimentReportView.as_view(), name="experiment_report"),
    ]
    return [path("recommenders/", include((urls, "recommendations_admin"), namespace="recommendations_admin"))]


@hooks.register("register_settings_menu_item")
def register_models_menu_item():
    return RecommenderModelsMenuItem(
        _("Recommender models"), reverse("recommendations_admin:index"), icon_name="pick", order=55
    )


class ReportColumn(Column):
    def get_value(self, instance):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("recommendations_admin:experiment_report", args=[instance.pk]),
            _("Funnel report"),
        )


class ExperimentViewSet(SnippetViewSet):
    """Editors define A/B tests of the ranking here; each has a funnel report."""

    model = Experiment
    icon = "pick"
    menu_label = _("Experiments")
    menu_name = "recommendation-experiments"
    menu_order = 270
    add_to_admin_menu = True
    list_display = ["name", "site", "active", "created_at", ReportColumn("report", label=_("Report"))]
    list_filter = ["active"]
    ordering = ["-created_at"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("site"),
            FieldPanel("description"),
            FieldPanel("active"),
            VariantsInlinePanel(
                "variants",
                heading=_("Variants"),
                label=_("Variant"),
                min_num=1,
                help_text=_("Users outside all variants' shares are the control and get the site's settings."),
                panels=[
                    FieldRowPanel([FieldPanel("name"), FieldPanel("traffic_share")]),
                    FieldRowPanel(
                        [
                            FieldPanel("weight_content"),
                            FieldPanel("weight_collaborative"),
                            FieldPanel("weight_popularity"),
                            FieldPanel("weight_trending"),
                        ],
                        heading=_("Weight set (leave all empty for the site's)"),
                    ),
                    DeclaredFamilyWeightsPanel(heading=_("Weights of families declared by plugins")),
                    FieldPanel("recommenders"),
                ],
            ),
        ],
        base_form_class=ExperimentForm,
    )


register_snippet(ExperimentViewSet)
