"""Recordings in the Wagtail admin: editors list, inspect and delete them, and read the consent log.

Rows are written by the server only (the room, the worker): nobody adds or
edits them here. Deleting a recording deletes its stored files
(``receivers.py``). Retention and upload limits are under *Settings > Recordings*.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from core.rooms.wagtail_hooks import RecordPermissionPolicy

from .models import ConsentDecision, Recording

register_permission_policy(Recording, RecordPermissionPolicy(Recording), exact_class=True)
register_permission_policy(ConsentDecision, RecordPermissionPolicy(ConsentDecision), exact_class=True)


class RecordingViewSet(ModelViewSet):
    model = Recording
    icon = "media"
    menu_label = _("Recordings")
    name = "room_recordings"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []  # never shown: nobody may add or change these rows
    list_display = ["session", "started_by_name", "state", "location", "started_at", "stopped_at", "expires_at"]
    list_filter = ["state", "location", "started_at"]
    search_fields = ["session__title", "started_by_name"]
    inspect_view_fields = [
        "session",
        "started_by_name",
        "plugin",
        "backend",
        "location",
        "state",
        "started_at",
        "stopped_at",
        "expires_at",
        "error",
    ]


class ConsentDecisionViewSet(ModelViewSet):
    model = ConsentDecision
    icon = "tick-inverse"
    menu_label = _("Recording consent")
    name = "recording_consent"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []
    list_display = ["display_name", "decision", "role", "session", "decided_at"]
    list_filter = ["decision", "role", "decided_at"]
    search_fields = ["display_name", "session__title"]
    list_export = ["session_id", "user_id", "display_name", "role", "decision", "recording_id", "decided_at"]
    inspect_view_fields = ["session", "user", "display_name", "role", "decision", "recording", "decided_at"]


class RecordingsViewSetGroup(ViewSetGroup):
    menu_label = _("Recordings")
    menu_icon = "media"
    menu_order = 335
    items = (RecordingViewSet, ConsentDecisionViewSet)


@hooks.register("register_admin_viewset")
def register_recordings_viewsets():
    return RecordingsViewSetGroup()
