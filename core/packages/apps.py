from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PackagesConfig(AppConfig):
    name = "core.packages"
    label = "packages"
    verbose_name = _("Session packages and credits")

    def ready(self) -> None:
        from . import signals  # noqa: F401
