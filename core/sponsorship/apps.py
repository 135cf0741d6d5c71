from django.apps import AppConfig


class SponsorshipConfig(AppConfig):
    name = "core.sponsorship"
    label = "sponsorship"
    verbose_name = "Sponsored placements"

    def ready(self) -> None:
        from . import signals  # noqa: F401
