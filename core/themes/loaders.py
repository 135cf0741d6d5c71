"""A template loader that serves the active theme first, then the default theme."""

from __future__ import annotations

from django.template.loaders.filesystem import Loader as FilesystemLoader

from .registry import active_theme, template_dirs


class ThemeLoader(FilesystemLoader):
    def get_dirs(self):
        return template_dirs(active_theme.get())
