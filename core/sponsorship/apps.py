from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SponsorshipConfig(AppConfig):
    name = "core.sponsorship"
    label = "sponsorship"
    verbose_name = _("Sponsored placements")

    def ready(self) -> None:
        from . import signals  # noqa: F401
