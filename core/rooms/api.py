"""REST endpoints of rooms: how to join, the chat kept with a session, attendance, the protocol."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.scheduling.models import Session

from . import protocol, services
from .models import ChatMessage


class RoomError(APIException):
    """A :class:`services.RoomRefused` as an API error: ``{"detail", "code"}`` with its status."""

    def __init__(self, refused: services.RoomRefused) -> None:
        super().__init__(detail=refused.message, code=refused.reason)
        self.status_code = refused.http_status


ERROR = inline_serializer("RoomError", fields={"detail": serializers.CharField(), "code": serializers.CharField()})


class ChatMessageSerializer(serializers.ModelSerializer):
    user_id = serializers.IntegerField(source="author_id", allow_null=True)
    display_name = serializers.CharField(source="author_name")

    class Meta:
        model = ChatMessage
        fields = ["id", "user_id", "display_name", "text", "sent_at"]
        read_only_fields = fields


class RoomSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    status = serializers.ChoiceField(choices=Session.STATUS_CHOICES)
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()


class RoomSerializer(serializers.Serializer):
    state = serializers.ChoiceField(
        choices=["ready", "too_early", "window_passed", "ended", "cancelled", "unavailable", "external"],
        help_text="'ready': connect to signalling_url now; 'too_early': not before opens_at.",
    )
    message = serializers.CharField(help_text="Why the room cannot be joined now, in a sentence (empty when ready).")
    role = serializers.ChoiceField(choices=["mentor", "learner"])
    session = RoomSessionSerializer()
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField(help_text="Last moment a scheduled session can be started.")
    backend = inline_serializer(
        "RoomBackend",
        fields={
            "identifier": serializers.CharField(),
            "name": serializers.CharField(),
            "max_participants": serializers.IntegerField(),
        },
        allow_null=True,
    )
    mode = serializers.ChoiceField(choices=["signalling", "external"], allow_null=True)
    signalling_url = serializers.CharField(
        allow_blank=True, help_text="WebSocket path (or absolute URL) speaking core/rooms/PROTOCOL.md."
    )
    external_url = serializers.CharField(allow_blank=True)
    client_script = serializers.CharField(allow_blank=True)
    page_config = serializers.DictField()
    ice_servers = serializers.ListField(child=serializers.DictField(), help_text="RTCConfiguration.iceServers.")


def _room_payload(page: services.RoomPage) -> dict:
    chosen = page.backend
    return {
        "state": page.state,
        "message": page.message,
        "role": page.role,
        "session": {
            "id": page.session.pk,
            "title": page.session.title,
            "status": page.session.status,
            "starts_at": page.session.starts_at,
            "ends_at": page.session.ends_at,
        },
        "opens_at": page.opens_at,
        "closes_at": page.closes_at,
        "backend": (
            {
                "identifier": chosen.backend.identifier,
                "name": chosen.backend.display_name,
                "max_participants": chosen.max_participants,
            }
            if chosen
            else None
        ),
        "mode": chosen.room.mode if chosen else None,
        "signalling_url": chosen.room.signalling_path if chosen else "",
        "external_url": chosen.room.external_url if chosen else "",
        "client_script": chosen.room.client_script if chosen else "",
        "page_config": dict(chosen.room.page_config) if chosen else {},
        "ice_servers": page.config.get("iceServers", []),
    }


class RoomView(APIView):
    """How the signed-in participant joins a session's room (for clients other than the web page)."""

    @extend_schema(
        operation_id="session_room",
        summary="How to join a session's room",
        description=(
            "For the session's mentor and its confirmed learners. When `state` is `ready`, open a WebSocket to "
            "`signalling_url` (same host, with the session cookie or from a page of this site) and speak the "
            "room protocol (`GET /api/rooms/protocol/`). TURN credentials in `ice_servers` are short-lived."
        ),
        responses={200: RoomSerializer, 403: ERROR, 404: ERROR},
        tags=["rooms"],
    )
    def get(self, request: Request, session_id: int) -> Response:
        try:
            page = services.room_page(request.user, session_id, host=request.get_host())
        except services.RoomRefused as refused:
            raise RoomError(refused) from None
        return Response(RoomSerializer(_room_payload(page)).data)


def _session_for_history(request: Request, session_id: int) -> Session:
    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        raise RoomError(
            services.RoomRefused(services.CLOSE_NOT_FOUND, gettext("There is no such session."), reason="not_found")
        )
    if not services.can_read_history(session, request.user):
        raise RoomError(
            services.RoomRefused(
                services.CLOSE_FORBIDDEN, gettext("Only the session's participants can read this."), reason="forbidden"
            )
        )
    return session


class ChatView(APIView):
    """The chat of a session, oldest first: kept with the session for its participants."""

    @extend_schema(
        operation_id="session_chat",
        summary="Read a session's chat",
        description="The mentor, the session's learners (confirmed, completed or absent) and staff can read it, "
        "during the session and afterwards. Messages are sent over the room's WebSocket (`chat`).",
        responses={200: ChatMessageSerializer(many=True), 403: ERROR, 404: ERROR},
        tags=["rooms"],
    )
    def get(self, request: Request, session_id: int) -> Response:
        session = _session_for_history(request, session_id)
        return Response(ChatMessageSerializer(services.chat_history(session), many=True).data)


ATTENDANCE = inline_serializer(
    "PersonAttendance",
    fields={
        "user_id": serializers.IntegerField(),
        "display_name": serializers.CharField(),
        "role": serializers.ChoiceField(choices=["mentor", "learner"]),
        "first_joined_at": serializers.DateTimeField(),
        "last_left_at": serializers.DateTimeField(allow_null=True),
        "seconds": serializers.IntegerField(help_text="Time in the room; overlapping stays count once."),
        "stays": serializers.IntegerField(help_text="How many times the person joined."),
        "present": serializers.BooleanField(),
    },
    many=True,
)


class AttendanceView(APIView):
    """Who was in the room and for how long: all people for the mentor and staff, oneself for a learner."""

    @extend_schema(
        operation_id="session_attendance",
        summary="Attendance of a session",
        responses={200: ATTENDANCE, 403: ERROR, 404: ERROR},
        tags=["rooms"],
    )
    def get(self, request: Request, session_id: int) -> Response:
        session = _session_for_history(request, session_id)
        people = services.attendance_summary(session)
        if not (request.user.is_staff or session.mentor_id == request.user.pk):
            people = [person for person in people if person.user_id == request.user.pk]
        return Response([person.as_dict() for person in people])


class ProtocolView(APIView):
    """The JSON Schemas of the messages a client may send on ``ws/session/<id>/``."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(
        operation_id="room_protocol",
        summary="Room signalling protocol (JSON Schemas)",
        description="Every client message by `type`, as JSON Schema 2020-12, with the size limit. "
        "Server messages and the flow are described in core/rooms/PROTOCOL.md.",
        responses={
            200: OpenApiResponse(
                response=inline_serializer(
                    "RoomProtocol",
                    fields={
                        "max_message_bytes": serializers.IntegerField(),
                        "client_messages": serializers.DictField(child=serializers.DictField()),
                        "direct_types": serializers.ListField(child=serializers.CharField()),
                    },
                )
            )
        },
        tags=["rooms"],
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "max_message_bytes": protocol.MAX_MESSAGE_BYTES,
                "client_messages": protocol.CLIENT_MESSAGES,
                "direct_types": sorted(protocol.DIRECT_TYPES),
            }
        )
