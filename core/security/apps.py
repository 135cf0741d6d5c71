from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "core.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        from .spreadsheet import guard_wagtail_csv_exports

        guard_wagtail_csv_exports()
