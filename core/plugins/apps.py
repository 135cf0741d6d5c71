from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PluginsConfig(AppConfig):
    name = "core.plugins"
    label = "plugins"
    verbose_name = _("Plugins")

    def ready(self) -> None:
        from . import signals  # noqa: F401
