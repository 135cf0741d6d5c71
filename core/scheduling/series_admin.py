"""Recurring series in the Wagtail admin (*Scheduling > Series*): listed, filtered, inspected, never edited.

A series changes only through :mod:`services.series` (all or nothing, under locks);
its sessions are ordinary bookings, inspected under *Scheduling > Bookings*.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from .models import BookingSeries


class SeriesViewSet(ModelViewSet):
    model = BookingSeries
    icon = "repeat"
    menu_label = _("Series")
    name = "scheduling_series"
    url_prefix = "scheduling/series"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []
    list_display = ["id", "learner", "mentor", "cadence", "count", "first_date", "local_time", "payment_mode"]
    list_filter = ["cadence", "payment_mode", "created_at"]
    search_fields = ["learner__display_name", "learner__email", "mentor__display_name", "mentor__email"]
    search_backend_name = None
    list_export = ["id", "learner_id", "mentor_id", "cadence", "count", "first_date", "local_time", "time_zone"]
    inspect_view_fields = [
        "learner",
        "mentor",
        "cadence",
        "count",
        "first_date",
        "local_time",
        "time_zone",
        "duration_minutes",
        "payment_mode",
        "price_minor",
        "currency",
        "created_at",
        "sessions_summary",
    ]
    ordering = ["-created_at"]


def register_policy(policy_class) -> None:
    register_permission_policy(
        BookingSeries, policy_class(BookingSeries, frozenset({"add", "change", "copy", "delete"})), exact_class=True
    )
