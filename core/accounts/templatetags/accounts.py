"""``{% load accounts %}``: the people-related parts of the base template."""

from __future__ import annotations

from django import template
from wagtail.admin.templatetags.wagtailuserbar import wagtailuserbar

from core.accounts.admin_access import may_open_admin

register = template.Library()


@register.simple_tag(takes_context=True)
def userbar(context, position: str = "bottom-right") -> str:
    """Wagtail's userbar for those who may edit, asked without a query (:mod:`core.accounts.admin_access`)."""
    request = context.get("request")
    if request is None or not may_open_admin(getattr(request, "user", None)):
        return ""
    return wagtailuserbar(context, position)
