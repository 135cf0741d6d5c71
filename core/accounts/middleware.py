"""Show every time in the viewer's own zone."""

from __future__ import annotations

import zoneinfo

from django.utils import timezone

from .validators import available_time_zones

TZ_COOKIE = "peerlearn_tz"


class UserTimezoneMiddleware:
    """Activate the user's time zone, or the browser's (cookie) for visitors."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        name = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            name = user.time_zone
        else:
            name = request.COOKIES.get(TZ_COOKIE)
        if name and name in available_time_zones():
            timezone.activate(zoneinfo.ZoneInfo(name))
        else:
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
