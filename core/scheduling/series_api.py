"""REST endpoints of recurring series (under /api/series/); the rules are in services.series.

A series that cannot be booked whole answers 409 ``series_clash`` with the first
clash named (``clash``: index, start, reason); bad input answers 400 naming the
field. Nothing is written in either case.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.accounts.models import User

from . import currency as money
from .api import Pagination, ZoneAwareAPIView
from .models import BookingSeries
from .serializers import AwareDateTimeField, BookingSerializer, PersonSerializer, _utc
from .services import series as series_service
from .services.sessions import MAX_DURATION, MIN_DURATION


class SeriesRequestSerializer(serializers.Serializer):
    mentor = serializers.IntegerField(help_text="The mentor's user id")
    start = AwareDateTimeField(help_text="The first session's start (a free slot), ISO 8601 with offset")
    cadence = serializers.ChoiceField(choices=[c for c, _ in BookingSeries.CADENCE_CHOICES])
    count = serializers.IntegerField(help_text="How many sessions (2 to the site's maximum, at most 52)")
    duration_minutes = serializers.IntegerField(min_value=MIN_DURATION, max_value=MAX_DURATION, default=60)
    payment_mode = serializers.ChoiceField(
        choices=[c for c, _ in BookingSeries.PAYMENT_CHOICES], default=BookingSeries.PER_SESSION
    )

    def validate_count(self, value: int) -> int:
        if not series_service.MIN_COUNT <= value <= series_service.MAX_COUNT:
            raise serializers.ValidationError(
                _("A series has from %(min)s to %(max)s sessions.")
                % {"min": series_service.MIN_COUNT, "max": series_service.MAX_COUNT}
            )
        return value


class OccurrenceSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    moved = serializers.BooleanField()
    rule_start = serializers.SerializerMethodField()
    booking = BookingSerializer()

    def get_rule_start(self, obj) -> str:
        return _utc(obj.rule_start)


class SeriesSerializer(serializers.ModelSerializer):
    learner = PersonSerializer(read_only=True)
    mentor = PersonSerializer(read_only=True)
    price = serializers.SerializerMethodField()
    local_time = serializers.TimeField(format="%H:%M")
    occurrences = serializers.SerializerMethodField()
    pay_booking = serializers.SerializerMethodField(help_text="An at-once series: the booking whose checkout pays all")

    class Meta:
        model = BookingSeries
        fields = [
            "id",
            "learner",
            "mentor",
            "cadence",
            "count",
            "first_date",
            "local_time",
            "time_zone",
            "duration_minutes",
            "payment_mode",
            "price",
            "price_minor",
            "currency",
            "pay_booking",
            "created_at",
            "occurrences",
        ]
        read_only_fields = fields

    def get_price(self, obj: BookingSeries) -> str:
        return str(money.to_decimal(obj.price_minor, obj.currency))

    def get_pay_booking(self, obj: BookingSeries) -> int | None:
        if obj.payment_mode != BookingSeries.AT_ONCE:
            return None
        return series_service.anchor_booking(obj).pk

    @extend_schema_field(OccurrenceSerializer(many=True))
    def get_occurrences(self, obj: BookingSeries) -> list[dict]:
        return OccurrenceSerializer(series_service.occurrences_of(obj), many=True).data


class PlannedSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    start = serializers.CharField()
    start_local = serializers.CharField()
    clash = serializers.CharField(help_text="Empty when free; else too_soon, no_availability, mentor_busy, ...")
    reason = serializers.CharField()


def _planned_rows(plan: series_service.SeriesPlan) -> list[dict]:
    viewer = timezone.get_current_timezone()
    return [
        {
            "index": o.index,
            "start": _utc(o.start),
            "start_local": o.start.astimezone(viewer).isoformat(),
            "start_mentor": o.start.astimezone(plan.mentor_zone).isoformat(),
            "clash": o.clash,
            "reason": o.reason,
        }
        for o in plan.occurrences
    ]


def _mentor(pk: int) -> User:
    mentor = User.objects.filter(pk=pk, is_active=True, is_mentor=True).first()
    if mentor is None:
        raise ValidationError({"mentor": [_("No such mentor.")]})
    return mentor


def _clash_response(exc: series_service.SeriesClash) -> Response:
    return Response({"detail": exc.message, "code": exc.code, "clash": exc.as_dict()}, status=status.HTTP_409_CONFLICT)


CLASH = inline_serializer(
    "SeriesClash",
    {"detail": serializers.CharField(), "code": serializers.CharField(), "clash": serializers.DictField()},
)


class SeriesListView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    @extend_schema(
        summary="Your recurring series",
        parameters=[
            OpenApiParameter("as", str, enum=["learner", "mentor"], description="mentor: series booked with you")
        ],
        responses=SeriesSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        role = request.query_params.get("as", "learner")
        if role not in ("learner", "mentor"):
            raise ValidationError({"as": [_("Use learner or mentor.")]})
        queryset = BookingSeries.objects.select_related("learner", "mentor")
        queryset = queryset.filter(mentor=request.user) if role == "mentor" else queryset.filter(learner=request.user)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset.order_by("-created_at", "-pk"), request, view=self)
        return paginator.get_paginated_response(SeriesSerializer(page, many=True).data)

    @extend_schema(
        summary="Book a weekly or fortnightly series of 1:1 sessions",
        request=SeriesRequestSerializer,
        responses={201: SeriesSerializer, 409: CLASH},
        description="Every session at the same wall-clock time in the mentor's zone (kept across daylight-saving "
        "changes). All or nothing: 409 `series_clash` names the first session that cannot be had (`clash`), and "
        "nothing is booked. 400 for a count outside 2..max, a cadence the site does not offer, a start in the "
        "past or beyond the mentor's horizon, a length not offered.",
    )
    def post(self, request: Request) -> Response:
        form = SeriesRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            series = series_service.book_series(
                _mentor(data["mentor"]),
                request.user,
                data["start"],
                data["cadence"],
                data["count"],
                data["duration_minutes"],
                payment_mode=data["payment_mode"],
            )
        except series_service.SeriesClash as exc:
            return _clash_response(exc)
        return Response(SeriesSerializer(series).data, status=status.HTTP_201_CREATED)


class SeriesPreviewView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Preview the dates of a series and what clashes, without booking",
        request=SeriesRequestSerializer,
        responses=inline_serializer(
            "SeriesPreview",
            {
                "occurrences": PlannedSerializer(many=True),
                "bookable": serializers.BooleanField(),
                "price_minor": serializers.IntegerField(),
                "total_minor": serializers.IntegerField(),
                "currency": serializers.CharField(),
            },
        ),
    )
    def post(self, request: Request) -> Response:
        form = SeriesRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        plan = series_service.plan_series(
            _mentor(data["mentor"]),
            request.user,
            data["start"],
            data["cadence"],
            data["count"],
            data["duration_minutes"],
        )
        return Response(
            {
                "occurrences": _planned_rows(plan),
                "bookable": plan.first_clash is None,
                "price_minor": plan.price_minor,
                "total_minor": plan.total_minor,
                "currency": plan.currency,
                "time_zone": plan.mentor_zone.key,
            }
        )


def _series(request: Request, pk: int) -> BookingSeries:
    return get_object_or_404(series_service.visible_series(request.user), pk=pk)


class SeriesDetailView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="A series with its sessions", responses=SeriesSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SeriesSerializer(_series(request, pk)).data)


class OccurrenceCancelSerializer(serializers.Serializer):
    rest = serializers.BooleanField(default=False, help_text="Also every later session of the series")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class OccurrenceRescheduleSerializer(serializers.Serializer):
    start = AwareDateTimeField(help_text="The new start of this session (the later ones keep the same shift)")
    rest = serializers.BooleanField(default=False, help_text="Also every later session, by the same days and time")


class OccurrenceCancelView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel one session of a series, or it and the rest",
        request=OccurrenceCancelSerializer,
        responses=SeriesSerializer,
        description="Refunds follow the site's cancellation policy for each session cancelled.",
    )
    def post(self, request: Request, pk: int, index: int) -> Response:
        series = _series(request, pk)
        form = OccurrenceCancelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        series_service.cancel_occurrences(
            series, index, request.user, rest=form.validated_data["rest"], reason=form.validated_data["reason"]
        )
        return Response(SeriesSerializer(series).data)


class OccurrenceRescheduleView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Move one session of a series, or it and the rest",
        request=OccurrenceRescheduleSerializer,
        responses={200: SeriesSerializer, 409: CLASH},
        description="All or nothing; 409 `series_clash` names the first new time that cannot be had.",
    )
    def post(self, request: Request, pk: int, index: int) -> Response:
        series = _series(request, pk)
        form = OccurrenceRescheduleSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            series_service.reschedule_occurrences(
                series, index, request.user, form.validated_data["start"], rest=form.validated_data["rest"]
            )
        except series_service.SeriesClash as exc:
            return _clash_response(exc)
        return Response(SeriesSerializer(series).data)
