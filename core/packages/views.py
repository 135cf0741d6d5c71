"""Pages of packages: a mentor's packages, buying one, the learner's credits, booking with a credit.

Views parse, call a service, render; a refusal comes back as a message or a form error.
Paying reuses the payments app's gateways, checkout-field forms and widgets.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from wagtail.models import Site

from core.api.refusals import Refusal
from core.payments.errors import PaymentError, UnknownGateway
from core.payments.forms import CheckoutFieldsForm
from core.payments.models import Payment
from core.payments.services import checkout, gateways
from core.plugins.contracts.interactive import checkout_fields_of
from core.scheduling.currency import format_money
from core.scheduling.services import availability
from core.security import csp

from .forms import CreditSlotForm, PackageForm
from .models import Package, PackagePurchase
from .services import catalogue, credits, purchases


def _site_id(request: HttpRequest) -> int | None:
    site = Site.find_for_request(request)
    return site.pk if site else None


def _own_purchase(request: HttpRequest, pk: int) -> PackagePurchase:
    purchase = (
        PackagePurchase.objects.select_related("package", "mentor", "learner")
        .filter(pk=pk, learner=request.user)
        .first()
    )
    if purchase is None:
        raise Http404(_("No such package of yours."))
    return purchase


# --- mentors --------------------------------------------------------------------------------------


def _form_values(form: PackageForm) -> tuple[dict, list[dict]]:
    data = {k: form.cleaned_data[k] for k in catalogue.FIELDS}
    return data, [{"currency": form.cleaned_data["currency"], "amount": form.cleaned_data["amount"]}]


@login_required
@require_http_methods(["GET", "POST"])
def mentor_packages(request: HttpRequest) -> HttpResponse:
    """A mentor's packages, and the form to create one."""
    if not request.user.is_mentor:
        raise Http404(_("Only mentors sell packages."))
    form = PackageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data, prices = _form_values(form)
            try:
                package = catalogue.save_package(request.user, data, prices)
            except Refusal as exc:
                form.refused(exc.field, exc.message)
            else:
                messages.success(request, _("Package “%(title)s” created.") % {"title": package.title})
                return redirect("packages:mine")
        status = 400
    packages = Package.objects.filter(mentor=request.user).prefetch_related("prices")
    sold = PackagePurchase.objects.filter(mentor=request.user).exclude(status=PackagePurchase.PENDING)
    context = {"form": form, "packages": packages, "sold": sold.select_related("package", "learner")[:100]}
    return render(request, "packages/mine.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def mentor_package_edit(request: HttpRequest, pk: int) -> HttpResponse:
    package = get_object_or_404(Package.objects.prefetch_related("prices"), pk=pk, mentor=request.user)
    price = package.prices.first()
    initial = {name: getattr(package, name) for name in catalogue.FIELDS}
    initial |= {"currency": price.currency if price else "EUR", "amount": price.amount if price else None}
    form = PackageForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data, prices = _form_values(form)
            others = [{"currency": p.currency, "amount": p.amount} for p in package.prices.all()]
            prices += [p for p in others if p["currency"] != prices[0]["currency"].upper()]
            try:
                catalogue.save_package(request.user, data, prices, package=package)
            except Refusal as exc:
                form.refused(exc.field, exc.message)
            else:
                messages.success(request, _("Package saved."))
                return redirect("packages:mine")
        status = 400
    return render(request, "packages/edit.html", {"form": form, "package": package}, status=status)


# --- buying ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def buy(request: HttpRequest, pk: int) -> HttpResponse:
    """Checkout for a package: the price with fee and tax, and the ways to pay in its currency."""
    package = get_object_or_404(catalogue.on_sale(), pk=pk)
    currency = (request.POST.get("currency") or request.GET.get("currency") or "").upper()
    error, status = "", 200
    try:
        purchase = purchases.create_purchase(package, request.user, currency)
    except Refusal as exc:
        messages.error(request, exc.message)
        return redirect("/mentors/")
    choices = gateways.gateways_for(purchase.currency, _site_id(request))
    if request.method == "POST":
        chosen = request.POST.get("gateway", "")
        if chosen in {c.identifier for c in choices}:
            return redirect("packages:pay", pk=purchase.pk, gateway=chosen)
        error, status = _("Choose one of the ways to pay below."), 400
    context = {"purchase": purchase, "package": package, "choices": choices, "error": error, **_summary(purchase)}
    return render(request, "packages/checkout.html", context, status=status)


def _summary(purchase: PackagePurchase) -> dict:
    quote = purchases.quote_for(purchase)
    return {"quote": quote, "amount_display": format_money(quote.total_minor, purchase.currency)}


@login_required
@require_http_methods(["GET", "POST"])
def pay(request: HttpRequest, pk: int, gateway: str) -> HttpResponse:
    """The chosen gateway's widget (or its fields first), for a payment started or resumed now."""
    purchase = _own_purchase(request, pk)
    if purchase.status != PackagePurchase.PENDING:
        return redirect("packages:result", pk=purchase.pk)
    try:
        declared = checkout_fields_of(gateways.route(gateway, _site_id(request)).gateway)
    except UnknownGateway:
        raise Http404(_("No such way to pay.")) from None
    form = CheckoutFieldsForm(declared, request.POST if request.method == "POST" else None)
    context = {"purchase": purchase, "gateway": gateway, "fields_form": form, **_summary(purchase)}
    if declared and request.method == "GET":
        return render(request, "packages/pay.html", context)
    result_url = reverse("packages:result", args=[purchase.pk])
    try:
        started = purchases.start_payment(
            purchase,
            gateway,
            user=request.user,
            return_url=request.build_absolute_uri(result_url),
            site_id=_site_id(request),
            inputs=form.inputs() if declared else None,
        )
    except PaymentError as exc:
        if declared:
            form.refused(exc.field, exc.message)
        else:
            messages.error(request, exc.message)
        return render(request, "packages/pay.html", context, status=exc.status)
    if started.paid:
        return redirect("packages:result", pk=purchase.pk)
    widget = ""
    if started.payment.status not in (Payment.PROCESSING, Payment.SUCCEEDED):
        widget_context = purchases.checkout_context(
            purchase,
            started.payment,
            csrf_token=get_token(request),
            return_url=result_url,
            result_url=result_url,
            csp_nonce=csp.current_nonce(),
        )
        widget = checkout.checkout_html(started, widget_context)
        for directive, sources in checkout.checkout_csp_sources(started).items():
            csp.allow(request, directive, sources)
    # The widget is HTML rendered by the gateway plugin from its own templates (trusted code).
    context |= {"started": started, "widget": mark_safe(widget), "gateway_name": started.routed.display_name}  # noqa: S308
    return render(request, "packages/pay.html", context)


@login_required
def purchase_result(request: HttpRequest, pk: int) -> HttpResponse:
    purchase = _own_purchase(request, pk)
    payment = Payment.objects.filter(purchase=purchase).order_by("-created_at").first()
    return render(request, "packages/result.html", {"purchase": purchase, "payment": payment})


# --- credits -----------------------------------------------------------------------------------------


@login_required
def my_credits(request: HttpRequest) -> HttpResponse:
    """The learner's packages: credits left, expiry, the bookings made with them."""
    credits.expire_due(learner_id=request.user.pk)
    mine = (
        PackagePurchase.objects.filter(learner=request.user)
        .exclude(status=PackagePurchase.PENDING, payments__isnull=True)
        .select_related("package", "mentor")
        .prefetch_related("uses__booking")
    )
    refundable = credits.package_settings().unused_refund == credits.PackageSettings.PRO_RATA
    return render(request, "packages/credits.html", {"purchases": mine, "refundable": refundable})


@login_required
@require_http_methods(["GET", "POST"])
def book_with_credit(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick one of the mentor's free slots of the package's length; it is booked with one credit."""
    purchase = _own_purchase(request, pk)
    form = CreditSlotForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                booking = credits.book_with_credit(purchase, request.user, form.cleaned_data["start"])
            except Refusal as exc:
                messages.error(request, exc.message)
                status = exc.status
            else:
                messages.success(request, _("Booked with one credit: your session is confirmed."))
                return redirect("scheduling:booking_detail", pk=booking.pk)
        else:
            messages.error(request, _("Choose a time."))
            status = 400
    now = timezone.now()
    until = now + timedelta(days=14)
    if purchase.expires_at:
        until = min(until, purchase.expires_at)
    slots = []
    if purchase.usable:
        slots = availability.free_slots(purchase.mentor, now, until, purchase.duration_minutes, now=now)[:60]
    context = {"purchase": purchase, "slots": slots}
    return render(request, "packages/book.html", context, status=status)


@login_required
@require_POST
def refund_unused(request: HttpRequest, pk: int) -> HttpResponse:
    purchase = _own_purchase(request, pk)
    try:
        refund = credits.refund_unused(purchase, by=request.user)
    except Refusal as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("%(amount)s is being refunded for your unused credits.")
            % {"amount": format_money(refund.amount_minor, refund.currency)},
        )
    return redirect("packages:credits")
