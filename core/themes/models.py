from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .registry import DEFAULT_THEME, theme_choices


@register_setting(icon="image")
class ThemeSettings(BaseSiteSetting):
    """Which installed theme a site uses, and its brand text."""

    theme = models.CharField(
        max_length=60,
        default=DEFAULT_THEME,
        choices=theme_choices,
        help_text="A folder under themes/ of the installation.",
    )
    tagline = models.CharField(max_length=160, blank=True, default="Learn anything from people who know it.")
    footer_text = models.CharField(max_length=255, blank=True, default="PeerLearn is open-source software.")

    panels = [FieldPanel("theme"), FieldPanel("tagline"), FieldPanel("footer_text")]

    class Meta:
        verbose_name = "Theme"
