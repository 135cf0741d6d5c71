from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RecordingsConfig(AppConfig):
    name = "core.recordings"
    label = "recordings"
    verbose_name = _("Recordings")

    def ready(self) -> None:
        from . import receivers  # noqa: F401  (stored files go when their rows go)
