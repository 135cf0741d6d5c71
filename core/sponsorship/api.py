"""REST endpoints of sponsored placements: campaigns (create, list with their reports)."""

from __future__ import annotations

from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.errors import as_api_exception
from core.api.middleware import MAX_ID
from core.api.refusals import Refusal

from . import services
from .models import Campaign

ERROR = OpenApiResponse(description='{"detail": ..., "code": ..., "errors"?: {field: [...]}}')


class CampaignInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    mentor = serializers.IntegerField(
        required=False, min_value=1, max_value=MAX_ID, help_text="Editors only: the mentor to sponsor."
    )
    skills = serializers.ListField(child=serializers.CharField(max_length=80), required=False, max_length=50)
    topics = serializers.CharField(max_length=255, required=False, allow_blank=True)
    starts_on = serializers.CharField(max_length=10)
    ends_on = serializers.CharField(max_length=10)
    pricing = serializers.ChoiceField(choices=[c for c, _ in Campaign.PRICING_CHOICES])
    price = serializers.CharField(max_length=24, help_text="Major units, e.g. 2.50: per day or per 1,000 impressions.")
    daily_budget = serializers.CharField(max_length=24, help_text="Major units.")
    currency = serializers.CharField(max_length=3, required=False)


class DaySerializer(serializers.Serializer):
    day = serializers.DateField()
    impressions = serializers.IntegerField()
    clicks = serializers.IntegerField()
    spend_minor = serializers.IntegerField()


class CampaignSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="campaign.pk")
    mentor = serializers.IntegerField(source="campaign.mentor_id")
    name = serializers.CharField(source="campaign.name")
    status = serializers.CharField(source="campaign.status")
    skills = serializers.SerializerMethodField()
    topics = serializers.CharField(source="campaign.topics")
    starts_on = serializers.DateField(source="campaign.starts_on")
    ends_on = serializers.DateField(source="campaign.ends_on")
    pricing = serializers.CharField(source="campaign.pricing")
    price_minor = serializers.IntegerField(source="campaign.price_minor")
    daily_budget_minor = serializers.IntegerField(source="campaign.daily_budget_minor")
    currency = serializers.CharField(source="campaign.currency")
    impressions = serializers.IntegerField()
    clicks = serializers.IntegerField()
    spend_minor = serializers.IntegerField()
    days = DaySerializer(many=True)

    def get_skills(self, report) -> list[str]:
        return [s.slug for s in report.campaign.skills.all()]


class CampaignListView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="Your sponsored campaigns with their reports (editors: every campaign)",
        responses={200: CampaignSerializer(many=True)},
        tags=["sponsored"],
    )
    def get(self, request: Request) -> Response:
        campaigns = Campaign.objects.prefetch_related("skills", "days")
        if not request.user.is_staff:
            campaigns = campaigns.filter(mentor=request.user)
        return Response(CampaignSerializer([services.report(c) for c in campaigns], many=True).data)

    @extend_schema(
        summary="Start a sponsored campaign",
        request=CampaignInputSerializer,
        responses={201: CampaignSerializer, 400: ERROR, 403: ERROR},
        tags=["sponsored"],
    )
    def post(self, request: Request) -> Response:
        from core.accounts.models import User

        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        mentor = None
        if "mentor" in values:
            mentor = User.objects.filter(pk=values.pop("mentor")).first()
            if mentor is None:
                raise serializers.ValidationError({"mentor": [gettext("No such mentor.")]})
        try:
            campaign = services.create_campaign(request.user, values, mentor=mentor)
        except Refusal as exc:
            raise as_api_exception(exc) from exc
        return Response(CampaignSerializer(services.report(campaign)).data, status=201)
