from django.apps import AppConfig


class RoomsConfig(AppConfig):
    name = "core.rooms"
    label = "rooms"
    verbose_name = "Rooms"

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (connects the scheduling signals)
