"""Serializers of pricing: a price breakdown, a receipt, the coupon key of the pay request."""

from __future__ import annotations

from rest_framework import serializers

from core.scheduling.currency import to_decimal

from .models import Receipt


class QuoteSerializer(serializers.Serializer):
    """A price breakdown: minor units, plus decimal strings with the currency's places."""

    currency = serializers.CharField()
    price_minor = serializers.IntegerField()
    discount_minor = serializers.IntegerField()
    fee_minor = serializers.IntegerField()
    tax_minor = serializers.IntegerField()
    total_minor = serializers.IntegerField()
    price = serializers.CharField()
    discount = serializers.CharField()
    fee = serializers.CharField()
    tax = serializers.CharField()
    total = serializers.CharField()
    coupon_code = serializers.CharField(help_text="The coupon applied, or empty.")
    discount_bearer = serializers.CharField(help_text="platform or mentor (empty without a discount).")
    fee_refundable = serializers.BooleanField()
    tax_name = serializers.CharField()
    tax_percent = serializers.CharField()
    tax_country = serializers.CharField()
    prices_include_tax = serializers.BooleanField()


class CouponQuerySerializer(serializers.Serializer):
    coupon = serializers.CharField(required=False, allow_blank=True, max_length=40, default="")


class ReceiptSerializer(serializers.ModelSerializer):
    total = serializers.SerializerMethodField()
    pdf_url = serializers.SerializerMethodField()

    class Meta:
        model = Receipt
        fields = [
            "number",
            "kind",
            "issued_at",
            "booking",
            "purchase",
            "subscription_invoice",
            "payment",
            "refund",
            "currency",
            "net_minor",
            "tax_minor",
            "total_minor",
            "total",
            "tax_label",
            "seller",
            "buyer_details",
            "lines",
            "pdf_url",
        ]
        read_only_fields = fields

    def get_total(self, obj: Receipt) -> str:
        return str(to_decimal(obj.total_minor, obj.currency))

    def get_pdf_url(self, obj: Receipt) -> str:
        return f"/api/receipts/{obj.number}/pdf"
