"""The rules every value entering the site passes, whatever the endpoint or page.

One place decides what hostile input is, so no view, form or serializer has
to remember it: :class:`core.api.middleware.InputGuardMiddleware` applies it
to query strings and form bodies, :class:`core.api.parsers.JSONParser` to
JSON bodies. Refused: a NUL character (PostgreSQL cannot store it in text,
and no person types it), and a value made only of digits and punctuation
that uses non-ASCII digits (``²``, ``٣``): ``isdigit()`` says yes to them and
``int()`` then fails or reads another number than the one shown.
:func:`clamp_date` keeps dates from query strings inside a range where date
arithmetic cannot overflow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings


@dataclass
class BadInput(Exception):
    """A value no endpoint accepts; ``field`` names where it was found."""

    field: str
    message: str
    code: str


def refusal(value: str) -> tuple[str, str] | None:
    """``(code, message)`` when ``value`` breaks a rule every input follows, else None."""
    if "\x00" in value:
        return "nul_character", "NUL characters are not accepted."
    if value.isascii():
        return None
    if any(ch.isnumeric() and not ch.isascii() for ch in value) and not any(ch.isalpha() for ch in value):
        return "non_ascii_digits", "Write numbers with the digits 0-9."
    return None


def check_pairs(pairs: Iterable[tuple[str, str]]) -> None:
    """Raise :class:`BadInput` for the first name or value of ``pairs`` (a query string, a form) that breaks a rule."""
    for name, value in pairs:
        for text in (name, value):
            if found := refusal(text):
                field = name[:64] if refusal(name) is None else "non_field_errors"
                raise BadInput(field, found[1], found[0])


def check_tree(data: Any, path: str = "") -> None:
    """Check every key and string of decoded JSON; ``path`` locates the culprit (``items.2.name``)."""
    if isinstance(data, str):
        if found := refusal(data):
            raise BadInput(path or "non_field_errors", found[1], found[0])
    elif isinstance(data, Mapping):
        for key, value in data.items():
            where = f"{path}.{key}" if path else str(key)
            if found := refusal(str(key)):
                raise BadInput(path or "non_field_errors", found[1], found[0])
            check_tree(value, where[:200])
    elif isinstance(data, list):
        for index, value in enumerate(data):
            check_tree(value, f"{path}.{index}" if path else str(index))


def json_too_deep(raw: bytes, limit: int | None = None) -> bool:
    """Whether arrays and objects in ``raw`` nest deeper than ``limit``, read without decoding.

    Python's decoder recurses once per level: checking first keeps a 2 KB
    body of brackets from reaching its recursion limit.
    """
    limit = limit if limit is not None else settings.API_JSON_MAX_DEPTH
    depth = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):  # ] }
            depth -= 1
    return False


#: Dates taken from a query string stay within this many days of today.
DATE_RANGE_DAYS = 3660


def clamp_date(day: date, today: date, *, past_days: int = DATE_RANGE_DAYS, future_days: int = DATE_RANGE_DAYS) -> date:
    """``day`` moved into ``[today - past_days, today + future_days]``: ``9999-12-31`` then cannot overflow."""
    return min(max(day, today - timedelta(days=past_days)), today + timedelta(days=future_days))
