"""Pages of pricing: applying a coupon at checkout, confirming a covered booking, receipts, a mentor's coupons.

Views parse, call a service, redirect or render; refusals come back as messages.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.api.refusals import Refusal
from core.scheduling.models import Booking

from .forms import BillingDetailsForm, CouponCodeForm, MentorCouponForm
from .models import BillingDetails, Coupon
from .pdf import receipt_pdf, render_pdf
from .services import coupons, free, quotes, receipts, statements


def _own_booking(request: HttpRequest, booking_id: int) -> Booking:
    booking = Booking.objects.select_related("session", "learner").filter(pk=booking_id, learner=request.user).first()
    if booking is None:
        raise Http404(gettext("No such booking of yours."))
    return booking


@login_required
@require_POST
def apply_coupon(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Apply (or, with ``remove``, take off) a coupon code on the checkout page."""
    booking = _own_booking(request, booking_id)
    form = CouponCodeForm(request.POST)
    code = form.cleaned_data["coupon"] if form.is_valid() else ""
    if "remove" in request.POST:
        code = ""
    elif not code.strip():
        messages.error(request, gettext("Type a coupon code first."))
        return redirect("payments:checkout", booking_id=booking.pk)
    try:
        redemption = coupons.apply(booking, code, user=request.user)
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        if redemption is None:
            messages.info(request, gettext("The coupon was taken off."))
        else:
            messages.success(request, gettext("Coupon %(code)s applied.") % {"code": redemption.coupon.code})
    return redirect("payments:checkout", booking_id=booking.pk)


@login_required
@require_POST
def confirm_covered(request: HttpRequest, booking_id: int) -> HttpResponse:
    """Confirm a booking its coupon pays for in full."""
    booking = _own_booking(request, booking_id)
    try:
        free.confirm_covered(booking, user=request.user)
    except Refusal as exc:
        messages.error(request, exc.message)
        return redirect("payments:checkout", booking_id=booking.pk)
    return redirect("payments:result", booking_id=booking.pk)


@login_required
@require_http_methods(["GET", "POST"])
def receipts_page(request: HttpRequest) -> HttpResponse:
    """The learner's (and mentor's) receipts, and the billing details printed on new ones."""
    details = BillingDetails.objects.filter(user=request.user).first() or BillingDetails(user=request.user)
    form = BillingDetailsForm(request.POST or None, instance=details)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, gettext("Billing details saved: they are printed on your next receipts."))
            return redirect("pricing:receipts")
        status = 400
    documents = receipts.visible_to(request.user).select_related("booking__session").order_by("-issued_at")[:200]
    return render(
        request, "pricing/receipts.html", {"form": form, "documents": documents, "user": request.user}, status=status
    )


@login_required
@require_GET
def receipt_download(request: HttpRequest, number: str) -> HttpResponse:
    document = receipts.visible_to(request.user).filter(number=number).first()
    if document is None:
        raise Http404(gettext("No such receipt of yours."))
    response = HttpResponse(receipt_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.number}.pdf"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def mentor_coupons(request: HttpRequest) -> HttpResponse:
    """A mentor's own codes: create one, see how often each was used, switch one off."""
    if not getattr(request.user, "is_mentor", False):
        messages.info(request, gettext("Coupons are for mentors."))
        return redirect("accounts:profile")
    own = Coupon.objects.filter(owner=request.user)
    status = 200
    form = MentorCouponForm(owner=request.user)
    if request.method == "POST" and "deactivate" in request.POST:
        own.filter(pk=request.POST.get("deactivate", "")[:12] or 0).update(active=False)
        messages.info(request, gettext("The coupon is switched off."))
        return redirect("pricing:mentor_coupons")
    if request.method == "POST":
        form = MentorCouponForm(request.POST, owner=request.user)
        if form.is_valid():
            coupon = form.save()
            messages.success(
                request, gettext("Coupon %(code)s created: share it with your learners.") % {"code": coupon.code}
            )
            return redirect("pricing:mentor_coupons")
        status = 400
    return render(request, "pricing/mentor_coupons.html", {"form": form, "coupons": own}, status=status)


@login_required
@require_GET
def mentor_statement(request: HttpRequest) -> HttpResponse:
    """A mentor's monthly statement (``?month=YYYY-MM``), as a page or, with ``?format=pdf``, a PDF."""
    if not getattr(request.user, "is_mentor", False):
        messages.info(request, gettext("Statements are for mentors."))
        return redirect("accounts:profile")
    try:
        month = statements.parse_month(request.GET.get("month", ""))
    except Refusal as exc:
        messages.error(request, exc.message)
        return redirect("pricing:statement")
    statement = statements.monthly_statement(request.user, month)
    context = {"statement": statement, "mentor": request.user, "seller": quotes.revenue_settings()}
    if request.GET.get("format") == "pdf":
        response = HttpResponse(render_pdf("pricing/statement_pdf.html", context), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="statement-{month:%Y-%m}.pdf"'
        return response
    return render(request, "pricing/statement.html", context)
