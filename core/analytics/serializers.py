"""Shapes of the analytics API's answers (for the OpenAPI schema; the views build plain dicts)."""

from __future__ import annotations

from rest_framework import serializers


class SkillDemandSerializer(serializers.Serializer):
    skill = serializers.CharField()
    slug = serializers.CharField()
    searches = serializers.IntegerField(help_text="Searches filtered by the skill, last 30 days.")
    views = serializers.IntegerField(help_text="Views of mentor pages teaching it, last 30 days.")
    bookings = serializers.IntegerField(help_text="Bookings of sessions tagged with it, last 30 days.")
    mentors = serializers.IntegerField(help_text="Live mentors teaching it in this currency.")
    median_rate_minor = serializers.IntegerField(allow_null=True)
    utilisation = serializers.FloatField(allow_null=True, help_text="Booked / offered hours of its mentors, 90 days.")


class PriceSuggestionSerializer(serializers.Serializer):
    currency = serializers.CharField()
    duration_minutes = serializers.IntegerField()
    skills = serializers.ListField(child=serializers.CharField())
    basis = serializers.ChoiceField(choices=["demand_model", "peer_prices", "none"])
    low_minor = serializers.IntegerField(allow_null=True)
    suggested_minor = serializers.IntegerField(allow_null=True)
    high_minor = serializers.IntegerField(allow_null=True)
    per_hour_minor = serializers.IntegerField(allow_null=True)
    current_minor = serializers.IntegerField(allow_null=True, help_text="The mentor's hourly rate for this length.")
    low = serializers.CharField(allow_null=True, help_text="The same amounts as decimals, e.g. 35.00.")
    suggested = serializers.CharField(allow_null=True)
    high = serializers.CharField(allow_null=True)
    per_hour = serializers.CharField(allow_null=True)
    current = serializers.CharField(allow_null=True)
    booking_probability = serializers.FloatField(allow_null=True)
    reasoning = serializers.ListField(child=serializers.CharField())
    demand = SkillDemandSerializer(many=True)
    model_id = serializers.IntegerField(allow_null=True)


class SuccessSerializer(serializers.Serializer):
    booking = serializers.IntegerField()
    probability = serializers.FloatField(allow_null=True, help_text="Chance it ends completed; null without a model.")
    helps = serializers.ListField(child=serializers.CharField())
    hurts = serializers.ListField(child=serializers.CharField())
    model_id = serializers.IntegerField(allow_null=True)
    reason = serializers.CharField(allow_blank=True)


class PathOfferSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    url = serializers.CharField()


class PathStepSerializer(serializers.Serializer):
    skill = serializers.CharField()
    slug = serializers.CharField()
    is_goal = serializers.BooleanField()
    share = serializers.FloatField(allow_null=True)
    mentors = PathOfferSerializer(many=True)
    sessions = PathOfferSerializer(many=True)


class LearningPathSerializer(serializers.Serializer):
    goal = serializers.CharField()
    basis = serializers.ChoiceField(choices=["platform", "no_history"])
    learners_reached = serializers.IntegerField()
    message = serializers.CharField()
    known = serializers.ListField(child=serializers.CharField())
    steps = PathStepSerializer(many=True)
    next_skills = serializers.ListField(child=serializers.CharField())


class AtRiskSerializer(serializers.Serializer):
    learner = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.EmailField()
    probability = serializers.FloatField()
    reasons = serializers.ListField(child=serializers.CharField())
    computed_at = serializers.DateTimeField()


class TilesSerializer(serializers.Serializer):
    bookings_today = serializers.IntegerField()
    sessions_in_progress = serializers.IntegerField()
    revenue_today = serializers.ListField(child=serializers.DictField())
    as_of = serializers.DateTimeField()


class ReportSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    granularity = serializers.CharField()
    skill = serializers.CharField(allow_null=True)
    periods = serializers.ListField(child=serializers.DictField())
    series = serializers.DictField(help_text="Metric -> one value per period (null: nothing to divide).")
    money = serializers.DictField(
        help_text="Metric -> currency -> minor units per period; never summed across currencies."
    )
    totals = serializers.DictField()
    cohorts = serializers.ListField(child=serializers.DictField())
    skills = serializers.ListField(child=serializers.DictField())
