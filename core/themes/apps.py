from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ThemesConfig(AppConfig):
    name = "core.themes"
    label = "themes"
    verbose_name = _("Themes")

    def ready(self) -> None:
        from django.apps import apps
        from django.db.models.signals import post_delete, post_save
        from wagtail.contrib.settings.models import BaseSiteSetting

        from .middleware import forget_sites

        for model in [apps.get_model("wagtailcore.Site"), *apps.get_models()]:
            if model._meta.label == "wagtailcore.Site" or issubclass(model, BaseSiteSetting):
                for signal in (post_save, post_delete):
                    signal.connect(forget_sites, sender=model, dispatch_uid=f"themes-sites-{model._meta.label}")
