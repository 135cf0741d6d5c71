from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "core.pages"
    label = "pages"
    verbose_name = "Site pages"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
