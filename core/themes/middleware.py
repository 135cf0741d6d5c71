"""Select the active theme of the request's Wagtail site.

The request's ``Site`` and its ``ThemeSettings`` are the same for every request
to one host, so they are kept in the cache (:data:`SITES_KEY`, one small entry
for all hosts) and handed to Wagtail on the request, where
``Site.find_for_request`` and ``ThemeSettings.for_request`` (templates'
``settings.themes.ThemeSettings``) look first: two queries saved on every page.
Saving or deleting a site or any theme setting drops the entry (``apps.py``).
Each process also keeps what it read for :data:`LOCAL_SECONDS`, so most requests
make no cache round trip for it: a change saved in this process shows at once, one
saved in another within those seconds. Each request gets its own copies of the
objects (Wagtail and the templates set request-bound attributes on them).
"""

from __future__ import annotations

import copy
from time import monotonic

from django.core.cache import cache
from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError
from django.http.request import split_domain_port
from wagtail.models import Site

from .registry import DEFAULT_THEME, active_theme, installed_themes

#: ``{(hostname, port): (Site or None, ThemeSettings or None)}`` for the hosts seen since the last change.
SITES_KEY = "themes:sites-by-host"
SITES_TIMEOUT = 3600
#: Seconds a process uses the entry it read before reading it again.
LOCAL_SECONDS = 5
_read: tuple[float, dict] = (0.0, {})  # (monotonic time it is good until, the entry) in this process


def forget_sites(**kwargs) -> None:
    """A site or its theme settings changed: look them up again."""
    global _read
    _read = (0.0, {})
    cache.delete(SITES_KEY)


def _known_sites() -> dict:
    """The cached entry, read at most every :data:`LOCAL_SECONDS` by this process."""
    global _read
    until, known = _read
    now = monotonic()
    if now >= until:
        known = cache.get(SITES_KEY) or {}
        _read = (now + LOCAL_SECONDS, known)
    return known


class ActiveThemeMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = active_theme.set(self._theme_for(request))
        try:
            return self.get_response(request)
        finally:
            active_theme.reset(token)

    @staticmethod
    def _theme_for(request) -> str:
        from .models import ThemeSettings

        try:
            site, theme_settings = _site_and_settings(request)
        except (DatabaseError, ObjectDoesNotExist, AttributeError):  # no site yet, or no database
            return DEFAULT_THEME
        if theme_settings is None:
            return DEFAULT_THEME
        theme_settings._request = request  # as ThemeSettings.for_request leaves it (page URLs)
        setattr(request, ThemeSettings.get_cache_attr_name(), theme_settings)
        theme = theme_settings.theme
        return theme if theme in installed_themes() else DEFAULT_THEME


def _site_and_settings(request):
    """The request's Site and ThemeSettings, from the cache when this host was seen before."""
    from .models import ThemeSettings

    global _read
    host = (split_domain_port(request._get_raw_host())[0], request.get_port())
    known = _known_sites()
    if host in known:
        site, theme_settings = (copy.copy(kept) if kept is not None else None for kept in known[host])
        request._wagtail_site = site  # where Site.find_for_request keeps the request's site
        return site, theme_settings
    site = Site.find_for_request(request)
    theme_settings = ThemeSettings.for_site(site) if site is not None else None
    known = {**known, host: (copy.copy(site), copy.copy(theme_settings))}
    cache.set(SITES_KEY, known, timeout=SITES_TIMEOUT)
    _read = (monotonic() + LOCAL_SECONDS, known)
    return site, theme_settings
