from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "core.messaging"
    label = "messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from . import receivers  # noqa: F401 - connects the kept unread counts' receivers
