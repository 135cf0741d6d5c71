from django.apps import AppConfig


class ThemesConfig(AppConfig):
    name = "core.themes"
    label = "themes"
    verbose_name = "Themes"
