"""REST endpoints of the catalogue: mentor search and profiles (reviews are in ``reviews_api``)."""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import exceptions, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.pagination import PageNumberPagination
from core.api.schema import ErrorSerializer
from core.sponsorship.placement import mark_uncacheable, place_search
from core.taxonomy.models import Skill

from .models import MentorPage
from .reviews import MAX_COMMENT, ReviewError, approved_reviews, submit_review
from .search import MAX_FREE_WITHIN_DAYS, FilterError, parse_filters, search_mentors
from .services import live_mentor_pages, upcoming_sessions

PHOTO_RENDITION = "fill-256x256"

#: ``mentors_searched(sender=MentorListView, filters, user_id, page)``: a search with at least one
#: filter was answered (never for a refused one). Analytics logs it like the mentor index page's search.
mentors_searched = Signal()


class CataloguePagination(PageNumberPagination):
    """Mentors and reviews: 20 a page."""


@extend_schema_serializer(component_name="MentorSkill")
class SkillSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["id", "name", "slug", "category"]


class MentorSerializer(serializers.Serializer):
    """A mentor as the catalogue lists them; ``id`` is the mentor's user id (as in the booking endpoints)."""

    id = serializers.IntegerField(source="user_id")
    page_id = serializers.IntegerField(source="pk")
    url = serializers.SerializerMethodField()
    display_name = serializers.CharField()
    headline = serializers.CharField()
    skills = SkillSerializer(many=True)
    languages = serializers.ListField(child=serializers.CharField())
    time_zone = serializers.CharField()
    hourly_rate = serializers.SerializerMethodField(help_text="Decimal string in the currency's major unit")
    currency = serializers.CharField()
    rating_average = serializers.DecimalField(max_digits=3, decimal_places=2)
    rating_count = serializers.IntegerField()
    photo = serializers.SerializerMethodField(help_text="URL of a 256x256 crop of the photo, or null")

    def get_url(self, page: MentorPage) -> str:
        request = self.context.get("request")
        url = page.get_url(request) or ""
        return request.build_absolute_uri(url) if request and url else url

    def get_hourly_rate(self, page: MentorPage) -> str:
        from core.scheduling.currency import to_decimal

        return str(to_decimal(page.hourly_rate_minor, page.currency))

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_photo(self, page: MentorPage) -> str | None:
        if page.photo is None:
            return None
        url = page.photo.get_rendition(PHOTO_RENDITION).url
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request else url


class MentorSearchResultSerializer(MentorSerializer):
    """A search result: organic, or a sponsored slot (``sponsored`` true, with its impression and click URL)."""

    sponsored = serializers.SerializerMethodField(help_text="True for a paid placement; always shown labelled.")
    impression_id = serializers.SerializerMethodField(help_text="A sponsored slot's impression id, else null.")
    click_url = serializers.SerializerMethodField(help_text="Follow it to open a sponsored mentor (counts the click).")

    def get_sponsored(self, page: MentorPage) -> bool:
        return bool(getattr(page, "sponsored_slot", None))

    def get_impression_id(self, page: MentorPage) -> str | None:
        slot = getattr(page, "sponsored_slot", None)
        return str(slot.impression_id) if slot else None

    def get_click_url(self, page: MentorPage) -> str | None:
        slot = getattr(page, "sponsored_slot", None)
        return self.context["request"].build_absolute_uri(slot.click_url) if slot else None


class SessionSummarySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    seats_taken = serializers.IntegerField()
    price = serializers.SerializerMethodField(help_text='Decimal string per seat; "0" is free')
    currency = serializers.CharField()

    def get_price(self, session: Any) -> str:
        from core.scheduling.currency import to_decimal

        return str(to_decimal(session.price_minor, session.currency))


class MentorDetailSerializer(MentorSerializer):
    bio = serializers.SerializerMethodField(help_text="The bio as HTML")
    book_url = serializers.SerializerMethodField()
    upcoming_sessions = serializers.SerializerMethodField()

    def get_bio(self, page: MentorPage) -> str:
        return str(page.bio.render_as_block()) if page.bio else ""

    def get_book_url(self, page: MentorPage) -> str:
        return f"/mentors/{page.user_id}/book/"

    @extend_schema_field(SessionSummarySerializer(many=True))
    def get_upcoming_sessions(self, page: MentorPage) -> list[dict[str, Any]]:
        return SessionSummarySerializer(upcoming_sessions(mentor_ids=[page.user_id], limit=20), many=True).data


SEARCH_PARAMETERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Words to find in name, headline, bio and skills"),
    OpenApiParameter(
        "skill", OpenApiTypes.STR, many=True, description="Skill slug; repeat for several (the mentor teaches all)"
    ),
    OpenApiParameter("language", OpenApiTypes.STR, description="ISO 639-1 code the mentor teaches in, e.g. en"),
    OpenApiParameter("currency", OpenApiTypes.STR, description="Only mentors priced in this ISO 4217 currency"),
    OpenApiParameter(
        "price_currency",
        OpenApiTypes.STR,
        description="Currency of min_price and max_price (default: `currency`, else the site's reference currency); "
        "bounds are converted to each mentor's currency with the exchange rates of /api/exchange-rates/, and "
        "mentors priced in a currency without a rate are left out of a price-bounded search",
    ),
    OpenApiParameter("min_price", OpenApiTypes.DECIMAL, description="Lowest hourly rate in major units"),
    OpenApiParameter("max_price", OpenApiTypes.DECIMAL, description="Highest hourly rate in major units"),
    OpenApiParameter(
        "min_rating", {"type": "number", "minimum": 0, "maximum": 5}, description="Lowest average rating, 0 to 5"
    ),
    OpenApiParameter(
        "free_within_days",
        {"type": "integer", "minimum": 1, "maximum": MAX_FREE_WITHIN_DAYS},
        description=f"Has a free slot in the next N days (1 to {MAX_FREE_WITHIN_DAYS})",
    ),
]


class MentorListView(APIView):
    """Search the catalogue of mentors."""

    permission_classes = [AllowAny]
    pagination_class = CataloguePagination

    @extend_schema(
        parameters=SEARCH_PARAMETERS,
        responses=MentorSearchResultSerializer(many=True),
        summary="Search mentors",
        description="Live mentor pages matching every filter; ranked by relevance with `q`, else by rating. "
        "Sponsored mentors take marked slots (at most one in every five results, `sponsored: true`). "
        "A bad filter answers 400 naming the parameter in `errors`.",
    )
    def get(self, request: Request) -> Response:
        try:
            filters = parse_filters(request.query_params)
        except FilterError as exc:
            raise serializers.ValidationError({exc.param: [exc.message]}) from exc
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(search_mentors(filters), request, view=self)
        if filters.active:
            user_id = request.user.pk if request.user.is_authenticated else None
            page_number = str(request.query_params.get(paginator.page_query_param, "1"))
            mentors_searched.send(sender=MentorListView, filters=filters, user_id=user_id, page=page_number)
        placed = place_search(page, filters, request.user, surface="api-search")
        for slot in placed:
            if slot.sponsored:
                slot.item.sponsored_slot = slot
        data = MentorSearchResultSerializer(
            [slot.item for slot in placed], many=True, context={"request": request}
        ).data
        return mark_uncacheable(paginator.get_paginated_response(data), placed)


class MentorDetailView(APIView):
    """One mentor's public profile, by user id."""

    permission_classes = [AllowAny]

    @extend_schema(responses=MentorDetailSerializer, summary="A mentor's profile")
    def get(self, request: Request, user_id: int) -> Response:
        page = (
            live_mentor_pages()
            .select_related("user", "photo")
            .prefetch_related("skills")
            .filter(user_id=user_id)
            .first()
        )
        if page is None:
            raise exceptions.NotFound(gettext("No mentor with this id."))
        return Response(MentorDetailSerializer(page, context={"request": request}).data)


class ReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    booking = serializers.IntegerField(source="booking_id", help_text="Id of your completed booking")
    rating = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=MAX_COMMENT, default="")
    status = serializers.CharField(read_only=True, help_text="pending, approved or rejected")
    created = serializers.DateTimeField(read_only=True)


class PublicReviewSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    rating = serializers.IntegerField()
    comment = serializers.CharField()
    author = serializers.CharField(source="author_name")
    created = serializers.DateTimeField()


class ReviewCreateView(APIView):
    """A learner rates one of their completed bookings, once; the review waits for an editor."""

    @extend_schema(
        request=ReviewSerializer,
        responses={
            201: ReviewSerializer,
            404: OpenApiResponse(ErrorSerializer, description="No booking of yours with this id."),
        },
        summary="Review a completed booking",
        description="Only the learner of a completed booking, only once: 403 for someone else's booking, "
        "404 for an unknown one, 409 when it is not completed or already reviewed. The review shows on the "
        "mentor's page, and counts in the rating, once an editor approves it.",
    )
    def post(self, request: Request) -> Response:
        serializer = ReviewSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            review = submit_review(request.user, data["booking_id"], data["rating"], data.get("comment", ""))
        except ReviewError as exc:
            raise _api_error(exc) from exc
        return Response(ReviewSerializer(review).data, status=status.HTTP_201_CREATED)


def _api_error(exc: ReviewError) -> exceptions.APIException:
    if exc.status == 400:
        return serializers.ValidationError({exc.field: [exc.message]})
    if exc.status == 403:
        return exceptions.PermissionDenied(exc.message)
    if exc.status == 404:
        return exceptions.NotFound(exc.message)
    conflict = exceptions.APIException(exc.message, code=exc.code)
    conflict.status_code = status.HTTP_409_CONFLICT
    return conflict


class MentorReviewsView(APIView):
    """A mentor's approved reviews, newest first."""

    permission_classes = [AllowAny]
    pagination_class = CataloguePagination

    @extend_schema(responses=PublicReviewSerializer(many=True), summary="A mentor's reviews")
    def get(self, request: Request, user_id: int) -> Response:
        if not live_mentor_pages().filter(user_id=user_id).exists():
            raise exceptions.NotFound(gettext("No mentor with this id."))
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(approved_reviews(user_id), request, view=self)
        return paginator.get_paginated_response(PublicReviewSerializer(page, many=True).data)


class ExchangeRateSerializer(serializers.Serializer):
    currency = serializers.CharField()
    per_reference = serializers.DecimalField(max_digits=18, decimal_places=6, coerce_to_string=True)
    updated_at = serializers.DateTimeField()


class ExchangeRatesSerializer(serializers.Serializer):
    reference = serializers.CharField(help_text="The currency every rate is relative to (worth 1)")
    rates = ExchangeRateSerializer(many=True)


class ExchangeRatesView(APIView):
    """The editors' exchange rates the mentor search compares prices with."""

    permission_classes = [AllowAny]

    @extend_schema(responses=ExchangeRatesSerializer, summary="Exchange rates used to compare prices")
    def get(self, request: Request) -> Response:
        from .exchange import reference_currency
        from .models import ExchangeRate

        data = {"reference": reference_currency(), "rates": ExchangeRate.objects.all()}
        return Response(ExchangeRatesSerializer(data).data)
