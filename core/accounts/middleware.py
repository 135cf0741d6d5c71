"""Show every time in the viewer's own zone, and every word in their language."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

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


class UserLanguageMiddleware:
    """Speak a signed-in person's chosen language (profile), whatever the cookie or the browser says.

    Sits after authentication; ``LocaleMiddleware`` has already chosen the visitor's language
    (the ``django_language`` cookie, else ``Accept-Language``), which is what applies when the
    profile leaves the choice to the browser.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        chosen = getattr(user, "preferred_language", "") if user is not None and user.is_authenticated else ""
        if chosen and chosen in dict(settings.LANGUAGES):
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        return self.get_response(request)
