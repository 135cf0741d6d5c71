"""REST endpoints of payments (under /api/).

Views parse and call :mod:`core.payments.services`; a refusal
(:class:`~core.payments.errors.PaymentError`) becomes a JSON error: 400 naming
the field, 403, 404, 409, or 502 when the gateway failed (nothing recorded).
"""

from __future__ import annotations

from dataclasses import asdict

from django.db.models import Q
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ErrorDetail, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.models import Site

from core.plugins.contracts.interactive import checkout_fields_of, confirms_at_start
from core.pricing import api as pricing_api
from core.scheduling.models import Booking

from .errors import UnknownGateway
from .serializers import (
    BookingPaymentsSerializer,
    EarningsSerializer,
    GatewaySerializer,
    PaymentLineSerializer,
    PayRequestSerializer,
    PayResponseSerializer,
    RefundRequestSerializer,
    RefundResponseSerializer,
)
from .services import checkout, gateways, payouts, refunds

ERROR = OpenApiResponse(description='{"detail": ..., "code": ..., "errors"?: {field: [...]}}')


def _site_id(request: Request) -> int | None:
    site = Site.find_for_request(request._request)
    return site.pk if site else None


def _booking_for(request: Request, pk: int) -> Booking:
    """A booking the caller may see: its learner, its session's mentor, or staff."""
    bookings = Booking.objects.select_related("session", "session__mentor", "learner")
    if not request.user.is_staff:
        bookings = bookings.filter(Q(learner=request.user) | Q(session__mentor=request.user))
    return get_object_or_404(bookings, pk=pk)


class GatewayListView(APIView):
    @extend_schema(
        summary="Payment gateways enabled on this site",
        parameters=[
            OpenApiParameter(
                "currency",
                {"type": "string", "pattern": "^([A-Za-z]{3})?$"},
                description="Only gateways that take this ISO currency.",
            )
        ],
        responses={200: GatewaySerializer(many=True)},
        tags=["payments"],
    )
    def get(self, request: Request) -> Response:
        currency = request.query_params.get("currency", "").strip().upper()
        if currency:
            currency = payouts.parse_currency(currency)
        routed = (
            gateways.gateways_for(currency, _site_id(request))
            if currency
            else gateways.enabled_gateways(_site_id(request))
        )
        data = [
            {
                "identifier": r.identifier,
                "display_name": r.display_name,
                "manual_confirmation": bool(r.gateway.manual_confirmation),
                "currencies": sorted(r.gateway.currencies),
                **_interaction(r.gateway),
            }
            for r in routed
        ]
        return Response(GatewaySerializer(data, many=True).data)


def _interaction(gateway) -> dict:
    """What an interactive gateway asks of the learner, and whether paying confirms at once."""
    return {
        "checkout_fields": [asdict(f) for f in checkout_fields_of(gateway)],
        "confirms_at_start": confirms_at_start(gateway),
    }


def _checkout_inputs(serializer: PayRequestSerializer) -> dict[str, str]:
    """The learner's inputs for an interactive gateway (checked against its declaration by the service)."""
    return dict(serializer.validated_data.get("inputs") or {})


class BookingPayView(APIView):
    @extend_schema(
        summary="Start (or resume) paying a booking",
        description=(
            "Starts a payment through the chosen gateway, or resumes the open one of this booking and gateway "
            "(same idempotency key at the gateway, so retrying never charges twice). Returns what a client needs "
            "to finish: Stripe's client_secret and publishable_key, Razorpay's order_id and key_id, or the "
            "reference and instructions of a bank transfer. The booking is confirmed by the gateway's webhook, "
            "or at once by a gateway that `confirms_at_start` (a gift card): `inputs` carries the values of the "
            "gateway's `checkout_fields`; a value that does not fit is refused with 400 on `inputs.<name>`. "
            "`coupon` applies a code first (the amount then includes its discount, like the service fee and tax: "
            "see `GET /api/bookings/{id}/quote/`); a code that covers the whole price confirms the booking at once "
            "and answers with `status` and no payment."
        ),
        request=PayRequestSerializer,
        responses={200: PayResponseSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 502: ERROR},
        tags=["payments"],
    )
    def post(self, request: Request, pk: int) -> Response:
        booking = get_object_or_404(Booking.objects.filter(learner=request.user), pk=pk)
        serializer = PayRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        covered = pricing_api.apply_for_pay(booking, serializer.validated_data, request.user, _site_id(request))
        if covered is not None:  # a coupon paid for it all: confirmed without a gateway
            return Response(covered)
        try:
            started = checkout.start_payment(
                booking,
                serializer.validated_data["gateway"],
                user=request.user,
                site_id=_site_id(request),
                inputs=_checkout_inputs(serializer),
            )
        except UnknownGateway as exc:  # named in the body, not the URL: bad input, not a missing resource
            raise ValidationError({"gateway": [ErrorDetail(exc.message, code=exc.code)]}) from exc
        booking.refresh_from_db(fields=["status"])
        data = {
            "gateway": started.routed.identifier,
            "booking_status": booking.status,
            "payment": PaymentLineSerializer(started.payment).data,
            "client_data": started.client_data,
        }
        return Response(data)


class BookingDetailView(APIView):
    @extend_schema(
        summary="A booking with its status and payments",
        description="For its learner, its session's mentor (without payment details) and staff.",
        responses={200: BookingPaymentsSerializer, 404: ERROR},
        tags=["payments"],
    )
    def get(self, request: Request, pk: int) -> Response:
        booking = _booking_for(request, pk)
        show = request.user.is_staff or booking.learner_id == request.user.pk
        return Response(BookingPaymentsSerializer(booking, context={"request": request, "show_payments": show}).data)


class BookingRefundView(APIView):
    @extend_schema(
        summary="Refund a booking (staff)",
        description=(
            "Refunds all that is left of the booking's payment, or `amount_minor` / `amount` of it, through the "
            "payment's gateway. Fails closed: when the gateway refuses or cannot be reached nothing is recorded "
            "as refunded and the answer says why (502)."
        ),
        request=RefundRequestSerializer,
        responses={200: RefundResponseSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 502: ERROR},
        tags=["payments"],
    )
    def post(self, request: Request, pk: int) -> Response:
        if not request.user.is_staff:
            raise PermissionDenied(gettext("Only staff can refund a booking."))
        booking = get_object_or_404(Booking, pk=pk)
        serializer = RefundRequestSerializer(data=request.data, context={"currency": booking.currency})
        serializer.is_valid(raise_exception=True)
        refund = refunds.refund_booking(
            booking,
            serializer.validated_data.get("amount_minor"),
            by=request.user,
            note=serializer.validated_data.get("note", ""),
        )
        return Response(RefundResponseSerializer(refund).data)


class EarningsView(APIView):
    @extend_schema(
        summary="The caller's earnings as a mentor",
        description=(
            "Totals per currency (pending: upcoming sessions; available: sessions over, not yet paid out; paid "
            "out) and one line per booking. A refund after a payout shows as a negative available balance that "
            "the next payout deducts."
        ),
        responses={200: EarningsSerializer, 403: ERROR},
        tags=["payments"],
    )
    def get(self, request: Request) -> Response:
        if not getattr(request.user, "is_mentor", False):
            raise PermissionDenied(gettext("Earnings are for mentors."))
        return Response(EarningsSerializer(payouts.mentor_earnings(request.user)).data)
