"""``{% load messaging %}``: a message body as safe HTML, and the header's messages link with its badge."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from .. import services
from ..rendering import body_html

register = template.Library()


@register.filter
def message_html(body: str) -> SafeString:
    """Escaped, with http(s) links clickable and line breaks kept."""
    return body_html(body or "")


@register.inclusion_tag("messaging/header_link.html", takes_context=True)
def messages_link(context) -> dict:
    """The "Messages" link with the unread badge that notifications.js keeps live."""
    user = context.get("user")
    signed_in = user is not None and user.is_authenticated
    return {"signed_in": signed_in, "unread": services.kept_unread_count(user) if signed_in else 0}
