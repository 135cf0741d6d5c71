"""A session sells no more seats than the video backend that will carry its room holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from core.rooms.capacity import video_capacity
from core.rooms.models import RoomSettings
from core.scheduling.models import Session

from .conftest import default_site


def enable_janus(configure_plugin, **settings_values) -> None:
    """The Janus plugin configured (its backend is listed without any call to a server)."""
    from core.plugins.models import PluginConfiguration

    configure_plugin(
        "video_janus",
        admin_url="http://127.0.0.1:20599/admin",
        public_ws_url="wss://video.example.org/janus",
        **settings_values,
    )
    row = PluginConfiguration.objects.get(plugin="video_janus")
    row.secrets = {"admin_secret": "s3cret-for-tests"}
    row.save()


def payload(capacity: int) -> dict:
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0)
    return {"title": "Big lecture", "start": start.isoformat(), "duration_minutes": 60, "capacity": capacity}


@pytest.fixture
def mentor_client(user_factory, api_client):
    mentor = user_factory(is_mentor=True, display_name="Maya Mentor")
    api_client.force_authenticate(mentor)
    return mentor, api_client


def test_forty_seats_are_refused_with_only_the_mesh_and_the_answer_names_the_limit(mentor_client):
    mentor, api = mentor_client
    response = api.post("/api/sessions/create/", payload(40), format="json")
    assert response.status_code == 400
    body = response.json()
    assert "at most 4 people" in str(body) and "at most 3 seats" in str(body), body
    assert not Session.objects.exists()
    assert api.post("/api/sessions/create/", payload(3), format="json").status_code == 201


def test_forty_seats_are_accepted_once_janus_is_enabled(mentor_client, configure_plugin):
    enable_janus(configure_plugin)
    mentor, api = mentor_client
    assert video_capacity().max_participants == 100
    response = api.post("/api/sessions/create/", payload(40), format="json")
    assert response.status_code == 201, response.json()
    assert Session.objects.get().capacity == 40
    refused = api.post("/api/sessions/create/", {**payload(120), "title": "Too big"}, format="json")
    assert refused.status_code == 400 and "at most 100 people" in str(refused.json())


def test_the_backend_the_site_names_is_the_one_that_applies(mentor_client, configure_plugin):
    enable_janus(configure_plugin, max_participants=30)
    settings_row = RoomSettings.for_site(default_site())
    settings_row.video_backend = "p2p"
    settings_row.save()
    mentor, api = mentor_client
    response = api.post("/api/sessions/create/", payload(10), format="json")
    assert response.status_code == 400 and "Peer-to-peer" in str(response.json())
    settings_row.video_backend = "janus"
    settings_row.save()
    assert api.post("/api/sessions/create/", payload(29), format="json").status_code == 201


def test_the_form_says_why_and_saves_nothing(user_factory):
    mentor = user_factory(is_mentor=True, display_name="Maya Mentor")
    client = Client()
    client.force_login(mentor)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    form = {
        "title": "Big lecture",
        "start": start.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "60",
        "capacity": "40",
        "price": "0",
        "currency": "EUR",
    }
    response = client.post("/schedule/sessions/new/", form)
    assert response.status_code == 400
    assert "hold at most 4 people" in response.content.decode()
    assert response.context["form"].errors["capacity"], response.context["form"].errors
    assert not Session.objects.exists()
