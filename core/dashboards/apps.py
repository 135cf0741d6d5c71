from django.apps import AppConfig


class DashboardsConfig(AppConfig):
    name = "core.dashboards"
    label = "dashboards"
    verbose_name = "Dashboards"
