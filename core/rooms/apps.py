from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoomsConfig(AppConfig):
    name = "core.rooms"
    label = "rooms"
    verbose_name = _("Rooms")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the scheduling signals)
