"""The mentor's calendar page: connect, test, choose a calendar, refresh now, disconnect."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import busy, providers, services
from .forms import ConnectionForm
from .models import CalendarConnection


def _provider_choice(request: HttpRequest, available: dict, existing: CalendarConnection | None) -> str:
    wanted = request.POST.get("provider") or request.GET.get("provider") or ""
    if wanted in available:
        return wanted
    if existing is not None and existing.provider in available:
        return existing.provider
    return next(iter(available), "")


@login_required
def calendar_page(request: HttpRequest) -> HttpResponse:
    """Connect a calendar whose events block your slots and which receives your bookings."""
    if not request.user.is_mentor:
        raise PermissionDenied(_("Only mentors connect a calendar; turn on the mentor role in your profile."))
    mentor = request.user
    existing = CalendarConnection.objects.filter(mentor=mentor).first()
    available = providers.available()
    identifier = _provider_choice(request, available, existing)
    provider = available[identifier][1] if identifier else None
    form = ConnectionForm(provider, existing) if provider else None
    tested: list = []
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action in ("test", "connect"):
                if provider is None:
                    raise services.ConnectionProblem(_("No kind of calendar is available on this site."), "none")
                form = ConnectionForm(provider, existing, request.POST)
                if not form.is_valid():
                    raise services.ConnectionProblem(
                        _("Please correct the errors below; nothing was saved."), "invalid"
                    )
                if action == "test":
                    tested = services.test_connection(mentor, identifier, form.values()).calendars
                    messages.success(
                        request,
                        _(
                            "Connection works: %(count)s calendar(s) found. Choose one and connect; type the "
                            "password again (it is never sent back to the page). Nothing is saved until then."
                        )
                        % {"count": len(tested)},
                    )
                else:
                    connection = services.connect(
                        mentor, identifier, form.values(), request.POST.get("calendar_id", "")
                    )
                    if connection.calendar_id:
                        messages.success(
                            request, _("Calendar connected: %(name)s.") % {"name": connection.calendar_name}
                        )
                    else:
                        messages.info(request, _("Connected. Now choose which calendar to use."))
                    return redirect("calendars:calendar")
            elif action == "choose" and existing is not None:
                services.choose_calendar(existing, request.POST.get("calendar_id", ""))
                messages.success(request, _("Now using %(name)s.") % {"name": existing.calendar_name})
                return redirect("calendars:calendar")
            elif action == "refresh" and existing is not None:
                outcome = services.refresh_now(existing)
                if outcome.ok:
                    messages.success(request, _("Your calendar was read just now; your free slots follow it."))
                else:
                    messages.error(request, outcome.message)
                return redirect("calendars:calendar")
            elif action == "disconnect":
                services.disconnect(mentor)
                messages.success(request, _("Calendar disconnected. Events already written stay in it."))
                return redirect("calendars:calendar")
            else:
                raise services.ConnectionProblem(_("Unknown action."), "unknown_action")
        except services.ConnectionProblem as problem:
            messages.error(request, problem.message)
            status = 400
    calendars = []
    if existing is not None and request.method == "GET" and request.GET.get("choose"):
        try:
            calendars = services.calendars_of(existing)
        except services.ConnectionProblem as problem:
            messages.error(request, problem.message)
    return render(
        request,
        "calendars/calendar.html",
        {
            "connection": existing,
            "stale": busy.is_stale(existing) if existing and existing.calendar_id else False,
            "available": [(key, value[1].display_name) for key, value in available.items()],
            "provider_id": identifier,
            "provider_name": provider.display_name if provider else "",
            "form": form,
            "tested": tested,
            "calendars": calendars,
            "busy_count": len(existing.busy) if existing else 0,
        },
        status=status,
    )
