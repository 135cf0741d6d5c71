"""Which language a page speaks: the profile, else the switcher's cookie, else Accept-Language."""

from __future__ import annotations

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

NAV_HI = "मेंटर खोजें"  # "Find a mentor"
NAV_ES = "Buscar un mentor"
#: A page of the site (not a Wagtail page: the test database has only Wagtail's welcome page).
PAGE = "/accounts/login/"


def test_the_browser_language_is_spoken_to_visitors(client):
    page = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="hi-IN,hi;q=0.9,en;q=0.5")
    html = page.content.decode()
    assert page.status_code == 200
    assert page["Content-Language"] == "hi"
    assert '<html lang="hi" dir="ltr"' in html
    assert NAV_HI in html and "Find a mentor" not in html


def test_english_is_the_default(client):
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert '<html lang="en" dir="ltr"' in html and "Find a mentor" in html


def test_the_switcher_keeps_a_visitors_choice_in_a_cookie(client):
    answer = client.post("/i18n/setlang/", {"language": "es", "next": "/mentors/"})
    assert answer.status_code == 302 and answer["Location"] == "/mentors/"
    assert answer.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="hi").content.decode()
    assert NAV_ES in html, "the chosen language beats the browser's"


def test_the_switcher_refuses_an_offsite_next_and_an_unknown_language(client):
    answer = client.post("/i18n/setlang/", {"language": "es", "next": "https://evil.example/"})
    assert answer.status_code == 302 and answer["Location"] == "/"
    answer = client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert settings.LANGUAGE_COOKIE_NAME not in answer.cookies


def test_the_switcher_is_in_the_header_for_everyone(client, django_user_model):
    html = client.get(PAGE).content.decode()
    assert 'action="/i18n/setlang/"' in html and 'name="language"' in html
    assert '<option value="hi" lang="hi">हिंदी</option>' in html, "each language named in itself"
    assert "csrfmiddlewaretoken" not in html.split('action="/i18n/setlang/"')[1].split("</form>")[0]


def test_a_members_profile_language_wins_and_the_switcher_saves_it(client, django_user_model):
    user = django_user_model.objects.create_user(email="asha@example.org", password="x" * 12, display_name="Asha")
    user.preferred_language = "hi"
    user.save()
    client.force_login(user)
    html = client.get("/dashboard/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert NAV_HI in html
    client.post("/i18n/setlang/", {"language": "es", "next": "/"})
    user.refresh_from_db()
    assert user.preferred_language == "es"
    assert NAV_ES in client.get("/dashboard/").content.decode()


def test_the_profile_form_offers_the_site_languages(client, django_user_model):
    user = django_user_model.objects.create_user(email="ben@example.org", password="x" * 12, display_name="Ben")
    client.force_login(user)
    html = client.get("/accounts/profile/edit/").content.decode()
    assert 'name="preferred_language"' in html and "Follow my browser" in html and "español" in html


def test_the_javascript_catalogue_follows_the_language(client):
    catalogue = client.get("/jsi18n/?l=hi", HTTP_ACCEPT_LANGUAGE="hi").content.decode()
    assert "\\u0938\\u0924\\u094d\\u0930" in catalogue or "सत्र" in catalogue
    english = client.get("/jsi18n/?l=en", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "function gettext" in english or "gettext" in english


def test_a_right_to_left_language_turns_the_page(client, settings):
    """The theme reads dir from the language (logical CSS properties do the rest); Arabic stands in for RTL."""
    settings.LANGUAGES = [*settings.LANGUAGES, ("ar", "Arabic")]
    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl"' in html


def test_the_theme_uses_logical_properties_only():
    """No physical left/right margins or paddings in the theme's templates: they would not mirror in RTL."""
    import re
    from pathlib import Path

    physical = re.compile(r'class="[^"]*(?<![\w-])-?(?:[a-z]+:)*(?:ml|mr|pl|pr|left|right)-\S')
    theme = Path(settings.BASE_DIR) / "themes" / "default" / "templates"
    offenders = [str(p) for p in theme.rglob("*.html") if "email" not in p.parts and physical.search(p.read_text())]
    assert offenders == []
