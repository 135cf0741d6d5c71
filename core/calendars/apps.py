from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarsConfig(AppConfig):
    name = "core.calendars"
    label = "calendars"
    verbose_name = _("Calendar sync")

    def ready(self) -> None:
        from core.scheduling.services.availability import register_busy_source

        from . import busy, receivers  # noqa: F401 - connects the booking signals

        register_busy_source(busy.external_busy)
