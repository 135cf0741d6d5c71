from django.apps import AppConfig


class PluginsConfig(AppConfig):
    name = "core.plugins"
    label = "plugins"
    verbose_name = "Plugins"

    def ready(self) -> None:
        from . import signals  # noqa: F401
