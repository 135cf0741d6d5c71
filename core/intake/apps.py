from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntakeConfig(AppConfig):
    name = "core.intake"
    label = "intake"
    verbose_name = _("Booking questions and approval")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (notifications both ways)
