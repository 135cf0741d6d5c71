"""A template loader that serves the active theme first, then the default theme."""

from __future__ import annotations

from django.template.loaders.cached import Loader as CachedLoader
from django.template.loaders.filesystem import Loader as FilesystemLoader

from .registry import active_theme, template_dirs


class ThemeLoader(FilesystemLoader):
    def get_dirs(self):
        return template_dirs(active_theme.get())


class CachedThemeLoader(CachedLoader):
    """Django's cached loader, with the active theme in the cache key (production)."""

    def cache_key(self, template_name, skip=None):
        return f"{active_theme.get()}:{super().cache_key(template_name, skip)}"
