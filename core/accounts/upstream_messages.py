"""Messages of Django, allauth and Wagtail that our pages show and whose own catalogues lack Hindi.

Listed here only so that ``manage.py makemessages`` puts them in the project's catalogue, where
they are translated by hand like ours; the project's catalogue (``LOCALE_PATHS``) comes before the
apps' own, so Django then shows our translation. Each is copied exactly from the upstream source.
Nothing imports this module. The pseudo-locale test (``tests/i18n/test_pseudo_locale.py``) finds
a message a site language's upstream catalogue lacks as it finds one of ours.
"""

from __future__ import annotations


def gettext_noop(message: str) -> str:
    return message


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    return singular, plural


#: django.contrib.auth.password_validation: the help under the sign-up password, and its refusals.
PASSWORD_VALIDATION = (
    ngettext_noop(
        "Your password must contain at least %(min_length)d character.",
        "Your password must contain at least %(min_length)d characters.",
    ),
    ngettext_noop(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
    gettext_noop("Your password can’t be too similar to your other personal information."),
    gettext_noop("The password is too similar to the %(verbose_name)s."),
    gettext_noop("Your password can’t be a commonly used password."),
    gettext_noop("This password is too common."),
    gettext_noop("Your password can’t be entirely numeric."),
    gettext_noop("This password is entirely numeric."),
)

#: allauth: a signed-in person opening the login or password reset page; a failed login (page and API).
ALLAUTH = (
    gettext_noop("You are already logged in as %(user_display)s."),
    gettext_noop("The email address and/or password you specified are not correct."),
)

#: Django REST framework: the API's refusal of an anonymous request.
REST_FRAMEWORK = (
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("You do not have permission to perform this action."),
)

#: django.utils.timesince: "5 minutes ago" in notifications and messages.
TIMESINCE = (
    ngettext_noop("%(num)d year", "%(num)d years"),
    ngettext_noop("%(num)d month", "%(num)d months"),
    ngettext_noop("%(num)d week", "%(num)d weeks"),
    ngettext_noop("%(num)d day", "%(num)d days"),
    ngettext_noop("%(num)d hour", "%(num)d hours"),
    ngettext_noop("%(num)d minute", "%(num)d minutes"),
)

#: Wagtail's image field (the mentor's photo on their page).
WAGTAIL_IMAGES = (
    gettext_noop("Supported formats: %(supported_formats)s. Maximum filesize: %(max_upload_size)s."),
    gettext_noop("Supported formats: %(supported_formats)s."),
    gettext_noop("Not a supported image format. Supported formats: %(supported_formats)s."),
)

#: Language names (django.conf.global_settings.LANGUAGES) that Django's Hindi catalogue lacks; profiles
#: and the mentor search name languages in the reader's language.
LANGUAGE_NAMES = (
    gettext_noop("Armenian"),
    gettext_noop("Asturian"),
    gettext_noop("Central Kurdish (Sorani)"),
    gettext_noop("Ido"),
    gettext_noop("Igbo"),
    gettext_noop("Kabyle"),
    gettext_noop("Kyrgyz"),
    gettext_noop("Lower Sorbian"),
    gettext_noop("Norwegian Bokmål"),
    gettext_noop("Scottish Gaelic"),
    gettext_noop("Tajik"),
    gettext_noop("Turkmen"),
    gettext_noop("Upper Sorbian"),
    gettext_noop("Uyghur"),
)
