"""Uploads on S3-compatible storage, against a local S3 server (moto in server mode).

A profile photo uploaded through the API and a Wagtail image's rendition land in the bucket
and come back byte for byte through the URLs the site hands out (signed links).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import urllib.request

import boto3
import pytest
from django.core.files.images import ImageFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from moto.server import ThreadedMotoServer
from PIL import Image as PILImage

from .conftest import ROOT, clean_env, free_port

BUCKET = "peerlearn-uploads"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint():
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture(scope="module")
def s3_storages(s3_endpoint) -> dict:
    """STORAGES as the production settings build them from the environment."""
    return production_storages(AWS_STORAGE_BUCKET_NAME=BUCKET, AWS_S3_ENDPOINT_URL=s3_endpoint)


@pytest.fixture
def s3_storage(s3_endpoint, s3_storages, monkeypatch):
    """Those STORAGES in this process, on a fresh bucket; yields an S3 client to look inside."""
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **_keys())
    client.create_bucket(Bucket=BUCKET)
    storages = s3_storages
    with override_settings(STORAGES={**storages, "staticfiles": {"BACKEND": "whitenoise.storage.StaticFilesStorage"}}):
        yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def _keys() -> dict[str, str]:
    return {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def production_storages(**env: str) -> dict:
    """STORAGES of the production settings in a fresh process with `env` set."""
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES))"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=clean_env(
            DJANGO_SETTINGS_MODULE="peerlearn.settings.production",
            SECRET_KEY="s" * 10 + "production-settings-under-test-0123456789abcdef",
            ALLOWED_HOSTS="peerlearn.example.org",
            **env,
        ),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def png(size: tuple[int, int], colour: str) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", size, colour).save(buffer, format="PNG")
    return buffer.getvalue()


def fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def test_without_a_bucket_uploads_stay_on_the_filesystem():
    storages = production_storages()
    assert storages["default"] == {"BACKEND": "django.core.files.storage.FileSystemStorage"}
    assert storages["staticfiles"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


def test_a_bucket_switches_uploads_to_s3_under_production_settings():
    storages = production_storages(
        AWS_STORAGE_BUCKET_NAME=BUCKET, AWS_S3_ENDPOINT_URL="https://s3.example.org", AWS_QUERYSTRING_AUTH="false"
    )
    assert storages["default"] == {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": BUCKET,
            "endpoint_url": "https://s3.example.org",
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }


@pytest.mark.django_db
def test_a_profile_photo_goes_to_the_bucket_and_back(s3_storage, api_client, user_factory):
    me = user_factory(email="photo@example.org")
    api_client.force_authenticate(me)
    content = png((48, 48), "teal")
    upload = SimpleUploadedFile("me.png", content, content_type="image/png")
    response = api_client.patch("/api/users/profile/update/", {"photo": upload}, format="multipart")
    assert response.status_code == 200, response.content
    keys = [item["Key"] for item in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert len(keys) == 1 and keys[0].startswith("profile-photos/") and keys[0].endswith(".png")
    url = response.json()["photo"]
    assert "X-Amz-Signature=" in url or "Signature=" in url  # a private bucket: signed links
    assert fetch(url) == content


@pytest.mark.django_db
def test_a_wagtail_image_and_its_rendition_live_in_the_bucket(s3_storage):
    from wagtail.images.models import Image

    image = Image.objects.create(title="Campus", file=ImageFile(io.BytesIO(png((120, 80), "orange")), name="c.png"))
    rendition = image.get_rendition("fill-30x20")
    stored = PILImage.open(io.BytesIO(fetch(rendition.url)))
    assert stored.size == (30, 20)
    assert fetch(image.file.url) == png((120, 80), "orange")
    keys = {item["Key"] for item in s3_storage.list_objects_v2(Bucket=BUCKET)["Contents"]}
    assert image.file.name in keys and rendition.file.name in keys
