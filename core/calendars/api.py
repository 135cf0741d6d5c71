"""REST endpoints of the signed-in mentor's calendar connection, under /api/calendar/."""

from __future__ import annotations

from dataclasses import asdict

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.schema import ErrorSerializer

from . import busy, providers, services
from .models import CalendarConnection
from .serializers import (
    CalendarInfoSerializer,
    ChooseInputSerializer,
    ConnectInputSerializer,
    ConnectionSerializer,
    RefreshResultSerializer,
    TestResultSerializer,
)


def _mentor_only(request: Request) -> None:
    if not request.user.is_mentor:
        raise PermissionDenied(_("Only mentors connect a calendar."), code="not_a_mentor")


def _connection(request: Request) -> CalendarConnection:
    connection = CalendarConnection.objects.filter(mentor=request.user).first()
    if connection is None:
        raise NotFound(_("No calendar is connected."), code="calendar_not_connected")
    return connection


def _providers() -> list[dict]:
    return [
        {
            "identifier": identifier,
            "display_name": provider.display_name,
            "fields": [
                {
                    "name": f.name,
                    "label": _(str(f.label)),
                    "kind": f.kind,
                    "required": f.required,
                    "secret": f.is_secret,
                }
                for f in provider.connection_fields
            ],
        }
        for identifier, (_plugin, provider) in providers.available().items()
    ]


def connection_data(connection: CalendarConnection | None) -> dict:
    if connection is None:
        return {
            "connected": False,
            "provider": "",
            "settings": {},
            "secrets_stored": [],
            "calendar_id": "",
            "calendar_name": "",
            "last_synced_at": None,
            "last_error": "",
            "last_error_code": "",
            "last_error_at": None,
            "stale": False,
            "busy_intervals": 0,
            "providers": _providers(),
        }
    return {
        "connected": True,
        "provider": connection.provider,
        "settings": connection.settings,
        "secrets_stored": sorted(name for name, value in connection.secrets.items() if value),
        "calendar_id": connection.calendar_id,
        "calendar_name": connection.calendar_name,
        "last_synced_at": connection.last_synced_at,
        "last_error": connection.last_error,
        "last_error_code": connection.last_error_code,
        "last_error_at": connection.last_error_at,
        "stale": busy.is_stale(connection) if connection.calendar_id else False,
        "busy_intervals": len(connection.busy or []),
        "providers": _providers(),
    }


class CalendarConnectionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Your calendar connection (mentors)", responses=ConnectionSerializer)
    def get(self, request: Request) -> Response:
        _mentor_only(request)
        connection = CalendarConnection.objects.filter(mentor=request.user).first()
        return Response(ConnectionSerializer(connection_data(connection)).data)

    @extend_schema(
        summary="Connect your calendar, or change its credentials",
        request=ConnectInputSerializer,
        responses=ConnectionSerializer,
        description="The values are tried first (the calendars are listed); nothing is saved when they fail: "
        "400 with `code` `calendar_auth` (wrong username or password), `calendar_unreachable`, "
        "`calendar_invalid`, `calendar_required`, `calendar_unknown_provider` or `calendar_unknown_calendar`.",
    )
    def put(self, request: Request) -> Response:
        _mentor_only(request)
        form = ConnectInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        connection = services.connect(request.user, data["provider"], data["values"], data.get("calendar_id", ""))
        return Response(ConnectionSerializer(connection_data(connection)).data)

    @extend_schema(summary="Disconnect your calendar (events already written stay in it)", responses={204: None})
    def delete(self, request: Request) -> Response:
        _mentor_only(request)
        services.disconnect(request.user)
        return Response(status=204)


class CalendarTestView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Test calendar credentials without saving them",
        request=ConnectInputSerializer,
        responses=TestResultSerializer,
        description="Lists the account's calendars; 400 with a `code` and a `detail` the mentor can act on.",
    )
    def post(self, request: Request) -> Response:
        _mentor_only(request)
        form = ConnectInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        result = services.test_connection(request.user, form.validated_data["provider"], form.validated_data["values"])
        return Response(TestResultSerializer({"calendars": [asdict(c) for c in result.calendars]}).data)


NOT_CONNECTED = "404 `calendar_not_connected` while you have no calendar connected."


class CalendarListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="The calendars of your connected account",
        responses={200: CalendarInfoSerializer(many=True), 404: ErrorSerializer},
        description=NOT_CONNECTED,
    )
    def get(self, request: Request) -> Response:
        _mentor_only(request)
        calendars = services.calendars_of(_connection(request))
        return Response(CalendarInfoSerializer([asdict(c) for c in calendars], many=True).data)

    @extend_schema(
        summary="Use another calendar of the account",
        request=ChooseInputSerializer,
        responses={200: ConnectionSerializer, 404: ErrorSerializer},
        description=NOT_CONNECTED,
    )
    def post(self, request: Request) -> Response:
        _mentor_only(request)
        form = ChooseInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        connection = services.choose_calendar(_connection(request), form.validated_data["calendar_id"])
        return Response(ConnectionSerializer(connection_data(connection)).data)


class CalendarRefreshView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Read your calendar's busy times now",
        request=None,
        responses={200: RefreshResultSerializer, 404: ErrorSerializer},
        description="`ok` false (with `detail` and `code`) when the calendar could not be read; the busy times "
        "read before stay in force and availability is flagged stale. " + NOT_CONNECTED,
    )
    def post(self, request: Request) -> Response:
        _mentor_only(request)
        connection = _connection(request)
        outcome = services.refresh_now(connection)
        connection.refresh_from_db()
        payload = {
            "ok": outcome.ok,
            "detail": "" if outcome.ok else outcome.message,
            "code": "" if outcome.ok else f"calendar_{outcome.code}",
            "connection": connection_data(connection),
        }
        return Response(RefreshResultSerializer(payload).data)
