"""REST endpoints of messaging: conversations, their messages, read receipts, reports, blocks, preferences.

Message bodies are plain text in ``body`` and escaped, linkified HTML in
``body_html``: a client shows one or the other, never ``body`` as HTML.
Refusals are :class:`~core.messaging.errors.MessagingRefusal` turned into
JSON by the API's exception handler.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.http import FileResponse
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api.pagination import LimitOffsetPagination

from . import services
from .downloads import attachment_response
from .errors import MessagingRefusal
from .models import BODY_MAX, Conversation, MessagingPreference

User = get_user_model()

PAGING = [
    OpenApiParameter("limit", {"type": "integer", "minimum": 1, "maximum": 100}, description="Page size (default 20)."),
    OpenApiParameter("offset", {"type": "integer", "minimum": 0}, description="How many to skip."),
]


class MessagingWriteThrottle(ScopedRateThrottle):
    """Per user, on writes only (send, read receipts, reports, blocks); sending has its own limit too."""

    def allow_request(self, request: Request, view: APIView) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return super().allow_request(request, view)


class MessagingView(APIView):
    throttle_classes = [MessagingWriteThrottle]
    throttle_scope = "messaging"


# --- serializers (documentation and input) ----------------------------------------------------


class ParticipantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class MessageAttachmentSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField(help_text="Read from the file's content: image/png, image/jpeg, application/pdf...")
    size = serializers.IntegerField()
    url = serializers.CharField(help_text="Download address (served as an attachment, never inline).")


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation = serializers.IntegerField()
    sender = ParticipantSerializer()
    body = serializers.CharField(help_text="Plain text as written: never insert it as HTML.")
    body_html = serializers.CharField(help_text="The body escaped, with http(s) links made clickable.")
    attachment = MessageAttachmentSerializer(allow_null=True)
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True, help_text="When the recipient read it (read receipt).")


class ConversationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    learner = ParticipantSerializer()
    mentor = ParticipantSerializer()
    last_message_at = serializers.DateTimeField()
    last_message = serializers.CharField(help_text="Plain text of the latest message (its file name if only a file).")
    unread = serializers.IntegerField(help_text="Messages to me in it that I have not read.")
    blocked = serializers.BooleanField(help_text="Whether either of you blocked the other: no new messages.")


class SendSerializer(serializers.Serializer):
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        max_length=BODY_MAX,
        help_text="Plain text.",
    )
    attachment = serializers.FileField(required=False, help_text="At most 10 MB: an image, a PDF or plain text.")


class StartSerializer(SendSerializer):
    recipient = serializers.IntegerField(min_value=1, max_value=2**63 - 1, help_text="The person to write to.")


class ReportSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=services.REPORT_REASON_MAX)


class StrictBooleanField(serializers.BooleanField):
    """JSON ``true`` or ``false`` only: ``0``, ``"yes"`` or ``"on"`` are refused, as the schema says."""

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class PreferenceSerializer(serializers.Serializer):
    first_contact = serializers.ChoiceField(
        choices=MessagingPreference.FIRST_CONTACT_CHOICES,
        required=False,
        help_text="Mentors: who may write to you first.",
    )
    email_digest = StrictBooleanField(required=False, help_text="Email me about messages left unread.")


def person(user) -> dict:
    return {"id": user.pk, "name": user.display_name or ""}


def conversation_json(conversation: Conversation, user) -> dict:
    last = getattr(conversation, "last_body", None) or getattr(conversation, "last_attachment", None) or ""
    return {
        "id": conversation.pk,
        "learner": person(conversation.learner),
        "mentor": person(conversation.mentor),
        "last_message_at": conversation.last_message_at.isoformat(),
        "last_message": last,
        "unread": getattr(conversation, "unread", 0),
        "blocked": bool(getattr(conversation, "blocked", False)),
    }


def _paginate(view: APIView, request: Request, queryset, to_json) -> Response:
    paginator = view.pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response([to_json(item) for item in page])


# --- views ------------------------------------------------------------------------------------


class ConversationListView(MessagingView):
    """My conversations, most recent first; start one by sending its first message."""

    pagination_class = LimitOffsetPagination

    @extend_schema(
        operation_id="conversations_list",
        summary="List my conversations",
        parameters=PAGING,
        responses={200: ConversationSerializer(many=True)},
        tags=["messages"],
    )
    def get(self, request: Request) -> Response:
        user = request.user
        return _paginate(self, request, services.conversations_of(user), lambda c: conversation_json(c, user))

    @extend_schema(
        operation_id="conversations_start",
        summary="Write to a mentor (or, as a mentor, to a learner who booked you)",
        request=StartSerializer,
        responses={201: MessageSerializer},
        tags=["messages"],
    )
    def post(self, request: Request) -> Response:
        data = StartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        recipient = User.objects.filter(pk=data.validated_data["recipient"], is_active=True).first()
        if recipient is None:
            raise MessagingRefusal(gettext("Nobody has this id."), code="not_found", field="recipient")
        message = services.start(
            request.user, recipient, data.validated_data.get("body"), data.validated_data.get("attachment")
        )
        return Response(services.serialize(message), status=status.HTTP_201_CREATED)


class MessageListView(MessagingView):
    """The messages of one of my conversations, newest first."""

    pagination_class = LimitOffsetPagination

    @extend_schema(
        operation_id="conversation_messages",
        summary="List the messages of a conversation",
        parameters=PAGING,
        responses={200: MessageSerializer(many=True)},
        tags=["messages"],
    )
    def get(self, request: Request, pk: int) -> Response:
        conversation = services.conversation_for(request.user, pk)
        queryset = conversation.messages.select_related("sender").order_by("-created_at", "-id")
        return _paginate(self, request, queryset, services.serialize)

    @extend_schema(
        operation_id="conversation_send",
        summary="Send a message (text, an attachment or both)",
        request=SendSerializer,
        responses={201: MessageSerializer},
        tags=["messages"],
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = services.conversation_for(request.user, pk)
        data = SendSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message = services.send(
            request.user, conversation, data.validated_data.get("body"), data.validated_data.get("attachment")
        )
        return Response(services.serialize(message), status=status.HTTP_201_CREATED)


READ_RESULT = inline_serializer(
    "ConversationReadResult", fields={"marked": serializers.IntegerField(), "unread_count": serializers.IntegerField()}
)


class ConversationReadView(MessagingView):
    """Mark the messages I received in a conversation read (the sender sees the receipt)."""

    @extend_schema(
        operation_id="conversation_read",
        summary="Mark a conversation read",
        request=None,
        responses={200: READ_RESULT},
        tags=["messages"],
    )
    def post(self, request: Request, pk: int) -> Response:
        conversation = services.conversation_for(request.user, pk)
        marked = services.mark_read(request.user, conversation)
        return Response({"marked": marked, "unread_count": services.unread_count(request.user)})


class MessageReportView(MessagingView):
    """Report a message I received to the site's editors."""

    @extend_schema(
        operation_id="message_report",
        summary="Report a message",
        request=ReportSerializer,
        responses={201: inline_serializer("MessageReportResult", fields={"id": serializers.IntegerField()})},
        tags=["messages"],
    )
    def post(self, request: Request, pk: int) -> Response:
        message = services.message_for(request.user, pk)
        data = ReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        flagged = services.report(request.user, message, data.validated_data["reason"])
        return Response({"id": flagged.pk}, status=status.HTTP_201_CREATED)


class MessageAttachmentView(MessagingView):
    """Download a message's attachment (served as a file, never shown inline)."""

    @extend_schema(
        operation_id="message_attachment",
        summary="Download an attachment",
        responses={(200, "application/octet-stream"): bytes},
        tags=["messages"],
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        message = services.message_for(request.user, pk)
        if not message.attachment:
            raise MessagingRefusal(gettext("This message has no attachment."), code="not_found", status=404)
        return attachment_response(message)


BLOCK_RESULT = inline_serializer(
    "BlockResult", fields={"user": serializers.IntegerField(), "blocked": serializers.BooleanField()}
)


class BlockView(MessagingView):
    """Block or unblock a person: neither of you can then write to the other."""

    def _person(self, pk: int):
        found = User.objects.filter(pk=pk).first()
        if found is None:
            raise MessagingRefusal(gettext("Nobody has this id."), code="not_found", status=404)
        return found

    @extend_schema(
        operation_id="user_block",
        summary="Block a person",
        request=None,
        responses={200: BLOCK_RESULT},
        tags=["messages"],
    )
    def post(self, request: Request, pk: int) -> Response:
        services.block(request.user, self._person(pk))
        return Response({"user": pk, "blocked": True})

    @extend_schema(
        operation_id="user_unblock", summary="Unblock a person", responses={200: BLOCK_RESULT}, tags=["messages"]
    )
    def delete(self, request: Request, pk: int) -> Response:
        services.unblock(request.user, self._person(pk))
        return Response({"user": pk, "blocked": False})


class PreferenceView(MessagingView):
    """My messaging preferences."""

    @extend_schema(
        operation_id="messaging_preferences",
        summary="My messaging preferences",
        responses={200: PreferenceSerializer},
        tags=["messages"],
    )
    def get(self, request: Request) -> Response:
        prefs = services.preference(request.user)
        return Response({"first_contact": prefs.first_contact, "email_digest": prefs.email_digest})

    @extend_schema(
        operation_id="messaging_preferences_update",
        summary="Change my messaging preferences",
        request=PreferenceSerializer,
        responses={200: PreferenceSerializer},
        tags=["messages"],
    )
    def patch(self, request: Request) -> Response:
        data = PreferenceSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        prefs = services.set_preferences(request.user, **data.validated_data)
        return Response({"first_contact": prefs.first_contact, "email_digest": prefs.email_digest})
