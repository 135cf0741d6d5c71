from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "core.security"
    label = "security"
    verbose_name = _("Security")

    def ready(self) -> None:
        from .spreadsheet import guard_wagtail_csv_exports
        from .wagtail_admin import nonce_wagtail_chooser_scripts

        guard_wagtail_csv_exports()
        nonce_wagtail_chooser_scripts()
