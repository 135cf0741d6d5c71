"""A new password ends the other ways in: API tokens and the other browser sessions."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

OLD = "correct-horse-battery"
NEW = "a-brand-new-passphrase-42"
PROFILE_PAGE = "/accounts/profile/"
PROFILE_API = "/api/users/profile/"


@pytest.fixture
def person(user_factory):
    return user_factory(email="ada@example.org", password=OLD)


def api_token(email: str, password: str) -> APIClient:
    api = APIClient()
    token = api.post("/api/auth/login/", {"email": email, "password": password}, format="json").json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api


def logged_in_browser(email: str, password: str) -> Client:
    browser = Client()
    response = browser.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302
    assert browser.get(PROFILE_PAGE).status_code == 200
    return browser


def test_changing_the_password_on_the_site_revokes_tokens_and_other_sessions(person):
    api = api_token(person.email, OLD)
    laptop, phone = logged_in_browser(person.email, OLD), logged_in_browser(person.email, OLD)
    assert api.get(PROFILE_API).status_code == 200

    response = laptop.post(reverse("account_change_password"), {"oldpassword": OLD, "password1": NEW, "password2": NEW})
    assert response.status_code == 302

    assert api.get(PROFILE_API).status_code == 401
    assert not Token.objects.filter(user=person).exists()
    assert phone.get(PROFILE_PAGE).status_code == 302  # the other session is over
    assert laptop.get(PROFILE_PAGE).status_code == 200  # the one that changed it stays in
    assert api_token(person.email, NEW).get(PROFILE_API).status_code == 200


def test_resetting_the_password_revokes_tokens_and_every_session(client, person):
    api = api_token(person.email, OLD)
    phone = logged_in_browser(person.email, OLD)

    client.post(reverse("account_reset_password"), {"email": person.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    response = client.post(form_url, {"password1": NEW, "password2": NEW})
    assert response.status_code == 302, response.content

    person.refresh_from_db()
    assert person.check_password(NEW)
    assert api.get(PROFILE_API).status_code == 401
    assert phone.get(PROFILE_PAGE).status_code == 302


def test_any_other_password_save_revokes_tokens_too(person):
    """The admin, the changepassword command and any future API endpoint all end in set_password + save."""
    api = api_token(person.email, OLD)
    person.set_password(NEW)
    person.save()
    assert api.get(PROFILE_API).status_code == 401


def test_saving_the_profile_keeps_the_token(person):
    api = api_token(person.email, OLD)
    person.display_name = "Ada L."
    person.save()
    assert api.patch("/api/users/profile/update/", {"bio": "hi"}, format="json").status_code == 200
    assert api.get(PROFILE_API).status_code == 200
