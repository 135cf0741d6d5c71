"""Messaging in the Wagtail admin: reports to review and the conversations they came from.

Editors see every report (resolve it by ticking "resolved") and, under
"Reported conversations", only conversations with at least one report, with
their transcript. Nobody adds or edits messages here: only participants write.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.permissions import register_permission_policy

from core.notifications.wagtail_hooks import ServerWrittenPolicy

from .models import Conversation, MessageReport


class ReportPolicy(ServerWrittenPolicy):
    """Reports come from participants; editors may only mark them resolved (or delete them)."""

    read_only_actions = frozenset({"add", "copy"})


register_permission_policy(Conversation, ServerWrittenPolicy(Conversation), exact_class=True)
register_permission_policy(MessageReport, ReportPolicy(MessageReport), exact_class=True)


class MessageReportViewSet(ModelViewSet):
    model = MessageReport
    icon = "warning"
    menu_label = _("Message reports")
    name = "message_reports"
    add_view_enabled = False
    copy_view_enabled = False
    inspect_view_enabled = True
    form_fields = ["resolved"]
    list_display = ["message", "reporter", "reason", "created_at", "resolved"]
    list_filter = ["resolved", "created_at"]
    search_fields = ["reason", "message__body", "reporter__email", "reporter__display_name"]
    inspect_view_fields = ["message", "reporter", "reason", "created_at", "resolved", "conversation"]


class ReportedConversationViewSet(ModelViewSet):
    model = Conversation
    icon = "comment"
    menu_label = _("Reported conversations")
    name = "reported_conversations"
    add_view_enabled = False
    copy_view_enabled = False
    inspect_view_enabled = True
    exclude_form_fields: list[str] = []
    list_display = ["__str__", "learner", "mentor", "last_message_at"]
    list_filter = ["last_message_at"]
    search_fields = ["learner__email", "learner__display_name", "mentor__email", "mentor__display_name"]
    inspect_view_fields = ["learner", "mentor", "created_at", "last_message_at", "transcript"]

    def get_queryset(self, request):
        reported = MessageReport.objects.filter(message__conversation=OuterRef("pk"))
        return Conversation.objects.filter(Exists(reported)).select_related("learner", "mentor")


class MessagingViewSetGroup(ViewSetGroup):
    menu_label = _("Messages")
    menu_icon = "comment"
    menu_order = 345
    items = (MessageReportViewSet, ReportedConversationViewSet)


@hooks.register("register_admin_viewset")
def register_messaging_viewsets():
    return MessagingViewSetGroup()
