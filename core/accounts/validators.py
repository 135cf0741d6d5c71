"""Validation of profile fields, shared by forms and the API."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from django.conf import settings
from django.conf.global_settings import LANGUAGES
from django.core.exceptions import ValidationError
from django.utils.translation import gettext

#: Language codes and their English names (Django's list, marked for its catalogue): a page shows
#: :func:`language_name`, the name in the reader's language.
LANGUAGE_NAMES = {code: name for code, name in LANGUAGES if "-" not in code}


def language_name(code: str) -> str:
    """The name of the language ``code`` in the active language ("German", "जर्मन", "alemán")."""
    name = LANGUAGE_NAMES.get(code)
    return gettext(name) if name else code


@lru_cache(maxsize=1)
def available_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in available_time_zones():
        raise ValidationError(
            gettext("“%(value)s” is not a known time zone (use an IANA name such as Europe/London)."),
            code="invalid_time_zone",
            params={"value": value},
        )


def validate_language_codes(value: object) -> None:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise ValidationError(gettext("Languages must be a list of language codes."), code="invalid")
    unknown = [code for code in value if code not in LANGUAGE_NAMES]
    if unknown:
        raise ValidationError(
            gettext("Unknown language code(s): %(codes)s."),
            code="invalid_language",
            params={"codes": ", ".join(unknown)},
        )


def validate_photo(file) -> None:
    limit = settings.PROFILE_PHOTO_MAX_BYTES
    if file and getattr(file, "size", 0) > limit:
        raise ValidationError(
            gettext("The photo is %(size).1f MB; the limit is %(limit).0f MB."),
            code="file_too_large",
            params={"size": file.size / 1_048_576, "limit": limit / 1_048_576},
        )
