"""GET /api/users/profile/ and PUT/PATCH /api/users/profile/update/."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from core.taxonomy.models import Skill

pytestmark = pytest.mark.django_db

PROFILE = "/api/users/profile/"
UPDATE = "/api/users/profile/update/"


@pytest.fixture
def me(api_client, user_factory):
    user = user_factory(email="me@example.org", display_name="Me")
    api_client.force_authenticate(user)
    return user


def png(size: tuple[int, int], noise: bool = False) -> bytes:
    import os

    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noise else Image.new("RGB", size, "teal")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def test_profile_needs_authentication(api_client):
    response = api_client.get(PROFILE)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_get_profile(api_client, me):
    body = api_client.get(PROFILE).json()
    assert body["email"] == "me@example.org"
    assert body["display_name"] == "Me"
    assert body["roles"] == ["learner"]


def test_patch_updates_profile_fields(api_client, me):
    python = Skill.objects.create(name="Python")
    guitar = Skill.objects.create(name="Guitar")
    response = api_client.patch(
        UPDATE,
        {
            "display_name": "Ada L.",
            "bio": "Teaches Python.",
            "time_zone": "Asia/Kolkata",
            "languages": ["en", "hi"],
            "roles": ["mentor"],
            "skills": ["python"],
            "interests": ["guitar"],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["display_name"] == "Ada L." and body["time_zone"] == "Asia/Kolkata"
    assert body["roles"] == ["mentor"]
    assert [s["slug"] for s in body["skills"]] == ["python"]
    me.refresh_from_db()
    assert me.languages == ["en", "hi"]
    assert list(me.skills.all()) == [python] and list(me.interests.all()) == [guitar]


def test_put_replaces_the_profile(api_client, me):
    response = api_client.put(UPDATE, {"display_name": "Put Name", "bio": "", "time_zone": "UTC"}, format="json")
    assert response.status_code == 200
    assert response.json()["display_name"] == "Put Name"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"time_zone": "Nowhere/Land"}, "time_zone"),
        ({"languages": ["xx"]}, "languages"),
        ({"roles": []}, "roles"),
        ({"skills": ["no-such-skill"]}, "skills"),
        ({"display_name": ""}, "display_name"),
    ],
)
def test_bad_profile_input_is_refused_and_changes_nothing(api_client, me, payload, field):
    response = api_client.patch(UPDATE, {"bio": "should not be saved", **payload}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    me.refresh_from_db()
    assert me.bio == "" and me.display_name == "Me" and me.time_zone == "UTC"


def test_photo_upload(api_client, me, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("me.png", png((64, 64)), content_type="image/png")
    response = api_client.patch(UPDATE, {"photo": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["photo"].endswith(".png")


def test_oversize_photo_is_refused(api_client, me, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PROFILE_PHOTO_MAX_BYTES = 100_000
    upload = SimpleUploadedFile("big.png", png((300, 300), noise=True), content_type="image/png")
    response = api_client.patch(UPDATE, {"photo": upload, "bio": "x"}, format="multipart")
    assert response.status_code == 400
    assert "limit" in response.json()["errors"]["photo"][0]
    me.refresh_from_db()
    assert not me.photo and me.bio == ""


def test_a_file_that_is_not_an_image_is_refused(api_client, me, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("evil.png", b"MZ not an image", content_type="image/png")
    response = api_client.patch(UPDATE, {"photo": upload}, format="multipart")
    assert response.status_code == 400
    assert "photo" in response.json()["errors"]
