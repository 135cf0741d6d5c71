"""REST endpoints of booking questions and approval (under /api/).

Views parse input and call :mod:`core.intake.services`; refusals become JSON errors
(400 naming the field, 403, 409 with ``detail`` and ``code``) through the API's handler.
"""

from __future__ import annotations

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from core.accounts.models import User
from core.scheduling.api import ZoneAwareAPIView
from core.scheduling.models import Booking
from core.scheduling.services.errors import NotAllowed

from .models import ApprovalRequest, TimeProposal
from .serializers import (
    ApprovalSettingsSerializer,
    BookingRequestSerializer,
    DeclineSerializer,
    MentorQuestionsSerializer,
    ProposalSerializer,
    ProposeSerializer,
    QuestionListSerializer,
    QuestionSerializer,
)
from .services import approval, questions


def request_view(booking: Booking) -> dict:
    """A booking with its answers, approval and proposed times (what the mentor decides on)."""
    return {
        "booking": booking,
        "answers": questions.answers_of(booking),
        "approval": ApprovalRequest.objects.filter(booking=booking).first(),
        "proposals": list(TimeProposal.objects.filter(booking=booking).exclude(status=TimeProposal.DROPPED)),
    }


def _mentor_only(request: Request) -> None:
    if not request.user.is_mentor:
        raise NotAllowed(gettext("Only mentors have booking questions."), code="not_a_mentor")


def _related_booking(request: Request, pk: int) -> Booking:
    queryset = Booking.objects.select_related("session", "session__mentor", "learner")
    if not request.user.is_staff:
        queryset = queryset.filter(Q(learner=request.user) | Q(session__mentor=request.user))
    return get_object_or_404(queryset, pk=pk)


def _specs(data: list[dict]) -> list[questions.QuestionSpec]:
    return [
        questions.QuestionSpec(
            label=item["label"],
            kind=item.get("kind", "short_text"),
            required=item.get("required", False),
            max_length=item.get("max_length"),
            help_text=item.get("help_text", ""),
            choices=tuple(item.get("choices", ())),
        )
        for item in data
    ]


def mentor_intake(mentor) -> dict:
    rule = approval.settings_of(mentor)
    return {
        "questions": questions.questions_of(mentor),
        "approval": {"mode": rule.mode, "short_notice_hours": rule.short_notice_hours},
        "decision_hours": approval.current_approval_policy().decision_hours,
    }


class MentorQuestionsView(ZoneAwareAPIView):
    permission_classes = [AllowAny]

    @extend_schema(
        summary="What a mentor asks before a booking, and whether they approve bookings first",
        responses=MentorQuestionsSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        mentor = get_object_or_404(User, pk=pk, is_mentor=True, is_active=True)
        return Response(MentorQuestionsSerializer(mentor_intake(mentor)).data)


class MyQuestionsView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Your booking questions (a mentor)", responses=QuestionListSerializer)
    def get(self, request: Request) -> Response:
        _mentor_only(request)
        return Response({"questions": QuestionSerializer(questions.questions_of(request.user), many=True).data})

    @extend_schema(
        summary="Replace your booking questions, in order (a mentor)",
        request=QuestionListSerializer,
        responses=QuestionListSerializer,
        description="At most 10 questions; kinds `short_text` (up to 200 characters), `long_text` (up to 4000), "
        "`choice` (2-12 choices). 400 names the question at fault and nothing is saved.",
    )
    def put(self, request: Request) -> Response:
        _mentor_only(request)
        form = QuestionListSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        saved = questions.set_questions(request.user, _specs(form.validated_data["questions"]))
        return Response({"questions": QuestionSerializer(saved, many=True).data})


class MyApprovalView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(summary="Whether you approve bookings first (a mentor)", responses=ApprovalSettingsSerializer)
    def get(self, request: Request) -> Response:
        _mentor_only(request)
        rule = approval.settings_of(request.user)
        return Response({"mode": rule.mode, "short_notice_hours": rule.short_notice_hours})

    @extend_schema(
        summary="Approve bookings first: never, always, or within N hours of the start (a mentor)",
        request=ApprovalSettingsSerializer,
        responses=ApprovalSettingsSerializer,
    )
    def put(self, request: Request) -> Response:
        _mentor_only(request)
        form = ApprovalSettingsSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        rule = approval.save_settings(
            request.user, form.validated_data["mode"], form.validated_data.get("short_notice_hours")
        )
        return Response({"mode": rule.mode, "short_notice_hours": rule.short_notice_hours})


class BookingRequestListView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Bookings waiting for your approval, soonest deadline first (a mentor)",
        responses=BookingRequestSerializer(many=True),
    )
    def get(self, request: Request) -> Response:
        _mentor_only(request)
        rows = [request_view(b) for b in approval.pending_for(request.user)[:200]]
        return Response(BookingRequestSerializer(rows, many=True).data)


class BookingRequestView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A booking's answers, approval and proposed times (its learner, its mentor, staff)",
        responses=BookingRequestSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(BookingRequestSerializer(request_view(_related_booking(request, pk))).data)


class BookingApproveView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Approve a booking (its mentor)",
        request=None,
        responses=BookingRequestSerializer,
        description="`confirmed` for a free session, `pending_payment` (with a new `hold_expires_at`) for a priced "
        "one. 409 `not_pending` when it was decided (or lapsed) already, `deadline_passed` when the time to "
        "decide ran out (the seat is released); 403 for anyone but the mentor or staff.",
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = approval.approve(_related_booking(request, pk), request.user)
        return Response(BookingRequestSerializer(request_view(booking)).data)


class BookingDeclineView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Decline a booking (its mentor); the seat is released and anything paid refunded",
        request=DeclineSerializer,
        responses=BookingRequestSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        form = DeclineSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        booking = approval.decline(_related_booking(request, pk), request.user, form.validated_data["reason"])
        return Response(BookingRequestSerializer(request_view(booking)).data)


class BookingProposeView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Propose up to three other times from your free slots (the mentor of a 1:1 booking)",
        request=ProposeSerializer,
        responses={201: ProposalSerializer(many=True)},
        description="Earlier open proposals are dropped. 400 `outside_availability` names a time that is not a free "
        "slot, `group_session` for a group seat.",
    )
    def post(self, request: Request, pk: int) -> Response:
        form = ProposeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        proposals = approval.propose_times(_related_booking(request, pk), request.user, form.validated_data["starts"])
        return Response(ProposalSerializer(proposals, many=True).data, status=status.HTTP_201_CREATED)


class ProposalAcceptView(ZoneAwareAPIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Accept a proposed time (the learner): the booking moves there and is approved",
        request=None,
        responses=BookingRequestSerializer,
        description="Atomic: the booking moves and is confirmed (or goes on to payment) and the other proposals "
        "are dropped, or nothing changes. 409 `slot_taken` when the time is no longer free.",
    )
    def post(self, request: Request, pk: int) -> Response:
        proposal = get_object_or_404(
            TimeProposal.objects.filter(Q(booking__learner=request.user) | Q(booking__session__mentor=request.user)),
            pk=pk,
        )
        booking = approval.accept_proposal(proposal, request.user)
        return Response(BookingRequestSerializer(request_view(booking)).data)
