"""Installed themes: the folders under ``themes/`` with a ``templates/`` folder.

A theme overrides any template by path; what it does not override comes from
the default theme. Its static files live in ``static/themes/<name>/``.
"""

from __future__ import annotations

from contextvars import ContextVar
from functools import lru_cache
from pathlib import Path

from django.conf import settings

DEFAULT_THEME = "default"

active_theme: ContextVar[str] = ContextVar("peerlearn_active_theme", default=DEFAULT_THEME)


@lru_cache(maxsize=1)
def installed_themes() -> tuple[str, ...]:
    root = Path(settings.THEMES_DIR)
    if not root.is_dir():
        return ()
    return tuple(sorted(p.name for p in root.iterdir() if (p / "templates").is_dir()))


def theme_choices() -> list[tuple[str, str]]:
    return [(name, name.replace("_", " ").title()) for name in installed_themes()]


def template_dirs(theme: str) -> list[Path]:
    root = Path(settings.THEMES_DIR)
    dirs = []
    if theme in installed_themes() and theme != DEFAULT_THEME:
        dirs.append(root / theme / "templates")
    dirs.append(root / DEFAULT_THEME / "templates")
    return dirs
