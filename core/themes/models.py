from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting

from .registry import DEFAULT_THEME, theme_choices

#: The brand text a new site starts with: shown in the reader's language until an editor writes their own
#: (a site setting has one value for every language, unlike a page, which editors translate).
DEFAULT_TAGLINE = gettext_noop("Learn anything from people who know it.")
DEFAULT_FOOTER_TEXT = gettext_noop("PeerLearn is open-source software.")


@register_setting(icon="image")
class ThemeSettings(BaseSiteSetting):
    """Which installed theme a site uses, and its brand text."""

    theme = models.CharField(
        max_length=60,
        default=DEFAULT_THEME,
        choices=theme_choices,
        help_text=_("A folder under themes/ of the installation."),
    )
    tagline = models.CharField(max_length=160, blank=True, default=DEFAULT_TAGLINE)
    footer_text = models.CharField(max_length=255, blank=True, default=DEFAULT_FOOTER_TEXT)

    panels = [FieldPanel("theme"), FieldPanel("tagline"), FieldPanel("footer_text")]

    class Meta:
        verbose_name = _("Theme")

    @property
    def shown_tagline(self) -> str:
        return gettext(self.tagline) if self.tagline == DEFAULT_TAGLINE else self.tagline

    @property
    def shown_footer_text(self) -> str:
        return gettext(self.footer_text) if self.footer_text == DEFAULT_FOOTER_TEXT else self.footer_text
