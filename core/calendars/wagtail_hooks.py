"""Connected calendars in the Wagtail admin: who connected what, when it was last read, its last error.

Editors see and may remove a connection (a mentor's broken server, a
departed mentor) but never edit it: credentials belong to the mentor and
are never shown (the secrets field is not listed anywhere).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from core.scheduling.wagtail_hooks import LimitedPermissionPolicy

from .models import CalendarConnection

register_permission_policy(
    CalendarConnection,
    LimitedPermissionPolicy(CalendarConnection, frozenset({"add", "change", "copy"})),
    exact_class=True,
)


class CalendarConnectionViewSet(ModelViewSet):
    model = CalendarConnection
    icon = "calendar-alt"
    menu_label = _("Connected calendars")
    menu_order = 321
    add_to_admin_menu = True
    name = "calendar_connections"
    url_prefix = "calendars/connections"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []  # never edited here: the mentor owns the credentials
    list_display = [
        "mentor",
        "provider",
        "calendar_name",
        "last_synced_at",
        "busy_failing",
        "last_error_at",
        "last_error",
    ]
    list_filter = ["provider", "busy_failing", "last_synced_at"]
    search_fields = ["mentor__display_name", "mentor__email", "calendar_name", "last_error"]
    search_backend_name = None
    inspect_view_fields = [
        "mentor",
        "plugin",
        "provider",
        "calendar_name",
        "calendar_id",
        "last_synced_at",
        "busy_failing",
        "busy_from",
        "busy_until",
        "last_error",
        "last_error_code",
        "last_error_at",
        "created_at",
        "updated_at",
    ]
    list_export = ["id", "mentor_id", "provider", "calendar_name", "last_synced_at", "busy_failing", "last_error"]
    ordering = ["-updated_at"]


@hooks.register("register_admin_viewset")
def register_calendar_viewset():
    return CalendarConnectionViewSet()
