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
zone, the address (the forms' ``next``) and the CSRF secret (the forms' token).
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


def learner_sessions(request: HttpRequest) -> SafeString:
    """The signed-in learner's upcoming and past seats, as HTML."""
    user = request.user
    get_token(request)  # a secret exists before it is part of the key (a first visit gets its cookie)

    def build() -> dict:
        now = timezone.now()
        overview = services.learner_overview(user, now=now)
        html = render_to_string(LEARNER_SESSIONS_TEMPLATE, overview, request=request)
        return {"html": html, "until": services.next_change(overview, now)}

    parts = [
        request.get_host(),
        active_theme.get(),
        user.pk,
        translation.get_language(),
        timezone.get_current_timezone_name(),
        request.path,
        request.META.get("CSRF_COOKIE", ""),
    ]
    kept = cached_part("learner-sessions", parts, [f"person:{user.pk}", "site"], build, fresh=_not_passed)
    return mark_safe(kept["html"])  # noqa: S308 - a template's own (escaped) output


def _not_passed(kept: dict) -> bool:
    return kept["until"] is None or timezone.now() < kept["until"]
