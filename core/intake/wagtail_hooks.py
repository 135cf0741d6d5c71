"""Booking approval in the Wagtail admin: requests (pending first), answers and mentors' questions.

Everything here is read-only: a decision belongs to the mentor and runs through the services
(locks, the state machine, notifications), so editors see and search, never edit.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.site_summary import SummaryItem
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from core.scheduling.models import Booking
from core.scheduling.wagtail_hooks import READ_ONLY, LimitedPermissionPolicy

from .models import ApprovalRequest, BookingAnswer, BookingQuestion

for model in (ApprovalRequest, BookingAnswer, BookingQuestion):
    register_permission_policy(model, LimitedPermissionPolicy(model, READ_ONLY), exact_class=True)


class ApprovalRequestViewSet(ModelViewSet):
    model = ApprovalRequest
    icon = "tick-inverse"
    menu_label = _("Approval requests")
    name = "intake_approvals"
    url_prefix = "intake/approvals"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []
    list_display = ["booking", "learner", "mentor", "decide_by", "decision", "booking_status", "requested_at"]
    list_filter = ["decision", "decide_by", "requested_at"]
    search_fields = [
        "booking__learner__display_name",
        "booking__learner__email",
        "booking__session__title",
        "booking__session__mentor__display_name",
    ]
    search_backend_name = None
    list_export = ["booking_id", "decision", "decide_by", "decided_at", "requested_at", "reason"]
    inspect_view_fields = [
        "booking",
        "learner",
        "mentor",
        "booking_status",
        "requested_at",
        "decide_by",
        "decision",
        "decided_at",
        "decided_by",
        "reason",
        "answers_text",
    ]
    ordering = ["decision", "decide_by"]

    def get_queryset(self, request):
        return ApprovalRequest.objects.select_related("booking", "booking__learner", "booking__session__mentor")


class BookingAnswerViewSet(ModelViewSet):
    model = BookingAnswer
    icon = "help"
    menu_label = _("Booking answers")
    name = "intake_answers"
    url_prefix = "intake/answers"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []
    list_display = ["booking", "label", "value"]
    list_filter = ["kind"]
    search_fields = ["label", "value", "booking__learner__display_name", "booking__session__title"]
    search_backend_name = None
    ordering = ["-booking_id", "position"]


class BookingQuestionViewSet(ModelViewSet):
    model = BookingQuestion
    icon = "list-ul"
    menu_label = _("Mentors' questions")
    name = "intake_questions"
    url_prefix = "intake/questions"
    inspect_view_enabled = True
    copy_view_enabled = False
    exclude_form_fields: list[str] = []
    list_display = ["label", "mentor", "kind", "required", "max_length", "position"]
    list_filter = ["kind", "required"]
    search_fields = ["label", "mentor__display_name", "mentor__email"]
    search_backend_name = None
    ordering = ["mentor", "position"]


class IntakeViewSetGroup(ViewSetGroup):
    menu_label = _("Approvals")
    menu_icon = "tick-inverse"
    menu_order = 321
    items = (ApprovalRequestViewSet, BookingAnswerViewSet, BookingQuestionViewSet)


@hooks.register("register_admin_viewset")
def register_intake_viewsets():
    return IntakeViewSetGroup()


class PendingApprovalsSummary(SummaryItem):
    """The admin home's count of bookings waiting for a mentor's decision."""

    order = 450
    template_name = "intake/admin/summary.html"

    def get_context_data(self, parent_context):
        context = super().get_context_data(parent_context)
        context["count"] = Booking.objects.filter(status=Booking.PENDING_APPROVAL).count()
        return context

    def is_shown(self):
        return self.request.user.has_perm("intake.view_approvalrequest")


@hooks.register("construct_homepage_summary_items")
def add_pending_approvals(request, items):
    items.append(PendingApprovalsSummary(request))
