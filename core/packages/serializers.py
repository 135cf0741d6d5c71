"""What the package endpoints read and answer."""

from __future__ import annotations

from rest_framework import serializers

from core.scheduling.currency import format_money

from .models import Package, PackagePrice, PackagePurchase


class PackagePriceSerializer(serializers.ModelSerializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=3, help_text="In major units, more than zero.")
    amount_minor = serializers.IntegerField(read_only=True)
    display = serializers.CharField(read_only=True)

    class Meta:
        model = PackagePrice
        fields = ["currency", "amount", "amount_minor", "display"]


class PackageSerializer(serializers.ModelSerializer):
    prices = PackagePriceSerializer(many=True, read_only=True)
    mentor_name = serializers.SerializerMethodField()

    class Meta:
        model = Package
        fields = [
            "id",
            "mentor",
            "mentor_name",
            "title",
            "description",
            "sessions",
            "duration_minutes",
            "validity_days",
            "active",
            "prices",
        ]
        read_only_fields = fields

    def get_mentor_name(self, obj: Package) -> str:
        return obj.mentor.display_name or ""


class PriceInputSerializer(serializers.Serializer):
    currency = serializers.CharField(max_length=3)
    amount = serializers.CharField(max_length=20, help_text="A positive amount in major units, e.g. 120.00.")


class PackageInputSerializer(serializers.Serializer):
    """Checked again by the service (the 400 names the field at fault): 1-50 sessions, positive prices."""

    title = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    sessions = serializers.IntegerField(required=False, help_text="1 to 50.")
    duration_minutes = serializers.IntegerField(required=False, help_text="15, 30, 45, 60, 90 or 120.")
    validity_days = serializers.IntegerField(required=False, help_text="1 to 730 days after purchase.")
    active = serializers.BooleanField(required=False)
    prices = PriceInputSerializer(many=True, required=False)


class PurchaseRequestSerializer(serializers.Serializer):
    gateway = serializers.SlugField(max_length=50, help_text="A gateway identifier, e.g. stripe, manual, giftcard.")
    currency = serializers.CharField(max_length=3, required=False, help_text="One of the package's currencies.")
    inputs = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        help_text="Values of the gateway's `checkout_fields` (e.g. a gift card code).",
    )


class PurchaseSerializer(serializers.ModelSerializer):
    package_title = serializers.CharField(source="package.title", read_only=True)
    mentor_name = serializers.SerializerMethodField()
    price = serializers.SerializerMethodField()

    class Meta:
        model = PackagePurchase
        fields = [
            "id",
            "package",
            "package_title",
            "mentor",
            "mentor_name",
            "status",
            "sessions",
            "duration_minutes",
            "credits_left",
            "credits_refunded",
            "credits_forfeited",
            "price_minor",
            "price",
            "currency",
            "created_at",
            "paid_at",
            "expires_at",
        ]
        read_only_fields = fields

    def get_mentor_name(self, obj: PackagePurchase) -> str:
        return obj.mentor.display_name or ""

    def get_price(self, obj: PackagePurchase) -> str:
        return format_money(obj.price_minor, obj.currency)


class PurchaseResponseSerializer(serializers.Serializer):
    purchase = PurchaseSerializer()
    gateway = serializers.CharField()
    payment = serializers.DictField(help_text="id, status, amount_minor, currency of the payment.")
    client_data = serializers.DictField(help_text="What the client needs to finish paying (as for a booking).")
    quote = serializers.DictField(help_text="Price, service fee, tax and total.")


class CreditBookingRequestSerializer(serializers.Serializer):
    start = serializers.DateTimeField(help_text="ISO 8601 with its UTC offset: one of the mentor's free slots.")
