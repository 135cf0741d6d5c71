"""``{% theme_static "css/site.css" %}``: a static file of the active theme, else the default."""

from django import template
from django.contrib.staticfiles import finders
from django.templatetags.static import static

from ..registry import DEFAULT_THEME, active_theme

register = template.Library()


@register.simple_tag
def theme_static(path: str) -> str:
    name = active_theme.get()
    candidate = f"themes/{name}/{path}"
    if name != DEFAULT_THEME and finders.find(candidate) is None:
        candidate = f"themes/{DEFAULT_THEME}/{path}"
    return static(candidate)
