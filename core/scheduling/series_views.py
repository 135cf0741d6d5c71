"""Pages of recurring series: preview and book from a picked slot, the series page, its changes, its .ics.

The slot confirmation page offers "repeat weekly/fortnightly × N"; this module
shows the dates (each checked, clashes named before anything is paid), books the
whole series, and lets the learner or the mentor cancel or move one session or
it and the rest. Views parse, call :mod:`services.series`, render.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core.accounts.models import User

from . import currency as money
from .models import Booking, BookingSeries
from .series_ical import series_calendar
from .services import series as series_service
from .services.errors import SchedulingError
from .services.policy import current_policy
from .views import _parse_aware, viewer_zone


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _request_of(request: HttpRequest) -> dict:
    post = request.POST
    return {
        "start_iso": post.get("start", ""),
        "start": _parse_aware(post.get("start", "")),
        "length": _int(post.get("duration_minutes")),
        "cadence": post.get("cadence", ""),
        "count": _int(post.get("count")),
        "payment_mode": post.get("payment_mode") or BookingSeries.PER_SESSION,
    }


@login_required
@require_POST
def series_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Preview a series from a picked slot (dates and clashes); with ``confirmed=1`` book it whole."""
    mentor = get_object_or_404(User, pk=pk, is_mentor=True, is_active=True)
    data = _request_of(request)
    zone = viewer_zone()
    context = {
        "mentor": mentor,
        "data": data,
        "zone": str(zone),
        "mentor_zone": mentor.time_zone,
        "cadences": [
            (c, label) for c, label in BookingSeries.CADENCE_CHOICES if c in series_service.offered_cadences()
        ],
        "policy": current_policy(),
        "series_policy": series_service.series_policy(),
        "back": reverse("scheduling:slot_picker", args=[mentor.pk]),
    }
    if data["start"] is None or data["length"] <= 0:
        messages.error(request, _("Pick one of the slots first."))
        return redirect("scheduling:slot_picker", pk=mentor.pk)
    try:
        plan = series_service.plan_series(
            mentor, request.user, data["start"], data["cadence"], data["count"], data["length"]
        )
    except SchedulingError as exc:
        context["error"] = exc.message
        return render(request, "scheduling/series_confirm.html", context, status=exc.status)
    if request.POST.get("confirmed") == "1" and plan.first_clash is None:
        try:
            series = series_service.book_series(
                mentor,
                request.user,
                data["start"],
                data["cadence"],
                data["count"],
                data["length"],
                payment_mode=data["payment_mode"],
            )
        except SchedulingError as exc:
            context["error"] = exc.message
            plan = series_service.plan_series(
                mentor, request.user, data["start"], data["cadence"], data["count"], data["length"]
            )
            context.update(_plan_context(plan, zone))
            return render(request, "scheduling/series_confirm.html", context, status=exc.status)
        messages.success(request, _("Your %(count)s sessions are booked.") % {"count": series.count})
        return redirect("scheduling:series_detail", pk=series.pk)
    context.update(_plan_context(plan, zone))
    status = 409 if request.POST.get("confirmed") == "1" else 200
    return render(request, "scheduling/series_confirm.html", context, status=status)


def _plan_context(plan: series_service.SeriesPlan, zone: ZoneInfo) -> dict:
    return {
        "rows": [
            {
                "index": o.index,
                "local": o.start.astimezone(zone),
                # as text: the date filter would turn an aware time back into the viewer's zone
                "mentor_local": o.start.astimezone(plan.mentor_zone).strftime("%H:%M %Z"),
                "clash": o.clash,
                "reason": o.reason,
            }
            for o in plan.occurrences
        ],
        "first_clash": plan.first_clash,
        "price": money.format_money(plan.price_minor, plan.currency) if plan.price_minor else None,
        "total": money.format_money(plan.total_minor, plan.currency) if plan.price_minor else None,
    }


def _my_series(request: HttpRequest, pk: int) -> BookingSeries:
    return get_object_or_404(series_service.visible_series(request.user), pk=pk)


@login_required
@require_GET
def series_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A series: every session with its status, paying, and changing one or the rest."""
    series = _my_series(request, pk)
    zone = viewer_zone()
    now = timezone.now()
    rows = []
    for occurrence in series_service.occurrences_of(series):
        booking = occurrence.booking
        rows.append(
            {
                "occurrence": occurrence,
                "booking": booking,
                "local": booking.starts_at.astimezone(zone),
                "changeable": booking.is_active and booking.starts_at > now,
                "moved": occurrence.moved,
                "move_value": booking.starts_at.astimezone(zone).strftime("%Y-%m-%dT%H:%M"),
            }
        )
    is_learner = series.learner_id == request.user.pk
    anchor = series_service.anchor_booking(series)
    unpaid = [r["booking"] for r in rows if r["booking"].status == Booking.PENDING_PAYMENT]
    context = {
        "series": series,
        "rows": rows,
        "zone": str(zone),
        "is_learner": is_learner,
        "price": money.format_money(series.price_minor, series.currency) if series.price_minor else None,
        "pay_at_once": series.payment_mode == BookingSeries.AT_ONCE
        and anchor.status == Booking.PENDING_PAYMENT
        and is_learner,
        "anchor": anchor,
        "unpaid": unpaid,
        "policy": current_policy(),
    }
    return render(request, "scheduling/series_detail.html", context)


@login_required
@require_POST
def series_cancel(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    series = _my_series(request, pk)
    rest = request.POST.get("rest") == "1"
    try:
        results = series_service.cancel_occurrences(
            series, index, request.user, rest=rest, reason=(request.POST.get("reason") or "")[:255]
        )
    except SchedulingError as exc:
        messages.error(request, _("Not cancelled: %(reason)s") % {"reason": exc.message})
    else:
        refund = sum(r.refund_minor for r in results)
        text = _("%(n)s session(s) cancelled.") % {"n": len(results)}
        if refund:
            text += " " + _("%(amount)s will be refunded.") % {"amount": money.format_money(refund, series.currency)}
        messages.success(request, text)
    return redirect("scheduling:series_detail", pk=series.pk)


@login_required
@require_POST
def series_reschedule(request: HttpRequest, pk: int, index: int) -> HttpResponse:
    """Move one session (or it and the rest) to a new local date and time typed in the viewer's zone."""
    series = _my_series(request, pk)
    raw = (request.POST.get("start") or "").strip()
    start = _parse_aware(raw)
    if start is None:
        try:
            start = datetime.fromisoformat(raw).replace(tzinfo=viewer_zone()) if raw else None
        except ValueError:
            start = None
    if start is None:
        messages.error(request, _("Not moved: give a date and a time."))
        return redirect("scheduling:series_detail", pk=series.pk)
    try:
        moved = series_service.reschedule_occurrences(
            series, index, request.user, start, rest=request.POST.get("rest") == "1"
        )
    except SchedulingError as exc:
        messages.error(request, _("Not moved: %(reason)s") % {"reason": exc.message})
    else:
        when = timezone.localtime(moved[0].starts_at)
        messages.success(
            request,
            _("Moved %(n)s session(s); the first is now on %(when)s.")
            % {"n": len(moved), "when": when.strftime("%a %d %b %Y, %H:%M")},
        )
    return redirect("scheduling:series_detail", pk=series.pk)


@login_required
@require_GET
def series_ics(request: HttpRequest, pk: int) -> HttpResponse:
    """The series as one recurring calendar event (see :mod:`series_ical`)."""
    series = _my_series(request, pk)
    response = HttpResponse(series_calendar(series), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="peerlearn-series-{series.pk}.ics"'
    return response


#: An occurrence counts as ahead until a minute after it ends (a late finish still shows).
STILL_AHEAD_GRACE = timedelta(minutes=1)


def upcoming_of(user, role: str, now=None) -> list[dict]:
    """Series for the dashboards: each with its next session and how many are still ahead."""
    now = now or timezone.now()
    queryset = BookingSeries.objects.select_related("learner", "mentor")
    queryset = queryset.filter(mentor=user) if role == "mentor" else queryset.filter(learner=user)
    rows = []
    for series in queryset.order_by("-created_at")[:20]:
        ahead = [
            o.booking
            for o in series_service.occurrences_of(series)
            if o.booking.is_active and o.booking.ends_at > now - STILL_AHEAD_GRACE
        ]
        if not ahead:
            continue
        rows.append({"series": series, "next": ahead[0], "left": len(ahead)})
    return rows
