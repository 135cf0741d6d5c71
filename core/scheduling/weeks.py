"""Which day a reader's week starts on: the weekly availability editor lists the days in that order.

Babel knows it per territory (CLDR week data); a bare language takes its likely territory
(English: the United States, Sunday; Hindi: India, Sunday; Spanish: Spain, Monday).
"""

from __future__ import annotations

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from django.utils import translation


def first_weekday(language: str | None = None) -> int:
    """0 for Monday ... 6 for Sunday, as Python's ``date.weekday()`` counts."""
    code = translation.to_locale(language or translation.get_language() or "en")
    try:
        locale = Locale.parse(code)
        if locale.territory is None:
            locale = Locale.parse(get_global("likely_subtags").get(locale.language, code))
    except (UnknownLocaleError, ValueError):
        return 0
    return locale.first_week_day


def week_order(language: str | None = None) -> list[int]:
    """The seven weekdays (0 Monday ... 6 Sunday) in the reader's order."""
    first = first_weekday(language)
    return [(first + n) % 7 for n in range(7)]
