"""Sign-up through allauth's form and profile editing on the site."""

from __future__ import annotations

import io
import os

import pytest
from django.core import mail
from django.urls import reverse
from PIL import Image

from core.accounts.models import User
from core.taxonomy.models import Skill

pytestmark = pytest.mark.django_db


def signup_data(**overrides):
    data = {
        "email": "grace@example.org",
        "password1": "correct-horse-battery",
        "password2": "correct-horse-battery",
        "display_name": "Grace",
        "time_zone": "America/New_York",
        "roles": ["learner", "mentor"],
    }
    data.update(overrides)
    return data


def test_signup_creates_a_profile_with_roles_zone_and_interests(client):
    python = Skill.objects.create(name="Python")
    response = client.post(reverse("account_signup"), signup_data(interests=[python.id]))
    assert response.status_code == 302
    user = User.objects.get(email="grace@example.org")
    assert (user.display_name, user.time_zone, user.roles) == ("Grace", "America/New_York", ["learner", "mentor"])
    assert list(user.interests.all()) == [python]
    assert len(mail.outbox) == 1 and "confirm-email" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"password1": "abc", "password2": "abc"}, "too short"),
        ({"password2": "something-else-entirely"}, "same password"),
        ({"time_zone": "Mars/Base"}, "not one of the available choices"),
        ({"roles": []}, "Choose at least one role"),
    ],
)
def test_signup_shows_form_errors_and_creates_nothing(client, overrides, message):
    response = client.post(reverse("account_signup"), signup_data(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not User.objects.exists()


def test_signup_with_a_taken_email_is_refused(client, user_factory):
    user_factory(email="grace@example.org", display_name="First")
    response = client.post(reverse("account_signup"), signup_data())
    assert response.status_code == 200
    assert "already registered" in response.content.decode()
    assert User.objects.get(email="grace@example.org").display_name == "First"


def test_profile_pages_need_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]


def test_profile_edit_saves_changes(client, user_factory):
    user = user_factory()
    client.force_login(user)
    response = client.post(
        reverse("accounts:profile_edit"),
        {
            "display_name": "New Name",
            "bio": "I like maths.",
            "time_zone": "Asia/Tokyo",
            "languages": ["en", "ja"],
            "roles": ["learner"],
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert (user.display_name, user.bio, user.time_zone, user.languages) == (
        "New Name",
        "I like maths.",
        "Asia/Tokyo",
        ["en", "ja"],
    )
    page = client.get(reverse("accounts:profile")).content.decode()
    assert "New Name" in page and "I like maths." in page


def test_oversize_photo_shows_an_error_and_saves_nothing(client, user_factory, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PROFILE_PHOTO_MAX_BYTES = 50_000
    user = user_factory(display_name="Before")
    client.force_login(user)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (200, 200), os.urandom(200 * 200 * 3)).save(buffer, format="PNG")
    buffer.name = "big.png"
    buffer.seek(0)
    response = client.post(
        reverse("accounts:profile_edit"),
        {
            "display_name": "After",
            "time_zone": "UTC",
            "roles": ["learner"],
            "photo": buffer,
        },
    )
    assert response.status_code == 400
    assert "the limit is" in response.content.decode()
    user.refresh_from_db()
    assert user.display_name == "Before" and not user.photo
