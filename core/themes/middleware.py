"""Select the active theme of the request's Wagtail site."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.db import DatabaseError

from .registry import DEFAULT_THEME, active_theme, installed_themes


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
            theme = ThemeSettings.for_request(request).theme
        except (DatabaseError, ObjectDoesNotExist, AttributeError):  # no site yet, or no database
            return DEFAULT_THEME
        return theme if theme in installed_themes() else DEFAULT_THEME
