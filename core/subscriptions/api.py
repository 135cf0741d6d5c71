"""REST endpoints of premium plans (under /api/): plans, the caller's subscription, subscribe, change, cancel.

Refusals become JSON with a reason (400 naming the field, 403, 409, 502 when
the gateway failed and nothing was recorded) through the API's error handler.
"""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.models import Site

from core.api.errors import as_api_exception
from core.api.middleware import MAX_ID
from core.api.refusals import Refusal

from . import benefits
from .errors import SubscriptionConflict
from .models import Plan, Subscription
from .services import billing

ERROR = OpenApiResponse(description='{"detail": ..., "code": ..., "errors"?: {field: [...]}}')


def _site_id(request: Request) -> int | None:
    site = Site.find_for_request(request._request)
    return site.pk if site else None


class PriceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    currency = serializers.CharField()
    interval = serializers.CharField()
    amount_minor = serializers.IntegerField()
    display = serializers.CharField()


class PlanSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    description = serializers.CharField()
    trial_days = serializers.IntegerField()
    commission_percent = serializers.DecimalField(max_digits=5, decimal_places=2, allow_null=True)
    sponsored_placements = serializers.BooleanField()
    group_capacity = serializers.IntegerField(allow_null=True)
    insights = serializers.BooleanField()
    badge = serializers.CharField()
    prices = PriceSerializer(many=True, source="prices.all")


class InvoiceSerializer(serializers.Serializer):
    reference = serializers.CharField()
    status = serializers.CharField()
    amount_minor = serializers.IntegerField()
    currency = serializers.CharField()
    period_end = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class SubscriptionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    plan = serializers.CharField(source="plan.slug")
    price = serializers.IntegerField(source="price_id")
    gateway = serializers.CharField()
    status = serializers.CharField()
    grants_benefits = serializers.SerializerMethodField()
    current_period_end = serializers.DateTimeField(allow_null=True)
    cancel_at_period_end = serializers.BooleanField()
    grace_until = serializers.DateTimeField(allow_null=True)
    invoices = InvoiceSerializer(many=True, source="invoices.all")

    def get_grants_benefits(self, obj: Subscription) -> bool:
        return obj.grants_benefits()


class SubscribeSerializer(serializers.Serializer):
    price = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="A plan price id from GET /api/plans/.")
    gateway = serializers.CharField(max_length=50)


class ChangeSerializer(serializers.Serializer):
    price = serializers.IntegerField(min_value=1, max_value=MAX_ID)


class ConfirmSerializer(serializers.Serializer):
    setup_intent = serializers.CharField(max_length=255, required=False, help_text="Stripe: the SetupIntent id.")


def _refused(exc: Refusal):
    raise as_api_exception(exc) from exc


class PlanListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(summary="Premium mentor plans", responses={200: PlanSerializer(many=True)}, tags=["plans"])
    def get(self, request: Request) -> Response:
        plans = Plan.objects.filter(active=True).prefetch_related("prices")
        return Response(PlanSerializer(plans, many=True).data)


def _current(request: Request) -> Subscription:
    current = benefits.live_subscription(request.user.pk)
    if current is None:
        _refused(SubscriptionConflict(gettext("You have no plan."), code="no_plan"))
    return current


class MySubscriptionView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Your plan, its state and billing history",
        responses={200: SubscriptionSerializer(many=True)},
        tags=["plans"],
    )
    def get(self, request: Request) -> Response:
        mine = Subscription.objects.filter(mentor=request.user).select_related("plan").prefetch_related("invoices")
        return Response(SubscriptionSerializer(mine, many=True).data)


class SubscribeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Start subscribing to a plan price",
        request=SubscribeSerializer,
        responses={201: OpenApiResponse(description="The subscription and the gateway's client data"), 400: ERROR},
        tags=["plans"],
    )
    def post(self, request: Request) -> Response:
        data = SubscribeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            price = billing.find_price(data.validated_data["price"])
            started = billing.start(request.user, price, data.validated_data["gateway"], site_id=_site_id(request))
        except Refusal as exc:
            _refused(exc)
        return Response(
            {
                "subscription": SubscriptionSerializer(started.subscription).data,
                "gateway": started.routed.identifier,
                "client_data": dict(started.setup.client_data),
            },
            status=201,
        )


class ConfirmView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Create the gateway's subscription once the card is saved (the webhook confirms it)",
        request=ConfirmSerializer,
        responses={200: SubscriptionSerializer, 409: ERROR, 502: ERROR},
        tags=["plans"],
    )
    def post(self, request: Request) -> Response:
        data = ConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            subscription = billing.confirm(_current(request), dict(data.validated_data), site_id=_site_id(request))
        except Refusal as exc:
            _refused(exc)
        return Response(SubscriptionSerializer(subscription).data)


class ChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Upgrade or downgrade now (prorated)",
        request=ChangeSerializer,
        responses={200: SubscriptionSerializer, 400: ERROR, 409: ERROR},
        tags=["plans"],
    )
    def post(self, request: Request) -> Response:
        data = ChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            price = billing.find_price(data.validated_data["price"])
            subscription = billing.change_plan(_current(request), price, site_id=_site_id(request))
        except Refusal as exc:
            _refused(exc)
        return Response(SubscriptionSerializer(subscription).data)


class CancelView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Cancel at the end of the paid period",
        request=None,
        responses={200: SubscriptionSerializer, 409: ERROR},
        tags=["plans"],
    )
    def post(self, request: Request) -> Response:
        try:
            subscription = billing.cancel(_current(request), site_id=_site_id(request))
        except Refusal as exc:
            _refused(exc)
        return Response(SubscriptionSerializer(subscription).data)
