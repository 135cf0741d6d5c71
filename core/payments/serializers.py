"""Serializers of payments: what a client needs to pay, a booking's payments, a mentor's earnings.

Money goes out as integer minor units plus the currency, and as a decimal
string with exactly the currency's places (``amount``), like scheduling's.
"""

from __future__ import annotations

from rest_framework import serializers

from core.scheduling.currency import MoneyError, to_decimal, to_minor
from core.scheduling.serializers import BookingSerializer

from .models import Payment, Refund


def decimal(amount_minor: int, currency: str) -> str:
    return str(to_decimal(amount_minor, currency))


class CheckoutFieldSerializer(serializers.Serializer):
    """A value an interactive gateway needs from the learner (send it in ``inputs`` of the pay request)."""

    name = serializers.CharField()
    label = serializers.CharField()
    kind = serializers.ChoiceField(choices=["str", "int", "email", "choice"])
    required = serializers.BooleanField()
    max_length = serializers.IntegerField()
    pattern = serializers.CharField(help_text="A regular expression the whole value must match; empty: any.")
    choices = serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    help_text = serializers.CharField()
    placeholder = serializers.CharField()


class GatewaySerializer(serializers.Serializer):
    identifier = serializers.CharField()
    display_name = serializers.CharField()
    manual_confirmation = serializers.BooleanField()
    currencies = serializers.ListField(child=serializers.CharField(), help_text="Empty: any currency.")
    checkout_fields = CheckoutFieldSerializer(many=True, help_text="What to send in `inputs` when paying.")
    confirms_at_start = serializers.BooleanField(help_text="Paying confirms the booking in the same request.")


class PayRequestSerializer(serializers.Serializer):
    gateway = serializers.SlugField(max_length=50, help_text="A gateway identifier, e.g. stripe, razorpay, manual.")
    coupon = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=40,
        help_text="A coupon code to apply; empty takes it off.",
    )
    inputs = serializers.DictField(
        child=serializers.CharField(max_length=500, allow_blank=True),
        required=False,
        help_text="Values of the gateway's `checkout_fields` (e.g. a gift card code), checked against them.",
    )


class RefundLineSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()

    class Meta:
        model = Refund
        fields = ["id", "status", "reason", "amount_minor", "amount", "currency", "reference", "created_at"]
        read_only_fields = fields

    def get_amount(self, obj: Refund) -> str:
        return decimal(obj.amount_minor, obj.currency)


class PaymentLineSerializer(serializers.ModelSerializer):
    amount = serializers.SerializerMethodField()
    refunds = RefundLineSerializer(many=True, read_only=True)

    class Meta:
        model = Payment
        fields = [
            "id",
            "gateway",
            "status",
            "reference",
            "amount_minor",
            "amount",
            "currency",
            "failure_message",
            "created_at",
            "succeeded_at",
            "refunds",
        ]
        read_only_fields = fields

    def get_amount(self, obj: Payment) -> str:
        return decimal(obj.amount_minor, obj.currency)


class PayResponseSerializer(serializers.Serializer):
    gateway = serializers.CharField()
    booking_status = serializers.CharField(help_text="`confirmed` when an instant gateway settled the payment.")
    payment = PaymentLineSerializer()
    client_data = serializers.DictField(
        help_text="What the client needs to finish paying: for Stripe client_secret and publishable_key, "
        "for Razorpay order_id and key_id, for bank transfer the reference and instructions."
    )


class BookingPaymentsSerializer(BookingSerializer):
    """A booking (scheduling's representation) with its payments and refunds."""

    payments = serializers.SerializerMethodField()
    price_breakdown = serializers.SerializerMethodField()

    class Meta(BookingSerializer.Meta):
        fields = [*BookingSerializer.Meta.fields, "payments", "price_breakdown"]
        read_only_fields = fields

    def get_price_breakdown(self, obj) -> dict | None:
        """What the learner pays (paid): price, discount, service fee, tax, total; hidden from the mentor."""
        if not self.context.get("show_payments", True):
            return None
        from core.pricing.services.breakdowns import booking_quote

        return booking_quote(obj).as_api()

    def get_payments(self, obj) -> list[dict]:
        if not self.context.get("show_payments", True):
            return []
        payments = obj.payments.prefetch_related("refunds").order_by("created_at", "id")
        return PaymentLineSerializer(payments, many=True).data


class RefundRequestSerializer(serializers.Serializer):
    amount_minor = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Minor units to refund; leave out (and amount) for everything left.",
    )
    amount = serializers.CharField(
        required=False,
        max_length=24,
        help_text='Or a decimal amount in the booking\'s currency, e.g. "12.50".',
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=255, default="")

    def validate(self, attrs: dict) -> dict:
        if "amount_minor" in attrs and "amount" in attrs:
            raise serializers.ValidationError({"amount": ["Give amount or amount_minor, not both."]})
        if "amount" in attrs:
            currency = self.context["currency"]
            try:
                attrs["amount_minor"] = to_minor(attrs.pop("amount"), currency)
            except MoneyError as exc:
                raise serializers.ValidationError({"amount": [exc.message]}) from None
            if attrs["amount_minor"] <= 0:
                raise serializers.ValidationError({"amount": ["A refund must be a positive amount."]})
        return attrs


class RefundResponseSerializer(RefundLineSerializer):
    payment = serializers.IntegerField(source="payment_id")

    class Meta(RefundLineSerializer.Meta):
        fields = [*RefundLineSerializer.Meta.fields, "payment", "failure_message"]
        read_only_fields = fields


class EarningTotalsSerializer(serializers.Serializer):
    currency = serializers.CharField()
    pending_minor = serializers.IntegerField(help_text="Earned on upcoming sessions.")
    available_minor = serializers.IntegerField(help_text="Earned on sessions that are over, not yet paid out.")
    paid_out_minor = serializers.IntegerField()
    pending = serializers.SerializerMethodField()
    available = serializers.SerializerMethodField()
    paid_out = serializers.SerializerMethodField()

    def get_pending(self, obj) -> str:
        return decimal(obj.pending_minor, obj.currency)

    def get_available(self, obj) -> str:
        return decimal(obj.available_minor, obj.currency)

    def get_paid_out(self, obj) -> str:
        return decimal(obj.paid_out_minor, obj.currency)


class EarningLineSerializer(serializers.Serializer):
    booking = serializers.IntegerField(source="booking_id")
    session_title = serializers.CharField()
    starts_at = serializers.DateTimeField()
    booking_status = serializers.CharField()
    currency = serializers.CharField()
    paid_minor = serializers.IntegerField()
    refunded_minor = serializers.IntegerField()
    commission_minor = serializers.IntegerField()
    earned_minor = serializers.IntegerField()
    paid_out_minor = serializers.IntegerField()
    balance_minor = serializers.IntegerField()
    state = serializers.ChoiceField(choices=["pending", "available", "owed", "paid_out", "settled"])


class EarningsSerializer(serializers.Serializer):
    totals = EarningTotalsSerializer(many=True)
    lines = EarningLineSerializer(many=True)
