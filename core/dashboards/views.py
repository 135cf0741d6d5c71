"""Dashboards: pages that show, and small POST views that call the scheduling services.

Every action works without JavaScript (a form posts here, the service decides,
a message says what happened) and answers a refusal with the service's own
reason, changing nothing.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.pages.kept_pages import kept_for_person
from core.scheduling.models import Session
from core.scheduling.services import bookings as booking_services
from core.scheduling.services import sessions as session_services
from core.scheduling.services.errors import SchedulingError

from . import services

REASON_MAX = 255


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


def _reason(request: HttpRequest) -> str:
    return (request.POST.get("reason") or "").strip()[:REASON_MAX]


@login_required
@require_GET
@kept_for_person
def learner_dashboard(request: HttpRequest) -> HttpResponse:
    # Its parts are kept per person ({% learner_sessions %}: core.dashboards.kept), and the page whole.
    return render(request, "dashboards/learner.html")


@login_required
@require_GET
def mentor_dashboard(request: HttpRequest) -> HttpResponse:
    if not request.user.is_mentor:
        return render(request, "dashboards/not_mentor.html", status=403)
    context = services.mentor_overview(request.user)
    return render(request, "dashboards/mentor.html", context)


@login_required
@require_POST
def cancel_booking(request: HttpRequest, pk: int) -> HttpResponse:
    """A learner cancels their seat, or the mentor cancels one learner's seat."""
    booking = services.booking_for(request.user, pk)
    if booking is None:
        raise Http404(gettext("No booking of yours has this id."))
    is_mentor = request.user.pk == booking.session.mentor_id
    fallback = reverse("dashboards:mentor" if is_mentor else "dashboards:learner")
    try:
        result = booking_services.cancel_booking(booking, request.user, _reason(request))
    except SchedulingError as exc:
        messages.error(request, gettext("Not cancelled: %(message)s") % {"message": exc.message})
        return _back(request, fallback)
    refund = f" {result.refund_percent} % of the price will be refunded." if result.refund_minor else ""
    who = f"{booking.learner}'s seat" if is_mentor else "Your booking"
    messages.success(
        request,
        gettext("%(who)s for “%(title)s” is cancelled.%(refund)s")
        % {"who": who, "title": booking.session.title, "refund": refund},
    )
    return _back(request, fallback)


@login_required
@require_http_methods(["GET", "POST"])
def reschedule_booking(request: HttpRequest, pk: int) -> HttpResponse:
    """Pick another slot (1:1) or another session (group seat) and move the booking there atomically."""
    booking = services.booking_for(request.user, pk)
    if booking is None:
        raise Http404(gettext("No booking of yours has this id."))
    is_mentor = request.user.pk == booking.session.mentor_id
    done = reverse("dashboards:mentor" if is_mentor else "dashboards:learner")
    error = ""
    if request.method == "POST":
        start, target, error = _parse_target(request, booking)
        if not error:
            try:
                booking_services.reschedule_booking(booking, request.user, start=start, target_session=target)
            except SchedulingError as exc:
                error = exc.message
            else:
                moved = services.booking_for(request.user, pk)
                when = timezone.localtime(moved.starts_at)
                messages.success(
                    request,
                    gettext("Moved to %(when)s (%(zone)s).")
                    % {"when": date_format(when, "D j M Y, H:i"), "zone": when.tzinfo},
                )
                return redirect(done)
        messages.error(request, gettext("Not moved: %(error)s") % {"error": error})
    try:
        offset = max(0, min(int(request.GET.get("offset", "0")), 365))
    except ValueError:
        offset = 0
    context = {
        "booking": booking,
        "session": booking.session,
        "is_mentor": is_mentor,
        "options": services.reschedule_options(booking, offset_days=offset),
        "offset": offset,
        "next_offset": offset + services.RESCHEDULE_DAYS,
        "prev_offset": max(0, offset - services.RESCHEDULE_DAYS),
        "back_url": done,
    }
    return render(request, "dashboards/reschedule.html", context, status=400 if error else 200)


def _parse_target(request: HttpRequest, booking) -> tuple[datetime | None, Session | None, str]:
    raw_start = (request.POST.get("start") or "").strip()
    raw_session = (request.POST.get("session") or "").strip()
    if bool(raw_start) == bool(raw_session):
        return None, None, gettext("Choose one new time or one other session.")
    if raw_start:
        try:
            start = datetime.fromisoformat(raw_start)
        except ValueError:
            return (
                None,
                None,
                gettext("“%(value)s” is not a date and time (ISO 8601 with its offset).") % {"value": raw_start},
            )
        if start.tzinfo is None:
            return None, None, gettext("The new time must carry its UTC offset.")
        return start, None, ""
    if not raw_session.isdigit():
        return None, None, gettext("Unknown session.")
    target = Session.objects.filter(pk=int(raw_session), mentor_id=booking.session.mentor_id).first()
    if target is None:
        return None, None, gettext("Unknown session.")
    return None, target, ""


@login_required
@require_POST
def cancel_session(request: HttpRequest, pk: int) -> HttpResponse:
    """The mentor calls a session off: every learner is cancelled and refunded in full."""
    session = services.session_for_mentor(request.user, pk)
    if session is None:
        raise Http404(gettext("No session of yours has this id."))
    try:
        result = session_services.cancel_session(session, request.user, _reason(request))
    except SchedulingError as exc:
        messages.error(request, gettext("Not cancelled: %(message)s") % {"message": exc.message})
    else:
        count = len(result.bookings)
        told = f" {count} learner{'s were' if count != 1 else ' was'} told." if count else ""
        messages.success(request, gettext("“%(title)s” is cancelled.%(told)s") % {"title": session.title, "told": told})
    return _back(request, reverse("dashboards:mentor"))


@login_required
@require_POST
def start_session(request: HttpRequest, pk: int) -> HttpResponse:
    """The mentor starts the session (inside its start window) and goes to the room."""
    session = services.session_for_mentor(request.user, pk)
    if session is None:
        raise Http404(gettext("No session of yours has this id."))
    try:
        session = session_services.start_session(session, request.user)
    except SchedulingError as exc:
        messages.error(request, gettext("Not started: %(message)s") % {"message": exc.message})
        return _back(request, reverse("dashboards:mentor"))
    return redirect(session.room_url)
