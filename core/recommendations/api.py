"""REST endpoints: recommended items with score parts and explanations, and feedback on them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.models import Site

from core.sponsorship.placement import mark_uncacheable, place_recommendations

from . import services


def _site_id(request: Request) -> int | None:
    site = Site.find_for_request(request)
    return site.pk if site else None


class RecommendedItemSerializer(serializers.Serializer):
    item = serializers.CharField(help_text='Item key, e.g. "mentor:12" or "session:7".')
    kind = serializers.ChoiceField(choices=["mentor", "session"])
    title = serializers.CharField()
    subtitle = serializers.CharField(allow_blank=True)
    url = serializers.CharField(allow_blank=True)
    starts_at = serializers.DateTimeField(allow_null=True)
    price_minor = serializers.IntegerField(allow_null=True, help_text="Minor units; for a mentor, per hour.")
    currency = serializers.CharField(allow_blank=True)
    position = serializers.IntegerField()
    score = serializers.FloatField(help_text="The blended score the list is ordered by (before diversification).")
    parts = serializers.DictField(
        child=serializers.FloatField(), help_text="Each recommender's weighted, normalised contribution."
    )
    explanation = serializers.CharField(allow_blank=True)
    exploration = serializers.BooleanField(help_text="Shown to give a new mentor exposure.")
    impression_id = serializers.UUIDField(help_text="Send it back with feedback on this item.")
    sponsored = serializers.BooleanField(help_text="A paid placement (shown labelled), not ranked.")

    @staticmethod
    def from_recommendation(rec: services.Recommendation) -> dict:
        c = rec.candidate
        return {
            "item": c.key,
            "kind": c.kind,
            "title": c.title,
            "subtitle": c.shown_subtitle,
            "url": c.url,
            "starts_at": c.starts_at,
            "price_minor": c.price_minor,
            "currency": c.currency,
            "position": rec.position,
            "score": round(rec.item.score, 6),
            "parts": {k: round(v, 6) for k, v in rec.item.parts.items()},
            "explanation": rec.item.explanation,
            "exploration": rec.item.exploration,
            "impression_id": rec.impression_id,
            "sponsored": rec.sponsored,
        }


class RecommendationListSerializer(serializers.Serializer):
    results = RecommendedItemSerializer(many=True)
    generated_at = serializers.DateTimeField()
    personalised = serializers.BooleanField()
    models = serializers.ListField(child=serializers.CharField(), help_text="Recommenders that contributed.")
    experiment = serializers.IntegerField(allow_null=True, help_text="The active A/B experiment, if any.")
    variant = serializers.CharField(
        allow_blank=True,
        help_text='Your variant in it ("control" outside the split; empty without an experiment).',
    )


LIMIT = OpenApiParameter(
    "limit",
    {"type": "integer", "minimum": 1, "maximum": services.MAX_LIMIT},
    description=f"How many items, 1 to {services.MAX_LIMIT} (10).",
)


def _limit(request: Request) -> int:
    raw = request.query_params.get("limit", "10")
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({"limit": [f"Expected a whole number from 1 to {services.MAX_LIMIT}."]}) from None
    if not 1 <= value <= services.MAX_LIMIT:
        raise ValidationError({"limit": [f"Expected a whole number from 1 to {services.MAX_LIMIT}."]})
    return value


def _render(result: services.RecommendationList, request: Request | None = None, surface: str = "api") -> Response:
    if request is not None:  # sponsored slots: a separate step after ranking, counted per view
        result = place_recommendations(result, request.user, surface=surface)
    data = {
        "results": [RecommendedItemSerializer.from_recommendation(r) for r in result.items],
        "generated_at": result.generated_at,
        "personalised": result.personalised,
        "models": result.models,
        "experiment": result.experiment_id,
        "variant": result.variant,
    }
    response = Response(RecommendationListSerializer(data).data)
    if any(item.sponsored for item in result.items):
        mark_uncacheable(response)
    return response


class RecommendationsView(APIView):
    permission_classes = [IsAuthenticated]
    kinds: tuple[str, ...] = ("mentor", "session")

    @extend_schema(
        parameters=[LIMIT],
        responses=RecommendationListSerializer,
        summary="Recommended for you (mentors and sessions)",
        description="The hybrid list for the signed-in learner: bookable items only, diversified, each with its "
        "score parts, an explanation and an impression id for feedback.",
    )
    def get(self, request: Request) -> Response:
        return _render(
            services.recommend(request.user, site_id=_site_id(request), kinds=self.kinds, limit=_limit(request)),
            request,
            "api-recommendations",
        )


class MentorRecommendationsView(RecommendationsView):
    kinds = ("mentor",)

    @extend_schema(
        parameters=[LIMIT],
        responses=RecommendationListSerializer,
        summary="Recommended mentors",
        description="As `recommendations/`, mentors only.",
    )
    def get(self, request: Request) -> Response:
        return super().get(request)


class TrendingView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        parameters=[LIMIT],
        responses=RecommendationListSerializer,
        summary="Trending mentors and sessions",
        description="Items whose interest grew most in the recent period, popular ones filling in; "
        "open to visitors who are not signed in.",
    )
    def get(self, request: Request) -> Response:
        return _render(
            services.trending(request.user, site_id=_site_id(request), limit=_limit(request)), request, "api-trending"
        )


#: An item key as the lists give it: a kind and an id in ASCII digits.
ITEM_KEY = r"^(mentor|session):[0-9]{1,18}$"


class FeedbackSerializer(serializers.Serializer):
    impression_id = serializers.UUIDField()
    item = serializers.RegexField(
        ITEM_KEY,
        max_length=32,
        help_text='Item key, e.g. "mentor:12" or "session:7".',
        error_messages={"invalid": gettext_lazy('Expected an item key such as "mentor:12" or "session:7".')},
    )
    event = serializers.ChoiceField(choices=list(services.FEEDBACK_KINDS))
    surface = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    position = serializers.IntegerField(min_value=1, max_value=1000, required=False, allow_null=True, default=None)


class FeedbackResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    impression_id = serializers.UUIDField()
    item = serializers.CharField()
    event = serializers.CharField()
    variant = serializers.CharField(allow_blank=True, help_text="The A/B variant recorded with it.")
    created = serializers.BooleanField(help_text="False when this exact report was already recorded.")
    recorded_at = serializers.DateTimeField()


class Conflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class FeedbackView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=FeedbackSerializer,
        responses={
            201: FeedbackResultSerializer,
            200: OpenApiResponse(FeedbackResultSerializer, description="The same report again: nothing new recorded."),
            400: OpenApiResponse(
                description="Bad or unknown item (a session you cannot see counts as unknown), unknown event; "
                "nothing recorded."
            ),
            409: OpenApiResponse(description="The impression id belongs to another item; nothing recorded."),
        },
        summary="Report what happened to a recommended item",
        description="`impression` when shown, `click`, `dismiss` (hides it from your lists), `book`. "
        "Idempotent per impression id and event.",
    )
    def post(self, request: Request) -> Response:
        form = FeedbackSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            event, created = services.record_feedback(
                request.user,
                impression_id=data["impression_id"],
                item=data["item"].strip(),
                kind=data["event"],
                surface=data["surface"] or "api",
                position=data["position"],
                site_id=_site_id(request),
            )
        except services.FeedbackError as exc:
            if exc.status == 409:
                error = Conflict(exc.message, code=exc.code)
                raise error from exc
            raise ValidationError({exc.field: [exc.message]}, code=exc.code) from exc
        body = {
            "id": event.pk,
            "impression_id": event.impression_id,
            "item": event.item,
            "event": event.kind,
            "variant": event.variant,
            "created": created,
            "recorded_at": event.created_at,
        }
        return Response(FeedbackResultSerializer(body).data, status=status.HTTP_201_CREATED if created else 200)
