from django.urls import include, path, reverse
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import admin_views


class RecommenderModelsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(admin_views.PERMISSION)


@hooks.register("register_admin_urls")
def register_admin_urls():
    urls = [path("", admin_views.RecommenderModelsView.as_view(), name="index")]
    return [path("recommenders/", include((urls, "recommendations_admin"), namespace="recommendations_admin"))]


@hooks.register("register_settings_menu_item")
def register_models_menu_item():
    return RecommenderModelsMenuItem(
        "Recommender models", reverse("recommendations_admin:index"), icon_name="pick", order=55
    )
