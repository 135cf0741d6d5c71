"""REST endpoints of session packages (under /api/).

``/api/packages/`` lists packages on sale (``?mentor=<id>``) and lets a mentor
create one; ``/api/packages/{id}/`` reads or changes it; ``.../purchase/``
buys it through a payment gateway (the booking payment's rules). ``/api/credits/``
lists the caller's packages and credits; ``/api/credits/{id}/book/`` books a
slot with one credit; ``/api/credits/{id}/refund/`` refunds the unused ones
when the site's policy allows it. Refusals answer 4xx with ``detail`` and ``code``
and write nothing.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import ErrorDetail, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from wagtail.models import Site

from core.payments.errors import UnknownGateway
from core.payments.serializers import RefundLineSerializer
from core.scheduling.serializers import BookingSerializer

from .models import Package, PackagePurchase
from .serializers import (
    CreditBookingRequestSerializer,
    PackageInputSerializer,
    PackageSerializer,
    PurchaseRequestSerializer,
    PurchaseResponseSerializer,
    PurchaseSerializer,
)
from .services import catalogue, credits, purchases

ERROR = OpenApiResponse(description='{"detail": ..., "code": ..., "errors"?: {field: [...]}}')


def _site_id(request: Request) -> int | None:
    site = Site.find_for_request(request._request)
    return site.pk if site else None


def _prices(data: dict) -> list[dict] | None:
    rows = data.get("prices")
    return None if rows is None else [dict(row) for row in rows]


class PackageListView(APIView):
    @extend_schema(
        summary="Session packages on sale",
        parameters=[OpenApiParameter("mentor", int, description="Only this mentor's packages.")],
        responses={200: PackageSerializer(many=True), 400: ERROR},
        tags=["packages"],
    )
    def get(self, request: Request) -> Response:
        mentor = request.query_params.get("mentor", "")
        if mentor and not mentor.isdigit():
            raise ValidationError({"mentor": [ErrorDetail(gettext("Give a mentor's id."), code="invalid")]})
        packages = catalogue.on_sale()
        if mentor:
            packages = packages.filter(mentor_id=int(mentor))
        return Response(PackageSerializer(packages[:200], many=True).data)

    @extend_schema(
        summary="Create a package (mentors)",
        description="N sessions (1-50) of one length, valid some days after purchase, with at least one positive "
        "price per currency. 400 names the field at fault and nothing is written.",
        request=PackageInputSerializer,
        responses={201: PackageSerializer, 400: ERROR, 403: ERROR},
        tags=["packages"],
    )
    def post(self, request: Request) -> Response:
        serializer = PackageInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        package = catalogue.save_package(request.user, data, _prices(data) or [])
        return Response(PackageSerializer(package).data, status=201)


class PackageDetailView(APIView):
    @extend_schema(summary="A package", responses={200: PackageSerializer, 404: ERROR}, tags=["packages"])
    def get(self, request: Request, pk: int) -> Response:
        package = get_object_or_404(Package.objects.prefetch_related("prices"), pk=pk)
        if not package.active and package.mentor_id != request.user.pk and not request.user.is_staff:
            return Response({"detail": "Not found.", "code": "not_found"}, status=404)
        return Response(PackageSerializer(package).data)

    @extend_schema(
        summary="Change a package (its mentor)",
        description="Purchases already made keep what they bought (sessions, length, price, validity).",
        request=PackageInputSerializer,
        responses={200: PackageSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
        tags=["packages"],
    )
    def patch(self, request: Request, pk: int) -> Response:
        package = get_object_or_404(Package, pk=pk)
        serializer = PackageInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        package = catalogue.save_package(request.user, data, _prices(data), package=package)
        return Response(PackageSerializer(package).data)


class PackagePurchaseView(APIView):
    @extend_schema(
        summary="Buy a package",
        description=(
            "Creates the purchase (or reuses the caller's unpaid one) and starts or resumes its payment through "
            "the gateway, exactly as `POST /api/bookings/{id}/pay/` does for a booking: the same idempotency, "
            "service fee and tax (see `quote`), and `client_data`. The credits are granted when the gateway "
            "confirms (its webhook, an editor for a transfer, or at once for a gateway that `confirms_at_start`)."
        ),
        request=PurchaseRequestSerializer,
        responses={200: PurchaseResponseSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 502: ERROR},
        tags=["packages"],
    )
    def post(self, request: Request, pk: int) -> Response:
        package = get_object_or_404(Package.objects.prefetch_related("prices"), pk=pk)
        serializer = PurchaseRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            from core.payments.services import gateways

            gateways.route(data["gateway"], _site_id(request))
        except UnknownGateway as exc:  # checked before a purchase is written
            raise ValidationError({"gateway": [ErrorDetail(exc.message, code=exc.code)]}) from exc
        purchase = purchases.create_purchase(package, request.user, data.get("currency", ""))
        started = purchases.start_payment(
            purchase,
            data["gateway"],
            user=request.user,
            site_id=_site_id(request),
            inputs=dict(data.get("inputs") or {}),
        )
        purchase.refresh_from_db()
        return Response(
            {
                "purchase": PurchaseSerializer(purchase).data,
                "gateway": started.routed.identifier,
                "payment": {
                    "id": started.payment.pk,
                    "status": started.payment.status,
                    "amount_minor": started.payment.amount_minor,
                    "currency": started.payment.currency,
                },
                "client_data": started.client_data,
                "quote": purchases.quote_for(purchase).as_api(),
            }
        )


class CreditListView(APIView):
    @extend_schema(
        summary="The caller's packages and credits",
        description="Every package bought (paid, waiting for payment, expired, closed) with the credits left.",
        responses={200: PurchaseSerializer(many=True)},
        tags=["packages"],
    )
    def get(self, request: Request) -> Response:
        credits.expire_due(learner_id=request.user.pk)
        mine = PackagePurchase.objects.filter(learner=request.user).select_related("package", "mentor")
        return Response(PurchaseSerializer(mine[:200], many=True).data)


class CreditBookView(APIView):
    @extend_schema(
        summary="Book a session with one credit",
        description=(
            "Books one of the package mentor's free 1:1 slots of the package's length at `start`, confirmed at "
            "once and paid by one credit (drawn under a row lock: never more bookings than credits). 409 "
            "`no_credits`, `package_expired`, `not_paid`, or a calendar conflict; 400 for a start outside the "
            "mentor's availability or after the package expires. A refusal draws no credit."
        ),
        request=CreditBookingRequestSerializer,
        responses={201: BookingSerializer, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR},
        tags=["packages"],
    )
    def post(self, request: Request, pk: int) -> Response:
        purchase = get_object_or_404(PackagePurchase.objects.filter(learner=request.user), pk=pk)
        serializer = CreditBookingRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        booking = credits.book_with_credit(purchase, request.user, serializer.validated_data["start"])
        return Response(BookingSerializer(booking, context={"request": request}).data, status=201)


class CreditRefundView(APIView):
    @extend_schema(
        summary="Refund the unused credits of a package",
        description="Pro rata, through the gateway that took the payment, when the site's policy allows it; the "
        "package is closed (credits already booked stay booked). 409 `no_refunds`, `no_credits`, `package_expired`.",
        request=None,
        responses={200: RefundLineSerializer, 403: ERROR, 404: ERROR, 409: ERROR, 502: ERROR},
        tags=["packages"],
    )
    def post(self, request: Request, pk: int) -> Response:
        purchase = get_object_or_404(PackagePurchase.objects.filter(learner=request.user), pk=pk)
        refund = credits.refund_unused(purchase, by=request.user)
        return Response(RefundLineSerializer(refund).data)
