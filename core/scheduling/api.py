"""REST endpoints of scheduling: sessions, bookings, availability, the waitlist.

Views parse and call :mod:`core.scheduling.services`; a refusal from a service
(:class:`SchedulingError`) becomes a JSON error: 400 naming the field, 403, or
409 ``{"detail", "code"}``.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from datetime import UTC, timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.db.models import Count, F, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.accounts.models import User
from core.accounts.validators import available_time_zones
from core.api.pagination import PageNumberPagination
from core.intake.serializers import AnswersSerializer

from . import currency as money
from .models import Booking, DateOverride, SchedulingProfile, Session, WaitlistEntry, WeeklyRule
from .serializers import (
    AvailabilitySerializer,
    BookingSerializer,
    BoundField,
    CancellationSerializer,
    CancelSerializer,
    MyAvailabilitySerializer,
    OverrideSerializer,
    RescheduleSerializer,
    SessionCreateSerializer,
    SessionSerializer,
    SlotBookSerializer,
    StartSerializer,
    WaitlistEntrySerializer,
)
from .services import availability, bookings, rules, sessions, waitlist
from .services.errors import NotAllowed

MAX_AVAILABILITY_DAYS = 62


class ZoneAwareAPIView(APIView):
    """Times "in the viewer's zone" use the caller's own zone once DRF has authenticated them.

    The site middleware only knows session users; a token client's zone is set here.
    """

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)
        user = request.user
        if user.is_authenticated and user.time_zone in available_time_zones():
            timezone.activate(zoneinfo.ZoneInfo(user.time_zone))


class Pagination(PageNumberPagination):
    """Sessions and bookings: 20 a page."""


def _seat_annotations(queryset):
    now = timezone.now()
    active = (
        Booking.objects.filter(session=OuterRef("pk"), status__in=Booking.ACTIVE_STATUSES)
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    offered = (
        WaitlistEntry.objects.filter(session=OuterRef("pk"), status=WaitlistEntry.OFFERED, offer_expires_at__gt=now)
        .values("session")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(
        seats_taken=Coalesce(Subquery(active, output_field=IntegerField()), Value(0))
        + Coalesce(Subquery(offered, output_field=IntegerField()), Value(0))
    )


def _visible_sessions(user):
    """Published sessions to everyone; a 1:1 booked from availability only to its people and staff."""
    queryset = Session.objects.select_related("mentor").prefetch_related("skills")
    if user.is_authenticated and user.is_staff:
        return queryset
    visible = Q(origin=Session.PUBLISHED)
    if user.is_authenticated:
        # A subquery, not a join: no DISTINCT, so counting a page does not re-run the seat annotations.
        visible |= Q(mentor=user) | Q(pk__in=Booking.objects.filter(learner=user).values("session_id"))
    return queryset.filter(visible)


class SessionFilterSerializer(serializers.Serializer):
    mentor = serializers.IntegerField(required=False, min_value=1)
    skill = serializers.SlugField(required=False)
    status = serializers.CharField(required=False, help_text="Comma-separated: scheduled,in_progress,...")
    has_seats = serializers.BooleanField(required=False)
    # "from" is a keyword: declared below
    to = BoundField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = BoundField(required=False)
        return fields

    def validate_status(self, value: str) -> list[str]:
        wanted = [part.strip() for part in value.split(",") if part.strip()]
        known = {key for key, _ in Session.STATUS_CHOICES}
        unknown = [part for part in wanted if part not in known]
        if unknown:
            raise serializers.ValidationError(
                gettext("Unknown status %(join)s; use %(join2)s.")
                % {"join": ", ".join(unknown), "join2": ", ".join(sorted(known))}
            )
        return wanted


SESSION_FILTERS = [
    OpenApiParameter("mentor", {"type": "integer", "minimum": 1}, description="Mentor's user id"),
    OpenApiParameter("skill", OpenApiTypes.STR, description="Skill slug"),
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Sessions ending after (date or date-time)"),
    OpenApiParameter("to", OpenApiTypes.DATETIME, description="Sessions starting before"),
    OpenApiParameter(
        "status",
        {"type": "array", "items": {"type": "string", "enum": [key for key, _ in Session.STATUS_CHOICES]}},
        style="form",
        explode=False,
        description="Comma-separated statuses (default: upcoming)",
    ),
    OpenApiParameter("has_seats", OpenApiTypes.BOOL, description="Only sessions with a free seat"),
]


class SessionListView(ZoneAwareAPIView):
    permission_classes = [AllowAny]
    pagination_class = Pagination

    @extend_schema(
        summary="List sessions",
        parameters=SESSION_FILTERS,
        responses=SessionSerializer(many=True),
        description="Published sessions (and the caller's own 1:1 sessions), soonest first. Without `from` and "
        "`status`: upcoming sessions that are scheduled or in progress.",
    )
    def get(self, request: Request) -> Response:
        data = {}
        if request.query_params:  # without any, nothing to check (the serializer's fields cost more than a kept list)
            params = SessionFilterSerializer(data=request.query_params.dict())  # "to=" is a bad date, not no date
            params.is_valid(raise_exception=True)
            data = params.validated_data

        def build(viewer) -> dict:
            queryset = _visible_sessions(viewer)
            if "mentor" in data:
                queryset = queryset.filter(mentor_id=data["mentor"])
            if "skill" in data:
                queryset = queryset.filter(skills__slug=data["skill"])
            statuses = data.get("status")
            if statuses:
                queryset = queryset.filter(status__in=statuses)
            if "from" in data:
                queryset = queryset.filter(ends_at__gt=data["from"])
            elif not statuses:  # the default: what is still to come
                queryset = queryset.filter(status__in=Session.ACTIVE_STATUSES, ends_at__gt=timezone.now())
            if "to" in data:
                queryset = queryset.filter(starts_at__lt=data["to"])
            queryset = _seat_annotations(queryset)
            if data.get("has_seats") is True:
                queryset = queryset.filter(status=Session.SCHEDULED, capacity__gt=F("seats_taken"))
            elif data.get("has_seats") is False:
                queryset = queryset.filter(capacity__lte=F("seats_taken"))
            queryset = queryset.order_by("starts_at", "pk")
            paginator = self.pagination_class()
            page = paginator.paginate_queryset(queryset, request, view=self)
            rows = SessionSerializer(page, many=True, context={"request": request}).data
            ends = [session.ends_at for session in page] + [timezone.now() + LIST_CACHE_MAX_AGE]
            return {"data": paginator.get_paginated_response(rows).data, "until": min(ends).timestamp()}

        return Response(_cached_list(request, build, seats_filtered="has_seats" in data)["data"])


#: The longest a cached session list is served: a listed session that starts or ends changes it with no save.
LIST_CACHE_MAX_AGE = timedelta(seconds=60)


def _cached_list(request: Request, build, *, seats_filtered: bool = False):
    """The session list for this address, time zone and audience, kept until a session or booking changes.

    Everyone sees the same published sessions; a person who has 1:1 sessions
    of their own (as learner or mentor) sees those too, so theirs is kept
    apart, and staff see all. Kept until any session changes (``sessions``), a
    person's public details change (``site``), the earliest listed session ends,
    or a minute passes (statuses that change with time). While one request
    rebuilds the shared list, the others get the previous one. A booking does not
    make it stale: each answer gives the seats left as they are now
    (:mod:`core.pages.live_parts`), unless the list is filtered by seats
    (``has_seats``), which a booking changes (``seats``).
    """
    from core.pages.cache import parts_read_together

    user = request.user
    if not settings.PAGE_CACHE_ENABLED:
        return build(user)
    audience, viewer = "everyone", AnonymousUser()  # the shared list is built as nobody's: it holds nothing private
    tags = ["site", "sessions", *(["seats"] if seats_filtered else [])]
    address = [request.scheme, request.get_host(), request.get_full_path(), timezone.get_current_timezone_name()]
    if user.is_authenticated and user.is_staff:
        audience, viewer = "staff", user
    elif user.is_authenticated:
        # Most people have no sessions of their own: whether they do and the shared list in one round trip.
        with parts_read_together(_own_sessions_part(user), ("api-sessions", [*address, audience], tags)):
            if _has_own_sessions(user):
                audience, viewer, tags = f"person:{user.pk}", user, [*tags, f"person:{user.pk}"]
            return _kept_list(address, audience, viewer, tags, build, seats_filtered)
    return _kept_list(address, audience, viewer, tags, build, seats_filtered)


def _kept_list(address: list, audience: str, viewer, tags: list[str], build, seats_filtered: bool) -> dict:
    from core.pages.cache import cached_part

    kept = cached_part(
        "api-sessions",
        [*address, audience],
        tags,
        lambda: build(viewer),
        expires=lambda value: value["until"],
        # a new session makes the shared list stale: one request rebuilds it, the rest get the last one meanwhile
        stale_while_rebuilding=audience == "everyone",
    )
    return kept if seats_filtered else {**kept, "data": _with_seats_now(kept["data"])}


def _with_seats_now(page: dict) -> dict:
    """The kept page of the list with each scheduled session's seats left as they are now."""
    from core.pages.live_parts import seats

    rows = page.get("results") or []
    ids = {row["id"] for row in rows if row["status"] == Session.SCHEDULED}
    if not ids:
        return page
    now = seats(ids)
    live = [{**row, "seats_left": now[row["id"]][1]} if row["id"] in now and row["id"] in ids else row for row in rows]
    return {**page, "results": live}


def _own_sessions_part(user: User) -> tuple[str, list, list[str]]:
    """The name, key parts and tags :func:`_has_own_sessions` is kept under."""
    return "own-sessions", [user.pk], [f"person:{user.pk}"]


def _has_own_sessions(user: User) -> bool:
    """Whether ``user`` mentors or booked a session that is not published (kept until their bookings change)."""
    from core.pages.cache import cached_part

    def build() -> bool:
        own = Q(mentor=user) | Q(pk__in=Booking.objects.filter(learner=user).values("session_id"))
        return Session.objects.exclude(origin=Session.PUBLISHED).filter(own).exists()

    return cached_part(*_own_sessions_part(user), build)


class SessionDetailView(ZoneAwareAPIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="One session", responses=SessionSerializer)
    def get(self, request: Request, pk: int) -> Response:
        session = get_object_or_404(_visible_sessions(request.user), pk=pk)
        return Response(SessionSerializer(session, context={"request": request}).data)


class SessionCreateView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Publish a session (mentors)",
        request=SessionCreateSerializer,
        responses={201: SessionSerializer},
        description="Capacity 1 is a 1:1 session, more is a group. The price is a decimal string in the currency "
        '("0" for free); more decimals than the currency has are refused.',
    )
    def post(self, request: Request) -> Response:
        if not request.user.is_mentor:
            raise NotAllowed(gettext("Only mentors can publish sessions."), code="not_a_mentor")
        form = SessionCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        session = sessions.create_session(
            request.user,
            title=data["title"],
            description=data.get("description", ""),
            skills=data.get("skills", []),
            start=data["start"],
            duration_minutes=data["duration_minutes"],
            capacity=data["capacity"],
            price_minor=data["price_minor"],
            currency=data["currency"],
        )
        return Response(SessionSerializer(session, context={"request": request}).data, status=status.HTTP_201_CREATED)


def _created(book: Callable[[], Booking]) -> Response:
    """201 with the new booking, its answer built before the booking's transaction commits.

    Nothing is read from the database after the commit, so a connection lost
    just then (a restarted PostgreSQL) cannot answer "try again" for a seat
    that was taken.
    """
    with transaction.atomic():
        booking = book()
        data = BookingSerializer(booking).data
    return Response(data, status=status.HTTP_201_CREATED)


class SessionBookView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Book a seat",
        request=AnswersSerializer,
        responses={201: BookingSerializer},
        description="201 with the booking: `confirmed` for a free session, `pending_payment` (with "
        "`hold_expires_at`) for a priced one, `pending_approval` (held until `hold_expires_at`) when the mentor "
        "approves bookings first. `answers` answers the mentor's questions (`GET mentors/{id}/questions/`): 400 "
        "`answer_required`, `answer_too_long`, `unknown_choice`, `unknown_question` name the question, and nothing "
        "is written. 409 `no_seat`, `already_booked`, `learner_clash`, `not_bookable`; 403 `own_session`.",
    )
    def post(self, request: Request, pk: int) -> Response:
        # its skills are not shown in the answer: not fetched (a query less for every booking)
        session = get_object_or_404(_visible_sessions(request.user).prefetch_related(None), pk=pk)
        form = AnswersSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        answers = form.validated_data.get("answers", {})
        return _created(lambda: bookings.book_session(session, request.user, answers=answers))


class SessionStartView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Start a session (its mentor, inside the start window)",
        request=None,
        responses=StartSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        session = get_object_or_404(Session, pk=pk)
        session = sessions.start_session(session, request.user)
        return Response(
            {
                "id": session.pk,
                "status": session.status,
                "started_at": session.started_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "room_url": session.room_url,
            }
        )


class SessionEndView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="End a session in progress (its mentor)", request=None, responses=SessionSerializer)
    def post(self, request: Request, pk: int) -> Response:
        session = get_object_or_404(Session, pk=pk)
        session = sessions.end_session(session, request.user)
        return Response(SessionSerializer(session, context={"request": request}).data)


def _cancellation_response(result: bookings.CancellationResult, detail: str) -> Response:
    currency = result.currency or (result.bookings[0].currency if result.bookings else "EUR")
    return Response(
        CancellationSerializer(
            {
                "detail": detail,
                "session_cancelled": result.session_cancelled,
                "refund_percent": result.refund_percent,
                "refund_minor": result.refund_minor,
                "refund": str(money.to_decimal(result.refund_minor, currency)),
                "currency": currency,
                "bookings": result.bookings,
            }
        ).data
    )


class SessionCancelView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel a session (its mentor) or one's own booking (a booked learner)",
        request=CancelSerializer,
        responses={200: CancellationSerializer},
        description="The mentor (or staff) cancels the session for everyone with full refunds; a learner with a "
        "seat cancels that booking, refunded per the site's policy (`refund_percent`, `refund_minor`). "
        "Anyone else: 403.",
    )
    def delete(self, request: Request, pk: int) -> Response:
        session = get_object_or_404(Session, pk=pk)
        form = CancelSerializer(data=request.data if request.data else request.query_params)
        form.is_valid(raise_exception=True)
        reason = form.validated_data["reason"]
        user = request.user
        if user.pk == session.mentor_id or user.is_staff:
            result = sessions.cancel_session(session, user, reason)
            return _cancellation_response(result, gettext("The session is cancelled for everyone."))
        booking = Booking.objects.active().filter(session=session, learner=user).first()
        if booking is None:
            raise NotAllowed(gettext("Only the mentor or a learner booked on this session can cancel it."))
        result = bookings.cancel_booking(booking, user, reason)
        return _cancellation_response(result, gettext("Your booking is cancelled."))


AVAILABILITY_PARAMS = [
    OpenApiParameter("from", OpenApiTypes.DATETIME, description="Start of the range (default: now)"),
    OpenApiParameter(
        "to", OpenApiTypes.DATETIME, description=f"End (default: 14 days on; {MAX_AVAILABILITY_DAYS} max)"
    ),
    OpenApiParameter(
        "length", {"type": "integer", "minimum": 1}, description="One of the mentor's slot lengths, in minutes"
    ),
    OpenApiParameter("tz", OpenApiTypes.STR, description="Show local times in this IANA zone instead of yours"),
]


class AvailabilityQuerySerializer(serializers.Serializer):
    to = BoundField(required=False)
    length = serializers.IntegerField(required=False, min_value=1)
    tz = serializers.CharField(required=False)

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = BoundField(required=False)
        return fields

    def validate_tz(self, value: str) -> str:
        if value not in available_time_zones():
            raise serializers.ValidationError(gettext("“%(value)s” is not an IANA time zone.") % {"value": value})
        return value

    def validate(self, attrs: dict) -> dict:
        start = attrs.get("from") or timezone.now()
        end = attrs.get("to") or start + timedelta(days=14)
        if end <= start:
            raise serializers.ValidationError({"to": [gettext("The end must be after the start.")]})
        if end - start > timedelta(days=MAX_AVAILABILITY_DAYS):
            raise serializers.ValidationError(
                {"to": [gettext("Ask for at most %(days)s days at once.") % {"days": MAX_AVAILABILITY_DAYS}]}
            )
        attrs["from"], attrs["to"] = start, end
        return attrs


def _mentor(pk: int) -> User:
    return get_object_or_404(User, pk=pk, is_mentor=True, is_active=True)


def slot_rows(slots, zone) -> list[dict]:
    """Slots with their UTC and viewer-local times, the zone named."""
    rows = []
    for slot in slots:
        start_local, end_local = slot.start.astimezone(zone), slot.end.astimezone(zone)
        rows.append(
            {
                "start": slot.start.isoformat().replace("+00:00", "Z"),
                "end": slot.end.isoformat().replace("+00:00", "Z"),
                "start_local": start_local.isoformat(),
                "end_local": end_local.isoformat(),
                "time_zone": str(zone),
                "zone_abbr": start_local.tzname(),
                "length_minutes": slot.length_minutes,
            }
        )
    return rows


class MentorAvailabilityView(ZoneAwareAPIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="A mentor's free slots",
        parameters=AVAILABILITY_PARAMS,
        responses=AvailabilitySerializer,
        description="Free slots computed from the mentor's weekly hours and overrides in their own zone, minus "
        "their sessions and buffers, within notice and horizon. Each slot is given in UTC and in the viewer's "
        "zone (the signed-in user's, the browser's cookie, or `tz`).",
    )
    def get(self, request: Request, pk: int) -> Response:
        mentor = _mentor(pk)
        query = AvailabilityQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        data = query.validated_data
        lengths = list(availability.Settings.of(availability.profile_for(mentor)).lengths)
        length = data.get("length")
        if length is not None and length not in lengths:
            raise ValidationError(
                {
                    "length": [
                        gettext("This mentor offers %(lengths)s minute sessions.")
                        % {"lengths": ", ".join(map(str, lengths))}
                    ]
                }
            )
        zone = zoneinfo.ZoneInfo(data["tz"]) if data.get("tz") else timezone.get_current_timezone()
        report = availability.availability_report(mentor, data["from"], data["to"], length)
        slots = report.slots
        return Response(
            {
                "stale": report.stale,
                "busy_as_of": report.busy_as_of,
                "mentor": mentor.pk,
                "mentor_time_zone": mentor.time_zone,
                "time_zone": str(zone),
                "start": data["from"].isoformat().replace("+00:00", "Z"),
                "end": data["to"].isoformat().replace("+00:00", "Z"),
                "lengths": lengths,
                "slots": slot_rows(slots, zone),
            }
        )


class MentorBookView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Book a free slot of a mentor as a 1:1 session",
        request=SlotBookSerializer,
        responses={201: BookingSerializer},
        description="Priced at the mentor's hourly rate times the length (free without a rate). 400 when the start "
        "is not a free slot; 409 `slot_taken` when someone was faster, `learner_clash` for your own bookings. "
        "`answers` as for booking a session.",
    )
    def post(self, request: Request, pk: int) -> Response:
        mentor = _mentor(pk)
        form = SlotBookSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        start, minutes = form.validated_data["start"], form.validated_data["duration_minutes"]
        answers = form.validated_data.get("answers", {})
        return _created(lambda: bookings.book_slot(mentor, request.user, start, minutes, answers=answers))


class BookingListView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]
    pagination_class = Pagination

    @extend_schema(
        summary="Your bookings",
        parameters=[
            OpenApiParameter(
                "status",
                {"type": "array", "items": {"type": "string", "enum": [key for key, _ in Booking.STATUS_CHOICES]}},
                style="form",
                explode=False,
                description="Comma-separated booking statuses",
            ),
            OpenApiParameter(
                "as", OpenApiTypes.STR, enum=["learner", "mentor"], description="mentor: on your sessions"
            ),
            OpenApiParameter("upcoming", OpenApiTypes.BOOL),
        ],
        responses=BookingSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        role = request.query_params.get("as", "learner")
        if role not in ("learner", "mentor"):
            raise ValidationError({"as": [gettext("Use learner or mentor.")]})
        queryset = Booking.objects.select_related("session", "session__mentor", "learner")
        queryset = (
            queryset.filter(session__mentor=request.user) if role == "mentor" else queryset.filter(learner=request.user)
        )
        wanted = [s for s in request.query_params.get("status", "").split(",") if s]
        known = {key for key, _ in Booking.STATUS_CHOICES}
        if set(wanted) - known:
            raise ValidationError(
                {"status": [gettext("Use some of %(statuses)s.") % {"statuses": ", ".join(sorted(known))}]}
            )
        if wanted:
            queryset = queryset.filter(status__in=wanted)
        if _flag(request, "upcoming"):
            queryset = queryset.filter(ends_at__gt=timezone.now()).order_by("starts_at", "pk")
        else:
            queryset = queryset.order_by("-starts_at", "-pk")
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, request, view=self)
        return paginator.get_paginated_response(BookingSerializer(page, many=True).data)


def _flag(request: Request, name: str) -> bool:
    """A boolean query parameter (true/false, 1/0, yes/no); anything else is a 400 naming it."""
    raw = request.query_params.get(name)
    if raw is None:
        return False
    try:
        return serializers.BooleanField().to_internal_value(raw)
    except ValidationError as exc:
        raise ValidationError({name: exc.detail}) from None


def _related_booking(request: Request, pk: int) -> Booking:
    """A booking the caller is part of (learner, mentor or staff); 404 for anyone else."""
    user = request.user
    queryset = Booking.objects.select_related("session", "learner")
    if not user.is_staff:
        queryset = queryset.filter(Q(learner=user) | Q(session__mentor=user))
    return get_object_or_404(queryset, pk=pk)


class BookingRescheduleView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Move a booking",
        request=RescheduleSerializer,
        responses=BookingSerializer,
        description="A 1:1 booking moves to another free slot (`start`); a group seat to another session of the "
        "same mentor and price (`session`). Within the site's reschedule window and count; all or nothing.",
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = _related_booking(request, pk)
        form = RescheduleSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        target = None
        if "session" in form.validated_data:
            target = Session.objects.filter(pk=form.validated_data["session"], origin=Session.PUBLISHED).first()
            if target is None:
                raise ValidationError({"session": [gettext("No such session.")]})
        booking = bookings.reschedule_booking(
            booking, request.user, start=form.validated_data.get("start"), target_session=target
        )
        return Response(BookingSerializer(booking).data)


class BookingNoShowView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Report a learner absent (the mentor, after the grace time)", request=None, responses=BookingSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = _related_booking(request, pk)
        booking = bookings.mark_no_show(booking, request.user)
        return Response(BookingSerializer(booking).data)


class WaitlistJoinView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Join a full session's waitlist (POST) or leave it (DELETE)",
        request=None,
        responses={201: WaitlistEntrySerializer, 200: WaitlistEntrySerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        session = get_object_or_404(_visible_sessions(request.user), pk=pk)
        entry, created = waitlist.join_waitlist(session, request.user)
        return Response(
            WaitlistEntrySerializer(entry).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(request=None, responses={200: WaitlistEntrySerializer})
    def delete(self, request: Request, pk: int) -> Response:
        entry = get_object_or_404(
            WaitlistEntry, session_id=pk, learner=request.user, status__in=WaitlistEntry.OPEN_STATUSES
        )
        entry = waitlist.leave_waitlist(entry, request.user)
        return Response(WaitlistEntrySerializer(entry).data)


class WaitlistListView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Your waitlist places", responses=WaitlistEntrySerializer(many=True))
    def get(self, request: Request) -> Response:
        entries = WaitlistEntry.objects.filter(learner=request.user).select_related("session", "session__mentor")
        return Response(WaitlistEntrySerializer(entries.order_by("-created_at")[:100], many=True).data)


class WaitlistAcceptView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Take the seat you were offered",
        request=None,
        responses={201: BookingSerializer},
        description="409 `offer_expired` or `no_offer`; 403 when the offer is someone else's.",
    )
    def post(self, request: Request, pk: int) -> Response:
        entry = get_object_or_404(WaitlistEntry, pk=pk)
        booking = waitlist.accept_offer(entry, request.user)
        return Response(BookingSerializer(booking).data, status=status.HTTP_201_CREATED)


def _mentor_only(request: Request) -> None:
    if not request.user.is_mentor:
        raise NotAllowed(gettext("Only mentors have availability."), code="not_a_mentor")


def _my_availability(user) -> dict:
    profile = SchedulingProfile.objects.filter(mentor=user).first() or SchedulingProfile(slot_lengths=[60])
    return {
        "time_zone": user.time_zone,
        "settings": {
            "min_notice_minutes": profile.min_notice_minutes,
            "horizon_days": profile.horizon_days,
            "buffer_minutes": profile.buffer_minutes,
            "slot_lengths": profile.slot_lengths or [60],
            "slot_step_minutes": profile.slot_step_minutes,
        },
        "weekly": [
            {"weekday": r.weekday, "start": r.start_time, "end": r.end_time}
            for r in WeeklyRule.objects.filter(mentor=user)
        ],
        "overrides": DateOverride.objects.filter(mentor=user, date__gte=timezone.now().date() - timedelta(days=1)),
    }


class MyAvailabilityView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Your weekly hours, date overrides and booking settings (mentors)", responses=MyAvailabilitySerializer
    )
    def get(self, request: Request) -> Response:
        _mentor_only(request)
        return Response(MyAvailabilitySerializer(_my_availability(request.user)).data)

    @extend_schema(
        summary="Replace your weekly hours and/or save your booking settings",
        request=MyAvailabilitySerializer,
        responses=MyAvailabilitySerializer,
        description="`weekly` replaces every weekly range at once (times in your own zone, several per day, "
        "no overlaps); `settings` saves notice, horizon, buffer, lengths and step. Either may be left out.",
    )
    def put(self, request: Request) -> Response:
        _mentor_only(request)
        form = MyAvailabilitySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        with transaction.atomic():
            if "settings" in data:
                rules.save_profile(request.user, **data["settings"])
            if "weekly" in data:
                week: dict[int, list] = {d: [] for d in range(7)}
                for item in data["weekly"]:
                    week[item["weekday"]].append((item["start"], item["end"]))
                rules.set_weekly_rules(request.user, week)
        return Response(MyAvailabilitySerializer(_my_availability(request.user)).data)


class MyOverridesView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Add a date override: extra time, time off, or a day off (no times)",
        request=OverrideSerializer,
        responses={201: OverrideSerializer},
    )
    def post(self, request: Request) -> Response:
        _mentor_only(request)
        form = OverrideSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        override = rules.add_override(
            request.user,
            day=data["date"],
            kind=data["kind"],
            start=data.get("start_time"),
            end=data.get("end_time"),
            note=data.get("note", ""),
        )
        return Response(OverrideSerializer(override).data, status=status.HTTP_201_CREATED)


class MyOverrideDeleteView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Remove one of your date overrides", request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        _mentor_only(request)
        get_object_or_404(DateOverride, pk=pk, mentor=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
