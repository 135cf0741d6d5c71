"""Where notifications and emails point, and how they show a time to their reader."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from urllib.parse import urljoin

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone


def base_url() -> str:
    """Absolute root for links in emails and feeds: the deployment's public URL.

    ``PEERLEARN_BASE_URL`` if set, else ``WAGTAILADMIN_BASE_URL`` (which a
    deployment sets to its public address for Wagtail's own emails).
    """
    root = getattr(settings, "PEERLEARN_BASE_URL", "") or getattr(settings, "WAGTAILADMIN_BASE_URL", "")
    return (root or "http://localhost:8000").rstrip("/") + "/"


def learner_dashboard() -> str:
    return reverse("dashboards:learner")


def mentor_dashboard() -> str:
    return reverse("dashboards:mentor")


def session_page(session) -> str:
    """The session's own page; the dashboard until the scheduling app serves one."""
    try:
        return session.get_absolute_url()
    except NoReverseMatch:
        return learner_dashboard()


def booking_page(booking) -> str:
    """The booking's own page (scheduling), else the learner's dashboard."""
    try:
        return reverse("scheduling:booking_detail", args=[booking.pk])
    except NoReverseMatch:
        return learner_dashboard()


def checkout_page(booking) -> str:
    """Where a held seat is paid for (payments), else the booking's page."""
    try:
        return reverse("payments:checkout", args=[booking.pk])
    except NoReverseMatch:
        return booking_page(booking)


def room(session) -> str:
    return session.room_url


def absolute(path: str) -> str:
    return urljoin(base_url(), path.lstrip("/"))


def zone_of(user) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(getattr(user, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def when(start: datetime, user, end: datetime | None = None) -> str:
    """``Tue 3 Mar 2026, 14:00–15:00 (Europe/London)`` in the reader's own zone, zone named."""
    zone = zone_of(user)
    local = timezone.localtime(start, zone)
    text = dateformat.format(local, "D j M Y, H:i")
    if end is not None:
        text += "–" + dateformat.format(timezone.localtime(end, zone), "H:i")
    return f"{text} ({zone.key})"


def time_only(value: datetime, user) -> str:
    zone = zone_of(user)
    return f"{dateformat.format(timezone.localtime(value, zone), 'D j M, H:i')} ({zone.key})"
