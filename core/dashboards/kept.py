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
zone and the address (the forms' ``next``). Past and cancelled seats hardly ever
change, yet a learner with a long history had up to 20 of them rendered again at
every booking (a third of rebuilding the dashboard): each past row is rendered
once per its own state (:func:`past_row_html`) and kept in the process. The forms' CSRF token is not kept:
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
PAST_ROW_TEMPLATE = "dashboards/past_row.html"
#: Past rows kept per process (a few hundred bytes each); all are dropped when it is full.
PAST_ROWS_KEPT = 5000
_past_rows: dict[tuple, SafeString] = {}
#: No title or name can hold a NUL byte (the input guard refuses them), so only the token is replaced.
CSRF_PLACEHOLDER = "\x00csrf-token\x00"


def learner_sessions(request: HttpRequest) -> SafeString:
    """The signed-in learner's upcoming and past seats, as HTML."""
    user = request.user

    def build() -> dict:
        now = timezone.now()
        overview = services.learner_overview(user, now=now)
        past_rows = [past_row_html(row) for row in overview["past"]]
        context = {**overview, "past_rows": past_rows, "csrf_token": CSRF_PLACEHOLDER}
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


def past_row_html(row: services.SeatRow) -> SafeString:
    """A past or cancelled seat's row, rendered once per everything it shows (``past_row.html`` reads
    nothing else) in the active theme, language and time zone."""
    booking, session = row.booking, row.session
    key = (
        active_theme.get(),
        translation.get_language(),
        timezone.get_current_timezone_name(),
        booking.pk,
        booking.status,
        booking.refund_minor,
        booking.refund_percent,
        session.title,
        session.starts_at,
        str(session.mentor),
        row.can_review,
    )
    html = _past_rows.get(key)
    if html is None:
        html = mark_safe(render_to_string(PAST_ROW_TEMPLATE, {"row": row}))  # noqa: S308 - a template's own output
        if len(_past_rows) >= PAST_ROWS_KEPT:
            _past_rows.clear()
        _past_rows[key] = html
    return html


def _until(kept: dict) -> float | None:
    return kept["until"].timestamp() if kept["until"] is not None else None
