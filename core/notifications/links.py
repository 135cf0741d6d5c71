"""Where notifications and emails point, and how they show a time to their reader."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, timezone


def base_url() -> str:
    """Absolute root for links in emails and feeds: ``settings.PEERLEARN_BASE_URL``, the one public address.

    It follows the development server's port when unset (see ``site/settings/base.py``).
    """
    return settings.PEERLEARN_BASE_URL.rstrip("/") + "/"


def public_site() -> tuple[str, str]:
    """``(name, host[:port])`` of the site as people know it: the Wagtail site's name, the public address."""
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).only("site_name").first()
    name = (site.site_name if site else "") or settings.WAGTAIL_SITE_NAME
    return name, urlsplit(base_url()).netloc


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
