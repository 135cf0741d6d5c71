"""Serializers of booking questions, answers, approval requests and proposed times."""

from __future__ import annotations

from datetime import UTC, datetime

from rest_framework import serializers

from core.scheduling.serializers import AwareDateTimeField, BookingSerializer

from .models import MAX_CHOICES, MAX_QUESTIONS, ApprovalRequest, ApprovalSettings, BookingAnswer, BookingQuestion


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class AnswersSerializer(serializers.Serializer):
    """The body of a booking: the learner's answers to the mentor's questions."""

    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Question id (as a string) to the answer's text; a choice question takes one of its choices.",
    )


class QuestionSerializer(serializers.ModelSerializer):
    choices = serializers.ListField(child=serializers.CharField(max_length=100), max_length=MAX_CHOICES, required=False)
    max_length = serializers.IntegerField(
        required=False, min_value=1, help_text="Longest answer in characters (default: 200 short, 4000 long)."
    )

    class Meta:
        model = BookingQuestion
        fields = ["id", "position", "kind", "label", "help_text", "required", "max_length", "choices"]
        read_only_fields = ["id", "position"]
        extra_kwargs = {"help_text": {"required": False, "allow_blank": True}, "required": {"required": False}}


class QuestionListSerializer(serializers.Serializer):
    questions = QuestionSerializer(many=True, max_length=MAX_QUESTIONS)


class ApprovalSettingsSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=ApprovalSettings.MODE_CHOICES)
    short_notice_hours = serializers.IntegerField(min_value=1, max_value=24 * 30, required=False)


class MentorQuestionsSerializer(serializers.Serializer):
    """What a learner is asked before booking a mentor, and whether the mentor approves first."""

    questions = QuestionSerializer(many=True)
    approval = ApprovalSettingsSerializer()
    decision_hours = serializers.IntegerField(help_text="How long the mentor has to decide, at most")


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = BookingAnswer
        fields = ["question", "label", "kind", "value"]
        read_only_fields = fields


class ProposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    status = serializers.CharField()

    def get_start(self, obj) -> str:
        return _utc(obj.starts_at)

    def get_end(self, obj) -> str:
        return _utc(obj.ends_at)


class ApprovalSerializer(serializers.ModelSerializer):
    decide_by = serializers.SerializerMethodField()
    decided_at = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalRequest
        fields = ["decision", "decide_by", "decided_at", "reason"]
        read_only_fields = fields

    def get_decide_by(self, obj) -> str:
        return _utc(obj.decide_by)

    def get_decided_at(self, obj) -> str | None:
        return _utc(obj.decided_at)


class BookingRequestSerializer(serializers.Serializer):
    """A booking with the learner's answers, its approval and any proposed times."""

    booking = BookingSerializer()
    answers = AnswerSerializer(many=True)
    approval = ApprovalSerializer(allow_null=True)
    proposals = ProposalSerializer(many=True)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class ProposeSerializer(serializers.Serializer):
    starts = serializers.ListField(child=AwareDateTimeField(), min_length=1, max_length=3)
