"""POST /api/auth/register/, /login/, /logout/: success and every refusal."""

from __future__ import annotations

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail

from core.accounts.models import User

pytestmark = pytest.mark.django_db

REGISTER = "/api/auth/register/"
LOGIN = "/api/auth/login/"
LOGOUT = "/api/auth/logout/"
PROFILE = "/api/users/profile/"


def register(api_client, **overrides):
    data = {
        "email": "ada@example.org",
        "password": "correct-horse-battery",
        "display_name": "Ada",
        "time_zone": "Europe/London",
        "roles": ["learner", "mentor"],
    }
    data.update(overrides)
    return api_client.post(REGISTER, data, format="json")


def test_register_creates_the_user_and_sends_the_verification_mail(api_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = register(api_client)
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["email"] == "ada@example.org"
    assert "Check your inbox" in body["detail"]
    assert "password" not in body
    user = User.objects.get(email="ada@example.org")
    assert user.is_mentor and user.is_learner and user.check_password("correct-horse-battery")
    assert user.time_zone == "Europe/London"
    assert EmailAddress.objects.filter(user=user, primary=True, verified=False).exists()
    assert len(mail.outbox) == 1
    assert re.search(r"/accounts/confirm-email/[^/\s]+/", mail.outbox[0].body)


def test_register_defaults_to_learner(api_client):
    response = api_client.post(
        REGISTER,
        {"email": "b@example.org", "password": "correct-horse-battery", "display_name": "B"},
        format="json",
    )
    assert response.status_code == 202
    user = User.objects.get(email="b@example.org")
    assert user.roles == ["learner"]
    assert user.time_zone == "UTC"


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"password": "123"}, "password", "too short"),
        ({"password": "password123"}, "password", "too common"),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "not a known time zone"),
        ({"email": "not-an-email"}, "email", "valid email"),
        ({"roles": ["teacher"]}, "roles", "not a valid choice"),
        ({"roles": []}, "roles", "may not be empty"),
        ({"display_name": ""}, "display_name", "may not be blank"),
    ],
)
def test_register_refuses_bad_input_with_the_field_and_reason(api_client, overrides, field, fragment):
    response = register(api_client, **overrides)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["errors"]
    assert fragment in str(body["errors"][field]).lower() or fragment in str(body["errors"][field])
    assert not User.objects.exists()


def test_an_existing_email_gets_the_same_answer_and_a_mail_that_explains(
    api_client, user_factory, django_capture_on_commit_callbacks
):
    """Nobody learns who has an account: same status, same body shape; the owner is told by mail."""
    existing = user_factory(email="ada@example.org", display_name="Original")
    with django_capture_on_commit_callbacks(execute=True):
        taken = register(api_client, email="ADA@example.org", display_name="Impostor")
        new = register(api_client, email="new@example.org")
    assert taken.status_code == new.status_code == 202
    assert taken.json().keys() == new.json().keys()
    assert taken.json()["detail"] == new.json()["detail"].replace("new@example.org", "ada@example.org")
    existing.refresh_from_db()
    assert existing.display_name == "Original" and existing.check_password("a-Strong-pass-123")
    assert User.objects.filter(email__iexact="ada@example.org").count() == 1
    to_owner = [m for m in mail.outbox if m.to == ["ada@example.org"]]
    assert len(to_owner) == 1
    assert "already" in (to_owner[0].subject + to_owner[0].body).lower()
    assert "/accounts/password/reset/" in to_owner[0].body
    assert "confirm-email" not in to_owner[0].body


def test_malformed_json_is_a_400_with_a_reason(api_client):
    response = api_client.post(REGISTER, data='{"email": ', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert "JSON parse error" in response.json()["detail"]


def test_login_returns_a_token_that_authenticates(api_client, user_factory):
    user = user_factory(email="tok@example.org", password="correct-horse-battery")
    response = api_client.post(LOGIN, {"email": "tok@example.org", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    assert response.json()["user"]["id"] == user.id
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.get(PROFILE).json()["email"] == "tok@example.org"


def test_wrong_password_is_refused(api_client, user_factory):
    user_factory(email="tok@example.org", password="correct-horse-battery")
    response = api_client.post(LOGIN, {"email": "tok@example.org", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"
    assert "token" not in response.json()


def test_login_is_throttled_after_repeated_failures(api_client, user_factory):
    user_factory(email="tok@example.org", password="correct-horse-battery")
    codes = [
        api_client.post(LOGIN, {"email": "tok@example.org", "password": f"wrong{i}"}, format="json").status_code
        for i in range(6)
    ]
    assert codes[:5] == [400] * 5
    response = api_client.post(LOGIN, {"email": "tok@example.org", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 429
    assert "too many" in response.json()["detail"].lower()


def test_unverified_email_cannot_log_in_when_verification_is_mandatory(api_client, user_factory, settings):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"
    user = user_factory(email="new@example.org", password="correct-horse-battery")
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=False)
    response = api_client.post(LOGIN, {"email": "new@example.org", "password": "correct-horse-battery"}, format="json")
    assert response.status_code == 403
    assert "Verify your email" in response.json()["detail"]


def test_wrong_token_is_401_json(api_client):
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = api_client.get(PROFILE)
    assert response.status_code == 401
    assert response.json() == {"detail": "Invalid token.", "code": "authentication_failed"}


def test_logout_revokes_the_token(api_client, user_factory):
    user_factory(email="tok@example.org", password="correct-horse-battery")
    token = api_client.post(
        LOGIN, {"email": "tok@example.org", "password": "correct-horse-battery"}, format="json"
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api_client.post(LOGOUT).status_code == 204
    assert api_client.get(PROFILE).status_code == 401


def test_logout_needs_authentication(api_client):
    assert api_client.post(LOGOUT).status_code == 401
