from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "core.scheduling"
    label = "scheduling"
    verbose_name = "Scheduling"
