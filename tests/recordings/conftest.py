"""Recording tests use the room tests' world: a group session whose room is open, on the mesh (p2p)."""

from __future__ import annotations

import pytest

from tests.rooms.conftest import _fresh_backend_decisions, world, world_factory  # noqa: F401  (shared fixtures)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    """Stored recordings go to a folder of the test's own."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}


@pytest.fixture
def client_for():
    from django.test import Client

    def make(user):
        client = Client()
        client.force_login(user)
        return client

    return make
