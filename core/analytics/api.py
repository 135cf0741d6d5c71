"""REST endpoints of analytics (under /api/analytics/): views parse, call a service, answer JSON."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.scheduling.models import Booking
from core.taxonomy.models import Skill

from . import serializers as s
from .permissions import can_view_dashboard, can_view_learner_risk
from .services import churn, paths, pricing, success
from .services.live import live_tiles
from .services.metrics import ReportError, cached_report, parse_request

ERROR = OpenApiResponse(description='{"detail": ..., "code": ..., "errors"?: {field: [...]}}')


def _invalid(field: str, message: str) -> ValidationError:
    return ValidationError({field: [ErrorDetail(message, code="invalid")]})


class MetricsView(APIView):
    @extend_schema(
        summary="Business metrics per period (staff)",
        parameters=[
            OpenApiParameter("start", str, description="First day, YYYY-MM-DD (default: 29 days before the end)."),
            OpenApiParameter("end", str, description="Last day, YYYY-MM-DD (default: today, UTC)."),
            OpenApiParameter("granularity", str, enum=["day", "week", "month"]),
            OpenApiParameter("skill", str, description="A skill's slug (default: all skills)."),
        ],
        responses={200: s.ReportSerializer, 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def get(self, request: Request) -> Response:
        if not can_view_dashboard(request.user):
            raise PermissionDenied(gettext("Only staff with the analytics permission can read business metrics."))
        try:
            req = parse_request(request.query_params)
        except ReportError as exc:
            raise _invalid(exc.field, exc.message) from None
        report = cached_report(req)
        return Response(
            {
                "start": req.start,
                "end": req.end,
                "granularity": req.granularity,
                "skill": req.skill.slug if req.skill else None,
                "periods": [{"start": p.label, "end": p.last_day.isoformat()} for p in report.periods],
                "series": report.series,
                "money": report.money,
                "totals": report.totals,
                "cohorts": [
                    {"month": c.month.isoformat()[:7], "size": c.size, "retention": c.retention} for c in report.cohorts
                ],
                "skills": [
                    {**{k: v for k, v in row.items() if k != "skill"}, "skill": row["skill"].slug}
                    for row in report.skills
                ],
            }
        )


class LiveTilesView(APIView):
    @extend_schema(summary="Today's live tiles (staff)", responses={200: s.TilesSerializer, 403: ERROR})
    def get(self, request: Request) -> Response:
        if not can_view_dashboard(request.user):
            raise PermissionDenied(gettext("Only staff with the analytics permission can read the live tiles."))
        return Response(live_tiles())


class PriceSuggestionView(APIView):
    @extend_schema(
        summary="Suggested price range for a session of mine (mentors)",
        description="What the session form asks while a mentor sets a price: a range from demand and supply in "
        "the skills, with the reasoning. Amounts are in the mentor's currency, per session of the given length.",
        parameters=[
            OpenApiParameter("skills", str, description="Skill slugs or ids, comma-separated (default: my skills)."),
            OpenApiParameter(
                "duration_minutes",
                {"type": "integer", "minimum": 15, "maximum": 480},
                description="Length of the session, 15 to 480 (default 60).",
            ),
        ],
        responses={200: s.PriceSuggestionSerializer, 400: ERROR, 401: ERROR, 403: ERROR},
    )
    def get(self, request: Request) -> Response:
        if not request.user.is_mentor:
            raise PermissionDenied(gettext("Only mentors set prices."))
        raw = request.query_params.getlist("skills")
        skills = [part.strip() for value in raw for part in value.split(",") if part.strip()]
        duration = (request.query_params.get("duration_minutes") or "60").strip()
        if not (duration.isascii() and duration.isdigit()):
            raise _invalid("duration_minutes", f"“{duration}” is not a whole number of minutes.")
        try:
            suggestion = pricing.suggest_price(request.user, skills, int(duration))
        except pricing.PricingError as exc:
            raise _invalid(exc.field, exc.message) from None
        return Response(suggestion.as_dict())


class BookingSuccessView(APIView):
    @extend_schema(
        summary="Chance a booking ends completed (its mentor, or staff)",
        responses={200: s.SuccessSerializer, 403: ERROR, 404: ERROR},
    )
    def get(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(Booking.objects.select_related("session"), pk=pk)
        if booking.session.mentor_id != request.user.pk and not can_view_dashboard(request.user):
            raise PermissionDenied(gettext("Only the session's mentor can see this."))
        prediction = success.success_probability(booking)
        if prediction is None:
            return Response(
                {
                    "booking": booking.pk,
                    "probability": None,
                    "helps": [],
                    "hurts": [],
                    "model_id": None,
                    "reason": "No session-success model has been fitted yet.",
                }
            )
        return Response(
            {
                "booking": booking.pk,
                "probability": round(prediction.probability, 4),
                "helps": prediction.helps,
                "hurts": prediction.hurts,
                "model_id": prediction.model_id,
                "reason": "",
            }
        )


class LearningPathView(APIView):
    @extend_schema(
        summary="My learning path to a goal skill",
        parameters=[
            OpenApiParameter(
                "goal", {"type": "string", "minLength": 1}, required=True, description="The goal skill's slug."
            )
        ],
        responses={200: s.LearningPathSerializer, 400: ERROR, 401: ERROR},
    )
    def get(self, request: Request) -> Response:
        slug = (request.query_params.get("goal") or "").strip()
        if not slug:
            raise _invalid("goal", "Choose a goal skill (its slug).")
        goal = Skill.objects.filter(slug=slug).first()
        if goal is None:
            raise _invalid("goal", f"There is no skill “{slug}”.")
        plan = paths.learning_path(request.user, goal)
        return Response(
            {
                "goal": goal.slug,
                "basis": plan.basis,
                "learners_reached": plan.learners_reached,
                "message": plan.message,
                "known": [k.slug for k in plan.known],
                "next_skills": [k.slug for k in plan.next_skills],
                "steps": [
                    {
                        "skill": step.skill.name,
                        "slug": step.skill.slug,
                        "is_goal": step.is_goal,
                        "share": step.share,
                        "mentors": [{"id": m.user_id, "name": m.title, "url": m.url or ""} for m in step.mentors],
                        "sessions": [{"id": x.pk, "name": x.title, "url": x.get_absolute_url()} for x in step.sessions],
                    }
                    for step in plan.steps
                ],
            }
        )


class AtRiskView(APIView):
    @extend_schema(
        summary="Learners at risk of churning (staff)", responses={200: s.AtRiskSerializer(many=True), 403: ERROR}
    )
    def get(self, request: Request) -> Response:
        if not can_view_learner_risk(request.user):
            raise PermissionDenied(gettext("Only staff with the learner-risk permission can see this list."))
        return Response(
            [
                {
                    "learner": score.learner_id,
                    "name": score.learner.display_name,
                    "email": score.learner.email,
                    "probability": round(score.probability, 4),
                    "reasons": score.reasons,
                    "computed_at": score.computed_at,
                }
                for score in churn.at_risk()
            ]
        )
