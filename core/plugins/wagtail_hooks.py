from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem

from . import views


class PluginsMenuItem(MenuItem):
    def is_shown(self, request) -> bool:
        return request.user.has_perm(views.PERMISSION)


@hooks.register("register_admin_urls")
def register_admin_urls():
    urls = [
        path("", views.PluginIndexView.as_view(), name="index"),
        path("<str:name>/", views.PluginEditView.as_view(), name="edit"),
    ]
    return [path("plugins/", include((urls, "plugins_admin"), namespace="plugins_admin"))]


@hooks.register("register_settings_menu_item")
def register_plugins_menu_item():
    return PluginsMenuItem(_("Plugins"), reverse("plugins_admin:index"), icon_name="cogs", order=50)
