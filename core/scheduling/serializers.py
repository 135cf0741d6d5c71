"""Serializers of sessions, bookings, slots and the waitlist (reused by payments and dashboards).

Times go out as ISO 8601 in UTC (``start``, ``end``) and, where a person reads
them, also in the viewer's zone (``start_local``, ``time_zone``); money as a
decimal string with exactly the currency's places plus the integer minor units.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext, gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.taxonomy.models import Skill

from . import currency as money
from .models import Booking, Session, WaitlistEntry
from .services.bookings import seats_left
from .services.sessions import MAX_CAPACITY, MAX_DURATION, MIN_DURATION


def _utc(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat().replace("+00:00", "Z")


MIN_YEAR, MAX_YEAR = 1970, 2999  # far from datetime's limits, so date arithmetic never overflows


@extend_schema_field(OpenApiTypes.DATETIME)
class AwareDateTimeField(serializers.Field):
    """An ISO 8601 date-time that must carry its UTC offset ("2026-12-07T10:00:00+01:00" or "...Z")."""

    default_error_messages = {
        "invalid": gettext_lazy("Use ISO 8601 with an offset, e.g. 2026-12-07T10:00:00+01:00."),
        "naive": gettext_lazy("Give the UTC offset (e.g. +01:00 or Z): a time without one is ambiguous."),
        "range": gettext_lazy("That date is out of range."),
    }

    def to_internal_value(self, data) -> datetime:
        if isinstance(data, datetime):
            parsed = data
        else:
            try:
                parsed = parse_datetime(str(data).strip())
            except ValueError:
                parsed = None
        if parsed is None:
            self.fail("invalid")
        if parsed.tzinfo is None:
            self.fail("naive")
        if not MIN_YEAR <= parsed.year <= MAX_YEAR:
            self.fail("range")
        return parsed.astimezone(UTC)

    def to_representation(self, value: datetime) -> str | None:
        return _utc(value)


@extend_schema_field(OpenApiTypes.DATETIME)
class BoundField(serializers.Field):
    """A range bound for queries: a date (midnight in the viewer's zone) or a date-time."""

    default_error_messages = {"invalid": "Use a date (2026-12-07) or an ISO 8601 date-time with an offset."}

    def to_internal_value(self, data) -> datetime:
        text = str(data).strip()
        try:
            value = parse_datetime(text)
        except ValueError:
            value = None
        if value is None:
            try:
                day = parse_date(text)
            except ValueError:
                day = None
            if day is None:
                self.fail("invalid")
            value = datetime.combine(day, datetime.min.time())
        if not MIN_YEAR <= value.year <= MAX_YEAR:
            self.fail("invalid")
        if value.tzinfo is None:
            value = timezone.make_aware(value, timezone.get_current_timezone())
        return value.astimezone(UTC)

    def to_representation(self, value):
        return _utc(value)


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    display_name = serializers.CharField()
    time_zone = serializers.CharField()


class SkillRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Skill
        fields = ["slug", "name"]


class SessionSerializer(serializers.ModelSerializer):
    """A session as learners see it."""

    mentor = PersonSerializer(read_only=True)
    skills = SkillRefSerializer(many=True, read_only=True)
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    start_local = serializers.SerializerMethodField()
    time_zone = serializers.SerializerMethodField()
    duration_minutes = serializers.IntegerField(read_only=True)
    price = serializers.SerializerMethodField()
    seats_left = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()

    class Meta:
        model = Session
        fields = [
            "id",
            "title",
            "description",
            "mentor",
            "skills",
            "start",
            "end",
            "start_local",
            "time_zone",
            "duration_minutes",
            "capacity",
            "seats_left",
            "price",
            "price_minor",
            "currency",
            "status",
            "origin",
            "url",
        ]
        read_only_fields = fields

    def get_start(self, obj: Session) -> str:
        return _utc(obj.starts_at)

    def get_end(self, obj: Session) -> str:
        return _utc(obj.ends_at)

    def get_start_local(self, obj: Session) -> str:
        return obj.starts_at.astimezone(timezone.get_current_timezone()).isoformat()

    def get_time_zone(self, obj: Session) -> str:
        return str(timezone.get_current_timezone())

    def get_price(self, obj: Session) -> str:
        return str(money.to_decimal(obj.price_minor, obj.currency))

    def get_seats_left(self, obj: Session) -> int:
        if obj.status != Session.SCHEDULED:
            return 0
        if hasattr(obj, "seats_taken"):  # annotated by list views: no query per row
            return max(0, obj.capacity - obj.seats_taken)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return seats_left(obj, for_learner=user if user is not None and user.is_authenticated else None)

    def get_url(self, obj: Session) -> str:
        return obj.get_absolute_url()


class SessionBriefSerializer(serializers.ModelSerializer):
    mentor = PersonSerializer(read_only=True)

    class Meta:
        model = Session
        fields = ["id", "title", "mentor", "capacity", "status", "origin"]
        read_only_fields = fields


class BookingSerializer(serializers.ModelSerializer):
    """A booking (one learner's seat): status, times, frozen price, refund decided on cancellation."""

    session = SessionBriefSerializer(read_only=True)
    learner = PersonSerializer(read_only=True)
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    start_local = serializers.SerializerMethodField()
    time_zone = serializers.SerializerMethodField()
    price = serializers.SerializerMethodField()
    refund = serializers.SerializerMethodField()
    hold_expires_at = serializers.SerializerMethodField()

    class Meta:
        model = Booking
        fields = [
            "id",
            "status",
            "session",
            "learner",
            "start",
            "end",
            "start_local",
            "time_zone",
            "price",
            "price_minor",
            "currency",
            "hold_expires_at",
            "reschedule_count",
            "refund_percent",
            "refund",
            "refund_minor",
            "cancel_reason",
            "created_at",
            "confirmed_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_start(self, obj: Booking) -> str:
        return _utc(obj.starts_at)

    def get_end(self, obj: Booking) -> str:
        return _utc(obj.ends_at)

    def get_start_local(self, obj: Booking) -> str:
        return obj.starts_at.astimezone(timezone.get_current_timezone()).isoformat()

    def get_time_zone(self, obj: Booking) -> str:
        return str(timezone.get_current_timezone())

    def get_price(self, obj: Booking) -> str:
        return str(money.to_decimal(obj.price_minor, obj.currency))

    def get_refund(self, obj: Booking) -> str | None:
        return None if obj.refund_minor is None else str(money.to_decimal(obj.refund_minor, obj.currency))

    def get_hold_expires_at(self, obj: Booking) -> str | None:
        return _utc(obj.hold_expires_at)


class SessionCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=140)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    skills = serializers.SlugRelatedField(slug_field="slug", queryset=Skill.objects.all(), many=True, required=False)
    start = AwareDateTimeField(help_text="ISO 8601 with offset, e.g. 2026-12-07T10:00:00+01:00")
    duration_minutes = serializers.IntegerField(min_value=MIN_DURATION, max_value=MAX_DURATION)
    capacity = serializers.IntegerField(min_value=1, max_value=MAX_CAPACITY, default=1)
    price = serializers.CharField(
        max_length=32, default="0", help_text='Decimal string in the currency, "0" for free, e.g. "25.00"'
    )
    currency = serializers.CharField(max_length=3, default="EUR", help_text="ISO 4217 code, e.g. EUR, USD, INR, JPY")

    def validate_start(self, value: datetime) -> datetime:
        if value <= timezone.now():
            raise serializers.ValidationError(gettext("The start is in the past."))
        return value

    def validate_currency(self, value: str) -> str:
        try:
            return money.normalise_currency(value)
        except money.MoneyError as exc:
            raise serializers.ValidationError(exc.message) from None

    def validate(self, attrs: dict) -> dict:
        currency = attrs.get("currency", "EUR")
        try:
            attrs["price_minor"] = money.to_minor(attrs.get("price", "0"), currency)
        except money.MoneyError as exc:
            raise serializers.ValidationError({"price": [exc.message]}) from None
        return attrs


class SlotBookSerializer(serializers.Serializer):
    start = AwareDateTimeField(help_text="The slot's start as listed by the availability endpoint")
    duration_minutes = serializers.IntegerField(min_value=MIN_DURATION, max_value=MAX_DURATION)
    answers = serializers.DictField(
        child=serializers.CharField(allow_blank=True, trim_whitespace=False),
        required=False,
        help_text="Answers to the mentor's questions: question id (as a string) to text",
    )

    def validate_start(self, value: datetime) -> datetime:
        if value <= timezone.now():
            raise serializers.ValidationError(gettext("The start is in the past."))
        return value


class RescheduleSerializer(serializers.Serializer):
    start = AwareDateTimeField(required=False, help_text="A 1:1 booking: the new start (a free slot)")
    session = serializers.IntegerField(required=False, help_text="A group seat: the session to move to")

    def validate(self, attrs: dict) -> dict:
        if ("start" in attrs) == ("session" in attrs):
            raise serializers.ValidationError(
                {"start": [gettext("Give either a new start or another session, not both.")]}
            )
        return attrs


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class CancellationSerializer(serializers.Serializer):
    detail = serializers.CharField()
    session_cancelled = serializers.BooleanField()
    refund_percent = serializers.IntegerField()
    refund_minor = serializers.IntegerField()
    refund = serializers.CharField()
    currency = serializers.CharField()
    bookings = BookingSerializer(many=True)


class SlotSerializer(serializers.Serializer):
    start = serializers.CharField(help_text="UTC, ISO 8601")
    end = serializers.CharField(help_text="UTC, ISO 8601")
    start_local = serializers.CharField(help_text="In the viewer's zone")
    end_local = serializers.CharField()
    time_zone = serializers.CharField(help_text="The viewer's IANA zone")
    zone_abbr = serializers.CharField(help_text="Its abbreviation at that time, e.g. CET, EDT")
    length_minutes = serializers.IntegerField()


class AvailabilitySerializer(serializers.Serializer):
    mentor = serializers.IntegerField()
    mentor_time_zone = serializers.CharField()
    time_zone = serializers.CharField(help_text="The zone the local times are in (the viewer's)")
    start = serializers.CharField()
    end = serializers.CharField()
    lengths = serializers.ListField(child=serializers.IntegerField())
    slots = SlotSerializer(many=True)
    stale = serializers.BooleanField(
        help_text="True when the mentor's connected calendar could not be read lately: slots may be out of date"
    )
    busy_as_of = serializers.DateTimeField(
        allow_null=True, help_text="When the mentor's calendar was last read (null: no calendar)"
    )


class WaitlistEntrySerializer(serializers.ModelSerializer):
    session = SessionBriefSerializer(read_only=True)
    position = serializers.SerializerMethodField()
    offer_expires_at = serializers.SerializerMethodField()
    booking = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = WaitlistEntry
        fields = ["id", "session", "status", "position", "offered_at", "offer_expires_at", "booking", "created_at"]
        read_only_fields = fields

    def get_position(self, obj: WaitlistEntry) -> int:
        from .services.waitlist import position

        return position(obj)

    def get_offer_expires_at(self, obj: WaitlistEntry) -> str | None:
        return _utc(obj.offer_expires_at)


class StartSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    started_at = serializers.CharField()
    room_url = serializers.CharField()


WALL_CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9])?$"


@extend_schema_field({"type": "string", "pattern": WALL_CLOCK, "example": "09:00"})
class WallClockField(serializers.TimeField):
    """A time of day as ``hh:mm`` (seconds allowed on input), answered as ``hh:mm``."""

    default_error_messages = {"invalid": "Use a time of day as hh:mm, e.g. 09:00."}

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%H:%M", **kwargs)

    def to_internal_value(self, value):
        if not isinstance(value, str) or not re.match(WALL_CLOCK, value):
            self.fail("invalid")
        return super().to_internal_value(value)


class RangeSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday")
    start = WallClockField(help_text="Wall-clock time in the mentor's zone")
    end = WallClockField(help_text="00:00 means midnight")


class OverrideSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    date = serializers.DateField(help_text="A date on the mentor's calendar")
    kind = serializers.ChoiceField(choices=["available", "unavailable"])
    start = WallClockField(required=False, allow_null=True, source="start_time")
    end = WallClockField(required=False, allow_null=True, source="end_time")
    note = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class ProfileSettingsSerializer(serializers.Serializer):
    min_notice_minutes = serializers.IntegerField(min_value=0, max_value=60 * 24 * 30)
    horizon_days = serializers.IntegerField(min_value=1, max_value=366)
    buffer_minutes = serializers.IntegerField(min_value=0, max_value=240)
    slot_lengths = serializers.ListField(child=serializers.IntegerField(min_value=15, max_value=480), allow_empty=False)
    slot_step_minutes = serializers.IntegerField(min_value=5, max_value=240)


class MyAvailabilitySerializer(serializers.Serializer):
    time_zone = serializers.CharField(read_only=True)
    settings = ProfileSettingsSerializer(required=False)
    weekly = RangeSerializer(many=True, required=False)
    overrides = OverrideSerializer(many=True, read_only=True)
