"""Wagtail's admin under the site's Content-Security-Policy.

The admin writes a few inline scripts that initialise widgets. Those in
templates (date and time pickers, inline panels) are overridden in
``core/security/templates/wagtailadmin/`` with ``nonce="{% csp_nonce %}"``
(tests/security/test_csp.py checks they stay Wagtail's templates otherwise).
Choosers write theirs from Python (``BaseChooser.render``); that one method is
wrapped here to give its own ``<script>`` tag the request's nonce.
"""

from __future__ import annotations

from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .csp import current_nonce

_INIT_SCRIPT = "<script>"


def nonce_wagtail_chooser_scripts() -> None:
    from wagtail.admin.widgets.chooser import BaseChooser

    original = BaseChooser.render
    if getattr(original, "csp_nonce", False):
        return

    def render(self, name: str, value: Any, attrs: dict | None = None, renderer: Any = None) -> SafeString:
        html = str(original(self, name, value, attrs, renderer))
        # Wagtail appends exactly one "<script>{js}</script>" after the widget's HTML.
        head, found, tail = html.rpartition(_INIT_SCRIPT)
        if not found:
            return mark_safe(html)  # noqa: S308 - Wagtail's own output, unchanged
        return mark_safe(f'{head}<script nonce="{escape(current_nonce())}">{tail}')  # noqa: S308

    render.csp_nonce = True  # type: ignore[attr-defined]
    BaseChooser.render = render  # type: ignore[method-assign]
