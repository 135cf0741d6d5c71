"""REST endpoints of the notification centre: list, mark one read, mark all read."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import LimitOffsetPagination

from . import services
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "kind", "title", "body", "url", "created", "read_at"]
        read_only_fields = fields


class NotificationPagination(LimitOffsetPagination):
    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["unread_count"] = self.unread_count
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["unread_count"] = {"type": "integer", "example": 3}
        schema["required"] = [*schema.get("required", []), "unread_count"]
        return schema


class UnreadFilterSerializer(serializers.Serializer):
    unread = serializers.BooleanField(required=False, help_text="Only unread notifications when true.")


READ_RESULT = inline_serializer(
    "NotificationReadResult",
    fields={
        "id": serializers.IntegerField(),
        "read_at": serializers.DateTimeField(),
        "unread_count": serializers.IntegerField(),
    },
)
READ_ALL_RESULT = inline_serializer(
    "NotificationReadAllResult",
    fields={"marked": serializers.IntegerField(), "unread_count": serializers.IntegerField()},
)
ERROR = inline_serializer(
    "NotificationError", fields={"detail": serializers.CharField(), "code": serializers.CharField()}
)


class NotificationListView(APIView):
    """The signed-in user's notifications, newest first, with the unread count."""

    pagination_class = NotificationPagination

    @extend_schema(
        operation_id="notifications_list",
        summary="List my notifications",
        parameters=[
            OpenApiParameter("unread", bool, description="Only unread notifications when true."),
            OpenApiParameter(
                "limit", {"type": "integer", "minimum": 1, "maximum": 100}, description="Page size (default 20)."
            ),
            OpenApiParameter("offset", {"type": "integer", "minimum": 0}, description="How many to skip."),
        ],
        responses={200: NotificationSerializer(many=True)},
        tags=["notifications"],
    )
    def get(self, request: Request) -> Response:
        params = UnreadFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        queryset = Notification.objects.filter(user=request.user)
        if params.validated_data.get("unread"):
            queryset = queryset.unread()
        paginator = self.pagination_class()
        paginator.unread_count = services.unread_count(request.user)
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(NotificationSerializer(page, many=True).data)


class NotificationReadView(APIView):
    """Mark one of my notifications read (idempotent)."""

    @extend_schema(
        operation_id="notifications_read",
        summary="Mark a notification read",
        request=None,
        responses={200: READ_RESULT, 404: ERROR},
        tags=["notifications"],
    )
    def post(self, request: Request, pk: int) -> Response:
        try:
            notification = services.mark_read(request.user, pk)
        except Notification.DoesNotExist as exc:
            # Someone else's notification is "not found" too: ids reveal nothing.
            raise NotFound(gettext("No notification of yours has this id.")) from exc
        return Response(
            {
                "id": notification.id,
                "read_at": notification.read_at,
                "unread_count": services.unread_count(request.user),
            }
        )


class NotificationReadAllView(APIView):
    """Mark all my notifications read."""

    @extend_schema(
        operation_id="notifications_read_all",
        summary="Mark all my notifications read",
        request=None,
        responses={200: READ_ALL_RESULT},
        tags=["notifications"],
    )
    def post(self, request: Request) -> Response:
        marked = services.mark_all_read(request.user)
        return Response({"marked": marked, "unread_count": services.unread_count(request.user)})
