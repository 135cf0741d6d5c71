"""Pages and endpoints of payments: webhooks, checkout, the result page, a mentor's earnings.

Views parse, call a service, render. The checkout never confirms a booking
itself: it hands the browser what the gateway needs and then waits (the result
page polls) until the gateway's webhook has confirmed it. An interactive
gateway (a gift card) first asks for its declared fields; when it settles the
money in that request, the service has confirmed the booking already and the
learner goes straight to the result.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, gettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail.models import Site

from core.plugins import CheckoutField
from core.plugins.contracts.interactive import checkout_fields_of
from core.pricing.services.breakdowns import booking_quote
from core.scheduling.currency import format_money
from core.scheduling.models import Booking
from core.security import csp

from .errors import PaymentError, UnknownGateway
from .forms import CheckoutFieldsForm
from .models import Payment
from .services import checkout, events, gateways, payouts

logger = logging.getLogger("peerlearn.payments")

FINAL_STATUSES = {
    Booking.CONFIRMED: gettext_lazy("Your booking is confirmed."),
    Booking.COMPLETED: gettext_lazy("This session has taken place."),
    Booking.EXPIRED: gettext_lazy("The hold on this seat ran out before the payment arrived."),
    Booking.CANCELLED: gettext_lazy("This booking was cancelled."),
    Booking.REFUNDED: gettext_lazy("This booking was cancelled and refunded."),
    Booking.NO_SHOW: gettext_lazy("This booking was marked as missed."),
}


def _site_id(request: HttpRequest) -> int | None:
    site = Site.find_for_request(request)
    return site.pk if site else None


def _own_booking(request: HttpRequest, booking_id: int) -> Booking:
    booking = (
        Booking.objects.select_related("session", "session__mentor", "learner")
        .filter(pk=booking_id, learner=request.user)
        .first()
    )
    if booking is None:
        raise Http404(gettext("No such booking of yours."))
    return booking


# --- webhooks ------------------------------------------------------------------------------------


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, gateway: str) -> JsonResponse:
    """``/payments/webhooks/<gateway>/``: 400 with a reason for a bad signature, 200 otherwise."""
    try:
        outcome = events.handle_webhook(gateway, request.body, request.headers, site_id=_site_id(request))
    except PaymentError as exc:
        status = 503 if exc.status >= 500 else exc.status
        return JsonResponse({"detail": exc.message, "code": exc.code}, status=status)
    return JsonResponse(
        {"status": outcome.status, "detail": outcome.message, "event": outcome.record_id},
        status=outcome.http_status,
    )


# --- checkout ------------------------------------------------------------------------------------


def _summary(booking: Booking) -> dict:
    """The order box: the price breakdown (coupon, service fee, tax) and the total to pay."""
    quote = booking_quote(booking)
    return {
        "booking": booking,
        "session": booking.session,
        "quote": quote,
        "amount_display": format_money(quote.total_minor, booking.currency),
    }


@login_required
@require_http_methods(["GET", "POST"])
def checkout_page(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Choose how to pay: the site's enabled gateways that take the session's currency."""
    booking = _own_booking(request, booking_id)
    if booking.status != Booking.PENDING_PAYMENT:
        return redirect("payments:result", booking_id=booking.pk)
    choices = gateways.gateways_for(booking.currency, _site_id(request))
    error = ""
    status = 200
    chosen = request.GET.get("gateway", "")
    if request.method == "POST":
        chosen = request.POST.get("gateway", "")
        if chosen in {c.identifier for c in choices}:
            return redirect("payments:pay", booking_id=booking.pk, gateway=chosen)
        error = gettext("Choose one of the ways to pay below.")
        status = 400
    context = {**_summary(booking), "choices": choices, "chosen": chosen, "error": error, "coupon_form": True}
    context["covered"] = context["quote"].discount_minor > 0 and context["quote"].total_minor == 0
    return render(request, "payments/checkout.html", context, status=status)


def _declared_fields(request: HttpRequest, gateway: str) -> tuple[CheckoutField, ...]:
    """What the gateway asks the learner for (nothing for widget gateways or an unknown one)."""
    try:
        return checkout_fields_of(gateways.route(gateway, _site_id(request)).gateway)
    except UnknownGateway:
        return ()


def _fields_page(request: HttpRequest, booking: Booking, gateway: str, form: CheckoutFieldsForm, status: int = 200):
    routed = gateways.route(gateway, _site_id(request))
    context = {**_summary(booking), "gateway_name": routed.display_name, "gateway": gateway, "fields_form": form}
    return render(request, "payments/pay_fields.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def pay_page(request: HttpRequest, booking_id: int, gateway: str) -> HttpResponse:
    """The chosen gateway's widget, for a payment started (or resumed) now.

    A gateway that declares checkout fields gets its form first (GET), and the
    payment starts when the learner posts it.
    """
    booking = _own_booking(request, booking_id)
    if booking.status != Booking.PENDING_PAYMENT:
        return redirect("payments:result", booking_id=booking.pk)
    declared = _declared_fields(request, gateway)
    form = CheckoutFieldsForm(declared, request.POST if request.method == "POST" else None)
    if declared and request.method == "GET":
        return _fields_page(request, booking, gateway, form)
    if request.method == "POST" and not declared:
        return redirect("payments:pay", booking_id=booking.pk, gateway=gateway)
    try:
        started = checkout.start_payment(
            booking,
            gateway,
            user=request.user,
            return_url=request.build_absolute_uri(reverse("payments:result", args=[booking.pk])),
            site_id=_site_id(request),
            inputs=form.inputs() if declared else None,
        )
    except PaymentError as exc:
        booking.refresh_from_db()
        if booking.status != Booking.PENDING_PAYMENT:  # the hold ran out meanwhile: say what happened
            return redirect("payments:result", booking_id=booking.pk)
        if declared:  # shown on the form, next to the field at fault when there is one
            form.refused(exc.field, exc.message)
            return _fields_page(request, booking, gateway, form, status=exc.status)
        choices = gateways.gateways_for(booking.currency, _site_id(request))
        context = {**_summary(booking), "choices": choices, "chosen": gateway, "error": exc.message}
        return render(request, "payments/checkout.html", context, status=exc.status)
    if started.paid:  # an instant gateway settled it: the booking is confirmed already
        return redirect("payments:result", booking_id=booking.pk)
    booking.refresh_from_db()  # starting a transfer may have moved the payment deadline
    context_for_widget = checkout.checkout_context(
        booking,
        csrf_token=get_token(request),
        return_url=reverse("payments:return", args=[booking.pk, gateway]),
        result_url=reverse("payments:result", args=[booking.pk]),
        csp_nonce=csp.current_nonce(),
        amount_minor=started.payment.amount_minor,
    )
    widget = ""
    if started.payment.status not in (Payment.PROCESSING, Payment.SUCCEEDED):
        widget = checkout.checkout_html(started, context_for_widget)
        for directive, sources in checkout.checkout_csp_sources(started).items():
            csp.allow(request, directive, sources)
    context = {
        **_summary(booking),
        "started": started,
        "payment": started.payment,
        "gateway_name": started.routed.display_name,
        # The widget is HTML rendered by the gateway plugin from its own templates (trusted code).
        "widget": mark_safe(widget),  # noqa: S308
        "widget_failed": not widget and started.payment.status not in (Payment.PROCESSING, Payment.SUCCEEDED),
    }
    return render(request, "payments/pay.html", context)


@login_required
@require_POST
def return_endpoint(request: HttpRequest, booking_id: int, gateway: str) -> JsonResponse:
    """The browser reports what the gateway handed it; verified, never trusted to confirm."""
    booking = _own_booking(request, booking_id)
    try:
        answer = checkout.record_return(
            booking, gateway, request.POST.dict(), user=request.user, site_id=_site_id(request)
        )
    except PaymentError as exc:
        status = 400 if exc.status >= 500 else exc.status
        return JsonResponse({"detail": exc.message, "code": exc.code}, status=status)
    return JsonResponse(
        {"status": answer.status, "detail": gettext("Payment received; waiting for the gateway's confirmation.")}
    )


def status_payload(booking: Booking) -> dict:
    payment = booking.payments.order_by("-created_at", "-id").first()
    waiting = booking.status == Booking.PENDING_PAYMENT
    if waiting and payment is not None and payment.status == Payment.FAILED:
        message = gettext("The payment did not go through: %(reason)s You can try again.") % {
            "reason": payment.failure_message
        }
    elif waiting and payment is not None and payment.status == Payment.PENDING:
        message = gettext("Waiting for your transfer to arrive. We will confirm the booking as soon as it does.")
    elif waiting:
        message = gettext("Waiting for the payment provider's confirmation…")
    else:
        message = str(FINAL_STATUSES.get(booking.status, booking.get_status_display()))
    return {
        "booking": booking.pk,
        "status": booking.status,
        "status_display": booking.get_status_display(),
        "final": not waiting,
        "payment_status": payment.status if payment else None,
        "message": message,
    }


@login_required
@require_GET
def result_page(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Updates itself (polling the status endpoint) until the webhook has confirmed the booking."""
    booking = _own_booking(request, booking_id)
    context = {**_summary(booking), "state": status_payload(booking)}
    return render(request, "payments/result.html", context)


@login_required
@require_GET
def status_endpoint(request: HttpRequest, booking_id: int) -> JsonResponse:
    booking = _own_booking(request, booking_id)
    return JsonResponse(status_payload(booking))


# --- mentors ------------------------------------------------------------------------------------


@login_required
@require_GET
def earnings_page(request: HttpRequest) -> HttpResponse:
    """A mentor's earnings: pending, available and paid out, one line per booking."""
    if not getattr(request.user, "is_mentor", False):
        messages.info(request, format_html("Earnings are shown to mentors."))
        return redirect("accounts:profile")
    earnings = payouts.mentor_earnings(request.user)
    return render(request, "payments/earnings.html", {"earnings": earnings})
