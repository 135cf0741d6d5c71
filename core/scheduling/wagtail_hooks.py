"""Scheduling in the Wagtail admin: sessions, bookings and the waitlist; the booking policy
is a site setting (*Settings > Booking policy*, registered on the model).

Bookings and waitlist places change only through the scheduling services (the state
machine and its locks), so the admin lists, filters, searches and inspects them but
never edits them. Sessions are created by mentors (site or API) where clashes are
checked; editors may correct a session's title, description and skills.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permission_policies import ModelPermissionPolicy
from wagtail.permissions import register_permission_policy

from .models import Booking, Session, WaitlistEntry
from .series_admin import SeriesViewSet, register_policy


class LimitedPermissionPolicy(ModelPermissionPolicy):
    """Django model permissions minus the actions that would bypass the services."""

    def __init__(self, model, refused: frozenset[str]) -> None:
        super().__init__(model)
        self.refused = refused

    def user_has_permission(self, user, action):
        if action in self.refused:
            return False
        return super().user_has_permission(user, action)

    def user_has_any_permission(self, user, actions):
        return any(self.user_has_permission(user, action) for action in actions)

    def users_with_any_permission(self, actions):
        allowed = [action for action in actions if action not in self.refused]
        return super().users_with_any_permission(allowed) if allowed else self.model._meta.model.objects.none()


READ_ONLY = frozenset({"add", "change", "copy", "delete"})
register_permission_policy(
    Session, LimitedPermissionPolicy(Session, frozenset({"add", "copy", "delete"})), exact_class=True
)
register_permission_policy(Booking, LimitedPermissionPolicy(Booking, READ_ONLY), exact_class=True)
register_permission_policy(WaitlistEntry, LimitedPermissionPolicy(WaitlistEntry, READ_ONLY), exact_class=True)
register_policy(LimitedPermissionPolicy)


class SessionViewSet(ModelViewSet):
    model = Session
    icon = "date"
    menu_label = _("Sessions")
    name = "scheduling_sessions"
    url_prefix = "scheduling/sessions"
    inspect_view_enabled = True
    copy_view_enabled = False
    form_fields = ["title", "description", "skills"]
    list_display = ["title", "mentor", "starts_at", "capacity", "price_minor", "currency", "status", "origin"]
    list_filter = ["status", "origin", "starts_at"]
    search_fields = ["title", "description", "mentor__display_name", "mentor__email"]
    search_backend_name = None
    list_export = ["id", "title", "mentor_id", "starts_at", "ends_at", "capacity", "price_minor", "currency", "status"]
    inspect_view_fields = [
        "title",
        "mentor",
        "description",
        "starts_at",
        "ends_at",
        "capacity",
        "price_minor",
        "currency",
        "status",
        "origin",
        "started_at",
        "ended_at",
        "cancelled_at",
        "cancel_reason",
        "created_at",
    ]
    ordering = ["-starts_at"]


class BookingViewSet(ModelViewSet):
    model = Booking
    icon = "tick-inverse"
    menu_label = _("Bookings")
    name = "scheduling_bookings"
    url_prefix = "scheduling/bookings"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []  # never edited here: the state machine owns bookings
    list_display = ["id", "learner", "session", "starts_at", "status", "price_minor", "currency", "created_at"]
    list_filter = ["status", "starts_at", "created_at"]
    search_fields = ["learner__display_name", "learner__email", "session__title", "session__mentor__display_name"]
    search_backend_name = None
    list_export = [
        "id",
        "session_id",
        "learner_id",
        "status",
        "starts_at",
        "price_minor",
        "currency",
        "refund_percent",
        "refund_minor",
        "created_at",
    ]
    inspect_view_fields = [
        "session",
        "learner",
        "status",
        "starts_at",
        "ends_at",
        "hold_expires_at",
        "price_minor",
        "currency",
        "reschedule_count",
        "refund_percent",
        "refund_minor",
        "cancelled_by",
        "cancel_reason",
        "created_at",
        "confirmed_at",
        "closed_at",
    ]
    ordering = ["-created_at"]


class WaitlistViewSet(ModelViewSet):
    model = WaitlistEntry
    icon = "list-ol"
    menu_label = _("Waitlist")
    name = "scheduling_waitlist"
    url_prefix = "scheduling/waitlist"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []
    list_display = ["learner", "session", "status", "created_at", "offer_expires_at"]
    list_filter = ["status", "created_at"]
    search_fields = ["learner__display_name", "learner__email", "session__title"]
    search_backend_name = None
    ordering = ["-created_at"]


class SchedulingViewSetGroup(ViewSetGroup):
    menu_label = _("Scheduling")
    menu_icon = "calendar-alt"
    menu_order = 320
    items = (SessionViewSet, BookingViewSet, WaitlistViewSet, SeriesViewSet)


@hooks.register("register_admin_viewset")
def register_scheduling_viewsets():
    return SchedulingViewSetGroup()
