"""Rooms in the Wagtail admin: attendance (read-only) and chat (read, delete abusive lines).

Attendance is a record written by the server only; nobody edits it. Chat lines
can be removed by editors who may delete them (moderation), never rewritten.
The site's video backend is chosen under *Settings > Rooms*.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from .models import Attendance, ChatMessage


class RecordPermissionPolicy(ModelPermissionPolicy):
    """Django model permissions, minus creating and changing: the server writes these rows."""

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


register_permission_policy(Attendance, RecordPermissionPolicy(Attendance), exact_class=True)
register_permission_policy(ChatMessage, RecordPermissionPolicy(ChatMessage), exact_class=True)


class AttendanceViewSet(ModelViewSet):
    model = Attendance
    icon = "user"
    menu_label = _("Attendance")
    name = "attendance"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []  # never shown: nobody may add or change these rows
    list_display = ["user", "session", "role", "joined_at", "left_at", "leave_reason"]
    list_filter = ["role", "leave_reason", "joined_at"]
    search_fields = ["session__title", "user__email", "user__display_name"]
    list_export = ["session_id", "user_id", "role", "peer_id", "joined_at", "left_at", "leave_reason"]
    inspect_view_fields = [
        "session",
        "user",
        "role",
        "peer_id",
        "joined_at",
        "left_at",
        "leave_reason",
        "last_seen",
        "audio",
        "video",
        "screen",
    ]


class ChatMessageViewSet(ModelViewSet):
    model = ChatMessage
    icon = "comment"
    menu_label = _("Room chat")
    name = "room_chat"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []  # never shown: nobody may add or change these rows
    list_display = ["author_name", "text", "session", "sent_at"]
    list_filter = ["sent_at"]
    search_fields = ["text", "author_name", "session__title"]
    inspect_view_fields = ["session", "author", "author_name", "text", "sent_at"]


class RoomsViewSetGroup(ViewSetGroup):
    menu_label = _("Rooms")
    menu_icon = "media"
    menu_order = 330
    items = (AttendanceViewSet, ChatMessageViewSet)


@hooks.register("register_admin_viewset")
def register_rooms_viewsets():
    return RoomsViewSetGroup()
