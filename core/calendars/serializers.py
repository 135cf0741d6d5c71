"""REST shapes of the mentor's calendar connection (secrets are write-only: never serialised)."""

from __future__ import annotations

from rest_framework import serializers


class ProviderSerializer(serializers.Serializer):
    identifier = serializers.CharField()
    display_name = serializers.CharField()
    fields = serializers.ListField(child=serializers.DictField(), help_text="What to send in `values`")


class CalendarInfoSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    writable = serializers.BooleanField()


class ConnectionSerializer(serializers.Serializer):
    connected = serializers.BooleanField()
    provider = serializers.CharField(allow_blank=True)
    settings = serializers.DictField(help_text="The non-secret values; secrets are never sent back")
    secrets_stored = serializers.ListField(child=serializers.CharField())
    calendar_id = serializers.CharField(allow_blank=True)
    calendar_name = serializers.CharField(allow_blank=True)
    last_synced_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    last_error_code = serializers.CharField(allow_blank=True)
    last_error_at = serializers.DateTimeField(allow_null=True)
    stale = serializers.BooleanField(help_text="The busy times in force may be out of date")
    busy_intervals = serializers.IntegerField(help_text="Busy intervals read from the calendar")
    providers = ProviderSerializer(many=True)


class ConnectInputSerializer(serializers.Serializer):
    provider = serializers.CharField(max_length=100)
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=2000),
        help_text="The provider's connection fields (see `providers`); an empty secret keeps the stored one",
    )
    calendar_id = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class ChooseInputSerializer(serializers.Serializer):
    calendar_id = serializers.CharField(max_length=1000)


class TestResultSerializer(serializers.Serializer):
    calendars = CalendarInfoSerializer(many=True)


class RefreshResultSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    detail = serializers.CharField(allow_blank=True)
    code = serializers.CharField(allow_blank=True)
    connection = ConnectionSerializer()
