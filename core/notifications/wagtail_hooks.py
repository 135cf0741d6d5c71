"""The notification centre in the Wagtail admin: what was sent to whom, read-only.

Notifications, reminder claims and calendar feeds are written by the server.
Editors can look them up (support: "did I get the reminder?"), export them,
delete a notification, and revoke a leaked calendar feed by deleting it; the
feed's token itself is never shown.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from .models import CalendarFeed, Notification, ReminderSent


class ServerWrittenPolicy(ModelPermissionPolicy):
    """Django model permissions, minus adding and changing: only the server writes these rows."""

    read_only_actions = frozenset({"add", "change", "copy"})

    def user_has_permission(self, user, action):
        if action in self.read_only_actions:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        allowed = [action for action in actions if action not in self.read_only_actions]
        return super().users_with_any_permission(allowed) if allowed else self.model._meta.model.objects.none()


for _model in (Notification, ReminderSent, CalendarFeed):
    register_permission_policy(_model, ServerWrittenPolicy(_model), exact_class=True)


class NotificationViewSet(ModelViewSet):
    model = Notification
    icon = "mail"
    menu_label = _("Sent notifications")
    name = "sent_notifications"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []
    list_display = ["title", "user", "kind", "created", "read_at"]
    list_filter = ["kind", "created", "read_at"]
    search_fields = ["title", "body", "kind", "user__email", "user__display_name"]
    list_export = ["id", "user_id", "kind", "title", "body", "url", "created", "read_at"]
    inspect_view_fields = ["user", "kind", "title", "body", "url", "created", "read_at"]


class ReminderSentViewSet(ModelViewSet):
    model = ReminderSent
    icon = "time"
    menu_label = _("Reminders sent")
    name = "reminders_sent"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []
    list_display = ["session", "user", "kind", "session_start", "sent_at"]
    list_filter = ["kind", "sent_at"]
    search_fields = ["session__title", "user__email", "user__display_name"]
    list_export = ["session_id", "user_id", "booking_id", "kind", "session_start", "sent_at"]
    inspect_view_fields = ["session", "user", "booking", "kind", "session_start", "sent_at"]


class CalendarFeedViewSet(ModelViewSet):
    model = CalendarFeed
    icon = "date"
    menu_label = _("Calendar feeds")
    name = "calendar_feeds"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []
    list_display = ["user", "created", "last_fetched"]
    list_filter = ["created", "last_fetched"]
    search_fields = ["user__email", "user__display_name"]
    inspect_view_fields = ["user", "created", "last_fetched"]  # never the token: it is the credential


class NotificationsViewSetGroup(ViewSetGroup):
    menu_label = _("Notifications")
    menu_icon = "mail"
    menu_order = 340
    items = (NotificationViewSet, ReminderSentViewSet, CalendarFeedViewSet)


@hooks.register("register_admin_viewset")
def register_notification_viewsets():
    return NotificationsViewSetGroup()
