"""A browser session's person is kept between their saves (core.accounts.session_person), and every change that
must end or alter a session still does: a new password, a deactivated account, a tampered session."""

from __future__ import annotations

import pytest
from django.contrib.auth import HASH_SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core.pages.cache import stored_part

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
PROFILE_PAGE = "/accounts/profile/"


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture
def person(user_factory):
    return user_factory(email="ada@example.org", password=PASSWORD)


def signed_in(email: str) -> Client:
    browser = Client()
    assert browser.post(reverse("account_login"), {"login": email, "password": PASSWORD}).status_code == 302
    return browser


def queries(browser: Client, url: str = "/dashboard/") -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        status = browser.get(url).status_code
    return status, len(captured)


def test_a_kept_dashboard_asks_the_database_nothing(person):
    browser = signed_in(person.email)
    browser.get("/dashboard/")
    browser.get("/dashboard/")  # kept now, with the CSRF cookie the first answer set
    assert queries(browser) == (200, 0)


def test_the_kept_person_holds_no_password_hash(person):
    signed_in(person.email).get(PROFILE_PAGE)
    kept = stored_part("session-person", [person.pk])["value"]
    assert kept.user.pk == person.pk and "password" not in kept.user.__dict__
    assert person.password not in repr(vars(kept.user)) and kept.session_auth_hash == person.get_session_auth_hash()


def test_a_new_password_saved_alone_ends_the_other_sessions(person, committed):
    phone = signed_in(person.email)
    assert phone.get(PROFILE_PAGE).status_code == 200
    with committed():
        person.set_password("a-brand-new-passphrase-42")
        person.save(update_fields=["password"])  # as a hasher upgrade does: no other field, no page goes stale
    assert phone.get(PROFILE_PAGE).status_code == 302


def test_a_deactivated_person_is_signed_out_at_once(person, committed):
    phone = signed_in(person.email)
    assert phone.get(PROFILE_PAGE).status_code == 200
    with committed():
        person.is_active = False
        person.save()
    assert phone.get(PROFILE_PAGE).status_code == 302


def test_a_session_with_another_check_is_flushed_as_django_does(person):
    phone = signed_in(person.email)
    assert phone.get(PROFILE_PAGE).status_code == 200
    session = phone.session
    session[HASH_SESSION_KEY] = "0" * 64
    session.save()
    assert phone.get(PROFILE_PAGE).status_code == 302
    assert phone.get(PROFILE_PAGE).status_code == 302  # flushed, not just refused once


def test_a_renamed_person_shows_their_new_name_on_the_next_page(person, committed):
    phone = signed_in(person.email)
    phone.get(PROFILE_PAGE)
    with committed():
        person.display_name = "Ada Lovelace"
        person.save()
    assert b"Ada Lovelace" in phone.get(PROFILE_PAGE).content
