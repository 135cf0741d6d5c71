"""Rendering a plugin's own templates without making the plugin a Django app.

A plugin keeps its templates in a folder of its package and renders them with
a private template engine (autoescaping on), so its widgets work whatever the
site's theme and ``INSTALLED_APPS`` are.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.template import Context, Engine


@lru_cache(maxsize=32)
def _engine(directory: str) -> Engine:
    # i18n: a plugin's template may {% load i18n %} and translate like the theme's (the project's catalogue).
    return Engine(dirs=[directory], autoescape=True, libraries={"i18n": "django.templatetags.i18n"})


def render_template(directory: str | Path, name: str, context: Mapping[str, Any]) -> str:
    """Render ``name`` from ``directory`` (usually ``Path(__file__).parent / "templates"``)."""
    template = _engine(str(directory)).get_template(name)
    return template.render(Context(dict(context), autoescape=True))
