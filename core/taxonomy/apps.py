from django.apps import AppConfig


class TaxonomyConfig(AppConfig):
    name = "core.taxonomy"
    label = "taxonomy"
    verbose_name = "Skills"
