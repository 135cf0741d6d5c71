"""``{% load notifications %}``: the header bell and a recent-notifications panel.

``{% notification_bell %}`` renders the bell link with the unread badge and
loads ``notifications.js``, which keeps the badge live over
``ws/notifications/`` and shows a toast for each new notification. It renders
nothing for visitors. ``{% notification_live %}`` is the live client alone (the
dashboards and the notification list use it, so they are live even in a
theme whose header has no bell).
"""

from __future__ import annotations

from django import template

from .. import services

register = template.Library()


def _user(context):
    user = context.get("user")
    if user is None and context.get("request") is not None:
        user = getattr(context["request"], "user", None)
    return user if user is not None and user.is_authenticated else None


def _first_live_client(context) -> bool:
    """True the first time a page asks for the live client: one socket, one toast region per page."""
    request = context.get("request")
    if request is None:
        return True
    if getattr(request, "_notifications_live", False):
        return False
    request._notifications_live = True
    return True


def _unread(context, user) -> int:
    """The unread count, counted once per page: the bell and the recent panel both show it."""
    if user is None:
        return 0
    request = context.get("request")
    if request is None:
        return services.kept_unread_count(user)
    if getattr(request, "_notifications_unread", None) is None:
        request._notifications_unread = services.kept_unread_count(user)
    return request._notifications_unread


@register.inclusion_tag("notifications/bell.html", takes_context=True)
def notification_bell(context) -> dict:
    user = _user(context)
    return {
        "signed_in": user is not None,
        "unread": _unread(context, user),
        "with_live": user is not None and _first_live_client(context),
    }


@register.inclusion_tag("notifications/live.html", takes_context=True)
def notification_live(context) -> dict:
    """Only the live client (socket, toasts), for a page that wants it without the bell.

    Renders nothing when ``{% notification_bell %}`` already brought it to the page.
    """
    return {"signed_in": _user(context) is not None and _first_live_client(context)}


@register.inclusion_tag("notifications/recent.html", takes_context=True)
def recent_notifications(context, limit: int = 5) -> dict:
    """The user's latest notifications, kept live by notifications.js."""
    user = _user(context)
    items = services.kept_recent(user, max(1, min(int(limit), 50))) if user else []
    return {
        "signed_in": user is not None,
        "items": items,
        "limit": limit,
        "unread": _unread(context, user),
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
