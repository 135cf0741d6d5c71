from django.apps import AppConfig


class CatalogueConfig(AppConfig):
    name = "core.catalogue"
    label = "catalogue"
    verbose_name = "Catalogue"

    def ready(self) -> None:
        from . import signals  # noqa: F401
