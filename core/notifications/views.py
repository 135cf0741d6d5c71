"""Pages of the notification centre and of the private calendar feed."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from . import calendar, links, services
from .models import Notification

PAGE_SIZE = 30


def _safe_next(request: HttpRequest, candidate: str | None, fallback: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    only_unread = request.GET.get("show") == "unread"
    queryset = Notification.objects.filter(user=request.user)
    if only_unread:
        queryset = queryset.unread()
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/list.html",
        {"page_obj": page, "only_unread": only_unread, "unread_count": services.unread_count(request.user)},
    )


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way."""
    try:
        notification = services.mark_read(request.user, pk)
    except Notification.DoesNotExist as exc:
        raise Http404(gettext("No notification of yours has this id.")) from exc
    return HttpResponseRedirect(_safe_next(request, notification.url, reverse("notifications:list")))


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        services.mark_read(request.user, pk)
    except Notification.DoesNotExist as exc:
        raise Http404(gettext("No notification of yours has this id.")) from exc
    return redirect(_safe_next(request, request.POST.get("next"), reverse("notifications:list")))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    marked = services.mark_all_read(request.user)
    if marked:
        messages.success(
            request,
            ngettext("Marked %(marked)s notification read.", "Marked %(marked)s notifications read.", marked)
            % {"marked": marked},
        )
    return redirect(_safe_next(request, request.POST.get("next"), reverse("notifications:list")))


@login_required
@require_http_methods(["GET", "POST"])
def calendar_settings(request: HttpRequest) -> HttpResponse:
    """Create, regenerate or revoke the user's private calendar subscription URL."""
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("create", "regenerate"):
            calendar.regenerate_feed(request.user)
            if action == "create":
                messages.success(
                    request, gettext("Your private calendar address is ready: add it to your calendar app.")
                )
            else:
                messages.success(request, gettext("A new address was made. The old one no longer works."))
        elif action == "revoke":
            if calendar.revoke_feed(request.user):
                messages.success(
                    request, gettext("Your calendar address was revoked. Calendar apps can no longer read it.")
                )
            else:
                messages.info(request, gettext("You had no calendar address to revoke."))
        else:
            messages.error(request, gettext("Unknown action: choose create, regenerate or revoke. Nothing changed."))
            return render(request, "notifications/calendar.html", _calendar_context(request), status=400)
        return redirect("notifications:calendar")
    return render(request, "notifications/calendar.html", _calendar_context(request))


def _calendar_context(request: HttpRequest) -> dict:
    feed = calendar.feed_of(request.user)
    context: dict = {"feed": feed}
    if feed is not None:
        https_url = links.absolute(reverse("notifications:calendar_feed", args=[feed.token]))
        context["feed_url"] = https_url
        context["webcal_url"] = "webcal://" + https_url.split("://", 1)[1]
    return context


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed behind a private token; 404 for an unknown or revoked one."""
    user = calendar.user_for_token(token)
    if user is None:
        raise Http404(gettext("Unknown or revoked calendar address."))
    response = HttpResponse(calendar.render_feed(user), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="peerlearn.ics"'
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response
