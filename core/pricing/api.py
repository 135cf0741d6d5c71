"""REST endpoints of pricing: a booking's quote (with a coupon to try), receipts and their PDFs.

``POST /api/bookings/{id}/pay/`` takes an optional ``coupon`` (see
:func:`apply_for_pay`): the code is held for the booking before the payment
starts, and a coupon that covers the whole price confirms the booking there
and then, with no gateway.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.scheduling.models import Booking

from .pdf import receipt_pdf
from .serializers import CouponQuerySerializer, QuoteSerializer, ReceiptSerializer
from .services import coupons, free, quotes, receipts

ERROR = OpenApiResponse(description='{"detail": ..., "code": ..., "errors"?: {field: [...]}}')


def _check_gateway(booking: Booking, identifier: str, site_id: int | None) -> None:
    """Refuse an unknown gateway, or one that does not take the currency, before a coupon is held."""
    from core.payments.errors import InvalidPayment, UnknownGateway
    from core.payments.services import gateways

    try:
        routed = gateways.route(identifier, site_id)
    except UnknownGateway as exc:
        raise ValidationError({"gateway": [ErrorDetail(exc.message, code=exc.code)]}) from exc
    if not gateways.supports(routed, booking.currency, site_id):
        raise InvalidPayment(
            gettext("%(display_name)s does not take %(currency)s.")
            % {"display_name": routed.display_name, "currency": booking.currency},
            code="currency",
            field="gateway",
        )


def apply_for_pay(booking: Booking, data: dict, user, site_id: int | None = None) -> dict | None:
    """The ``coupon`` key of a pay request: hold it (blank takes it off); a fully covered booking is confirmed.

    Returns the answer for a booking confirmed without payment, else None (the
    payment goes ahead at the new price). Refusals raise (400/409) and change
    nothing: the gateway is checked before the code is held.
    """
    if "coupon" in data:
        _check_gateway(booking, data["gateway"], site_id)
        coupons.apply(booking, data["coupon"], user=user)
    if booking.price_minor <= 0:
        return None
    quote = quotes.quote_for(booking)
    if quote.total_minor != 0:
        return None
    confirmed = free.confirm_covered(booking, user=user)
    return {
        "gateway": None,
        "payment": None,
        "client_data": {},
        "status": confirmed.status,
        "detail": gettext("The coupon covers the whole price: your booking is confirmed."),
        "quote": quote.as_api(),
    }


class BookingQuoteView(APIView):
    @extend_schema(
        summary="A booking's price breakdown, optionally with a coupon to try",
        description=(
            "Session price, discount, service fee, tax and total, as the learner would pay now. With `coupon`, "
            "the breakdown that code would give, or 400 with the reason it cannot be used (expired, used up, not "
            "for this session...). Writes nothing: apply the code with `POST /api/bookings/{id}/pay/`."
        ),
        parameters=[OpenApiParameter("coupon", str, description="A coupon code to try.")],
        responses={200: QuoteSerializer, 400: ERROR, 404: ERROR},
        tags=["payments"],
    )
    def get(self, request: Request, pk: int) -> Response:
        bookings = Booking.objects.select_related("session", "learner")
        if not request.user.is_staff:
            bookings = bookings.filter(learner=request.user)
        booking = get_object_or_404(bookings, pk=pk)
        query = CouponQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        code = query.validated_data["coupon"]
        quote = coupons.preview(booking, code) if code.strip() else quotes.quote_for(booking)
        return Response(QuoteSerializer(quote.as_api()).data)


class ReceiptListView(APIView):
    @extend_schema(
        summary="The caller's receipts and credit notes",
        description="As a learner: what you paid and were refunded. As a mentor: the documents of your sessions.",
        responses={200: ReceiptSerializer(many=True)},
        tags=["payments"],
    )
    def get(self, request: Request) -> Response:
        documents = receipts.visible_to(request.user).order_by("-issued_at", "-sequence")[:500]
        return Response(ReceiptSerializer(documents, many=True).data)


class ReceiptPdfView(APIView):
    @extend_schema(
        summary="A receipt or credit note as PDF",
        responses={(200, "application/pdf"): OpenApiResponse(description="The PDF."), 404: ERROR},
        tags=["payments"],
    )
    def get(self, request: Request, number: str) -> HttpResponse:
        document = get_object_or_404(receipts.visible_to(request.user), number=number)
        response = HttpResponse(receipt_pdf(document), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
        return response
