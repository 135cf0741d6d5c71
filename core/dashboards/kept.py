"""Rendered parts of the dashboards kept per person (:func:`core.pages.cache.cached_part`).

A dashboard is the page a signed-in person opens most, and its seat list is its
costliest part to build (two queries over bookings, sessions and mentors, and a
template row per seat) while it changes only with an event or with time. It is
rendered once and kept until:

* an event changes it: the person's bookings (``person:<id>``, bumped by every
  booking save, a review they write, and a change of a session they hold a seat
  in), or anything on the site's settings such as the booking policy (``site``);
* time changes it: :func:`core.dashboards.services.next_change` says when the
  first row would read differently (a room opens, a refund deadline passes).

The key holds everything else the HTML depends on: host, theme, language, time
zone and the address (the forms' ``next``). The forms' CSRF token is not kept:
the HTML is stored with a placeholder, and each answer gets its own request's
token, so a browser without the cookie yet (or with another secret) is never
handed a token its cookie does not match.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe

from core.pages.cache import cached_part
from core.themes.registry import active_theme

from . import services

LEARNER_SESSIONS_TEMPLATE = "dashboards/learner_sessions.html"
#: No title or name can hold a NUL byte (the input guard refuses them), so only the token is replaced.
CSRF_PLACEHOLDER = "\x00csrf-token\x00"


def learner_sessions(request: HttpRequest) -> SafeString:
    """The signed-in learner's upcoming and past seats, as HTML."""
    user = request.user

    def build() -> dict:
        now = timezone.now()
        overview = services.learner_overview(user, now=now)
        context = {**overview, "csrf_token": CSRF_PLACEHOLDER}
        html = render_to_string(LEARNER_SESSIONS_TEMPLATE, context, request=request)
        return {"html": html, "until": services.next_change(overview, now)}

    parts = [
        request.get_host(),
        active_theme.get(),
        user.pk,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        request.path,
    ]
    kept = cached_part("learner-sessions", parts, [f"person:{user.pk}", "site"], build, expires=_until)
    html = kept["html"]
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, get_token(request))
    return mark_safe(html)  # noqa: S308 - a template's own (escaped) output


def _until(kept: dict) -> float | None:
    return kept["until"].timestamp() if kept["until"] is not None else None
