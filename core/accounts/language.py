"""The language a person is spoken to in: pages (middleware), and emails and notifications made for them."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def language_of(user) -> str:
    """``user``'s chosen site language; the site's default when they left it to the browser.

    A notification or an email is written while no request of theirs is being served, so the
    browser's choice is not known there: the profile setting is what counts.
    """
    chosen = getattr(user, "preferred_language", "") or ""
    return chosen if chosen in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def speaking_to(user) -> translation.override:
    """``with speaking_to(user):`` renders every gettext, template and date name in ``user``'s language."""
    return translation.override(language_of(user))
