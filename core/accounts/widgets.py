"""Form widgets of the site shared by the account, sign-up and mentor profile forms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import format_html


class ChipsSelectMultiple(forms.SelectMultiple):
    """A ``<select multiple>`` that the theme's ``js/multiselect.js`` turns into searchable chips.

    The chosen values stay visible as chips, typing filters the list, and it works with the keyboard
    and on touch screens. Without JavaScript it is the plain list box, so a form never depends on it.
    """

    def __init__(self, attrs: dict[str, Any] | None = None, *, placeholder: str = "Type to search…") -> None:
        super().__init__(attrs)
        self.placeholder = placeholder

    def render(self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None) -> str:
        select = super().render(name, value, attrs, renderer)
        return format_html(
            '<div class="multiselect" data-multiselect data-placeholder="{}">{}</div>', self.placeholder, select
        )
