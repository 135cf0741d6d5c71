"""Pages of premium plans: the plans, subscribing (the gateway's card form), the mentor's plan and billing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from wagtail.models import Site

from core.api.refusals import Refusal
from core.plugins import SubscriptionCheckoutContext
from core.security import csp

from . import benefits
from .models import Plan, Subscription
from .services import billing, events, gateways


def _site_id(request: HttpRequest) -> int | None:
    site = Site.find_for_request(request)
    return site.pk if site else None


@csrf_exempt
@require_POST
def webhook(request: HttpRequest, gateway: str) -> JsonResponse:
    """``/subscriptions/webhooks/<gateway>/``: 400 with a reason for a bad signature, 200 otherwise."""
    try:
        outcome = events.handle_webhook(gateway, request.body, request.headers, site_id=_site_id(request))
    except Refusal as exc:
        return JsonResponse({"detail": exc.message, "code": exc.code}, status=503 if exc.status >= 500 else exc.status)
    return JsonResponse({"status": outcome.status, "detail": outcome.message}, status=outcome.http_status)


def _plans_context(request: HttpRequest, error: str = "") -> dict:
    plans = Plan.objects.filter(active=True).prefetch_related("prices")
    current = benefits.live_subscription(request.user.pk) if request.user.is_authenticated else None
    return {
        "plans": plans,
        "current": current,
        "gateways": gateways.subscription_gateways(_site_id(request)),
        "error": error,
    }


@require_GET
def plans_page(request: HttpRequest) -> HttpResponse:
    """``/plans/``: every active plan with its prices and benefits."""
    return render(request, "subscriptions/plans.html", _plans_context(request))


@login_required
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """Start subscribing to the chosen price, then show the gateway's card form."""
    site_id = _site_id(request)
    try:
        price = billing.find_price(request.POST.get("price"))
        started = billing.start(request.user, price, request.POST.get("gateway", ""), site_id=site_id)
    except Refusal as exc:
        return render(request, "subscriptions/plans.html", _plans_context(request, exc.message), status=exc.status)
    context = SubscriptionCheckoutContext(
        subscription_id=started.subscription.pk,
        plan_name=price.plan.name,
        amount_display=price.display,
        customer_email=request.user.email,
        csrf_token=get_token(request),
        confirm_url=reverse("subscriptions:confirm", args=[started.subscription.pk]),
        csp_nonce=csp.current_nonce(),
    )
    widget = billing.checkout_html(started, context, site_id)
    for directive, sources in (started.routed.gateway.content_security_sources() or {}).items():
        csp.allow(request, directive, sources)
    return render(
        request,
        "subscriptions/subscribe.html",
        # The widget is HTML rendered by the gateway plugin from its own templates (trusted code).
        {"price": price, "subscription": started.subscription, "widget": mark_safe(widget), "gateway": started.routed},  # noqa: S308
    )


def _own(request: HttpRequest, subscription_id: int) -> Subscription:
    subscription = (
        Subscription.objects.select_related("plan", "price").filter(pk=subscription_id, mentor=request.user).first()
    )
    if subscription is None:
        raise Http404(gettext("No such subscription of yours."))
    return subscription


@login_required
@require_POST
def confirm(request: HttpRequest, subscription_id: int) -> HttpResponse:
    """The card form posts here; the gateway's subscription is made, then its webhook confirms it."""
    subscription = _own(request, subscription_id)
    try:
        billing.confirm(subscription, request.POST.dict(), site_id=_site_id(request))
    except Refusal as exc:
        messages.error(request, exc.message)
    return redirect("subscriptions:mine")


@login_required
@require_http_methods(["GET"])
def my_plan(request: HttpRequest) -> HttpResponse:
    """``/plans/mine/``: the mentor's plan, its state, change and cancel, and the billing history."""
    subscriptions = Subscription.objects.filter(mentor=request.user).select_related("plan", "price")
    current = next((s for s in subscriptions if s.status in Subscription.LIVE_STATUSES), None)
    invoices = [i for s in subscriptions for i in s.invoices.all()]
    changes = billing.offered_prices(current.price.currency).exclude(pk=current.price_id) if current else []
    context = {
        "current": current,
        "grants": bool(current and current.grants_benefits()),
        "invoices": sorted(invoices, key=lambda i: i.created_at, reverse=True),
        "changes": changes,
    }
    return render(request, "subscriptions/mine.html", context)


@login_required
@require_GET
def status(request: HttpRequest) -> JsonResponse:
    current = benefits.live_subscription(request.user.pk)
    return JsonResponse(
        {
            "status": current.status if current else "none",
            "status_display": current.get_status_display() if current else "No plan",
            "grants_benefits": bool(current and current.grants_benefits()),
        }
    )


@login_required
@require_POST
def change(request: HttpRequest) -> HttpResponse:
    current = benefits.live_subscription(request.user.pk)
    try:
        if current is None:
            raise billing.SubscriptionConflict(gettext("You have no plan to change."), code="no_plan")
        price = billing.find_price(request.POST.get("price"))
        billing.change_plan(current, price, site_id=_site_id(request))
        messages.success(
            request,
            gettext("You are now on %(price)s. The gateway prorates the rest of this period.") % {"price": price},
        )
    except Refusal as exc:
        messages.error(request, exc.message)
    return redirect("subscriptions:mine")


@login_required
@require_POST
def cancel(request: HttpRequest) -> HttpResponse:
    current = benefits.live_subscription(request.user.pk)
    try:
        if current is None:
            raise billing.SubscriptionConflict(gettext("You have no plan to cancel."), code="no_plan")
        billing.cancel(current, site_id=_site_id(request))
        messages.success(
            request, gettext("Your plan will not renew. Its benefits last until the end of the paid period.")
        )
    except Refusal as exc:
        messages.error(request, exc.message)
    return redirect("subscriptions:mine")
