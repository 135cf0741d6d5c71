from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "core.demo"
    label = "demo"
    verbose_name = "Demo data"
