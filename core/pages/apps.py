from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PagesConfig(AppConfig):
    name = "core.pages"
    label = "pages"
    verbose_name = _("Site pages")

    def ready(self) -> None:
        from . import receivers
        from .reference_index import leave_out_records

        receivers.connect()
        leave_out_records()
