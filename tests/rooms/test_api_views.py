"""The room page, the room REST endpoints and the admin screens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client

from core.rooms import services
from core.rooms.models import Attendance, ChatMessage
from core.scheduling.models import Session


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- the room page ----------------------------------------------------------------------------


def test_the_room_page_gives_participants_the_call_and_its_configuration(world):
    response = client_for(world.learner).get(f"/sessions/{world.session.pk}/room/")
    assert response.status_code == 200
    page = response.context["page"]
    assert page.state == "ready" and page.role == "learner"
    config = page.config
    assert config["signallingUrl"] == f"/ws/session/{world.session.pk}/"
    assert config["backend"] == {"identifier": "p2p", "name": "Peer-to-peer (WebRTC mesh)", "maxParticipants": 4}
    assert config["iceServers"] == [] and config["pageConfig"]["topology"] == "mesh"
    html = response.content.decode()
    assert 'id="room-config"' in html and "js/room.js" in html
    assert "Join the session" in html and "End session for everyone" not in html
    assert response["Permissions-Policy"].startswith("camera=(self)")
    mentor_html = client_for(world.mentor).get(f"/sessions/{world.session.pk}/room/").content.decode()
    assert "Start the session" in mentor_html and "End session for everyone" in mentor_html


def test_strangers_anonymous_and_cancelled_learners_get_no_room(world):
    url = f"/sessions/{world.session.pk}/room/"
    response = Client().get(url)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    for user in (world.stranger, world.cancelled):
        response = client_for(user).get(url)
        assert response.status_code == 403
        assert b"confirmed learners" in response.content
    assert client_for(world.mentor).get("/sessions/999999/room/").status_code == 404


def test_before_the_window_the_page_previews_and_waits(world_factory):
    world = world_factory(start=datetime.now(UTC) + timedelta(hours=3))
    response = client_for(world.learner).get(f"/sessions/{world.session.pk}/room/")
    assert response.status_code == 200
    assert response.context["page"].state == "too_early"
    assert "The room opens at" in response.content.decode()
    assert response.context["page"].config["state"] == "too_early"


def test_after_the_session_the_page_shows_the_chat_and_attendance(world):
    grant = services.SocketGrant(world.session.pk, world.mentor.pk, "mentor", "Maya", 4, None)
    services.join_room(grant, peer_id="mentor-stay-0001")
    services.post_chat(world.session.pk, world.mentor, "Thanks for coming <script>")
    services.end_room(world.session.pk, world.mentor)
    response = client_for(world.learner).get(f"/sessions/{world.session.pk}/room/")
    assert response.status_code == 200 and response.context["page"].state == "ended"
    html = response.content.decode()
    assert "Thanks for coming &lt;script&gt;" in html and "js/room.js" not in html
    assert "Maya Mentor" not in response.context["page"].attendance.__repr__(), "a learner sees only their own time"
    mentor_page = client_for(world.mentor).get(f"/sessions/{world.session.pk}/room/").context["page"]
    assert [p.display_name for p in mentor_page.attendance] == ["Maya Mentor"]
    assert client_for(world.stranger).get(f"/sessions/{world.session.pk}/room/").status_code == 403


# --- REST -----------------------------------------------------------------------------------------


def test_room_endpoint_answers_how_to_join_or_why_not(world, api_client):
    api_client.force_authenticate(world.learner)
    body = api_client.get(f"/api/sessions/{world.session.pk}/room/").json()
    assert body["state"] == "ready" and body["role"] == "learner"
    assert body["signalling_url"] == f"/ws/session/{world.session.pk}/" and body["mode"] == "signalling"
    assert body["backend"]["max_participants"] == 4
    api_client.force_authenticate(world.stranger)
    response = api_client.get(f"/api/sessions/{world.session.pk}/room/")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    response = api_client.get("/api/sessions/424242/room/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    api_client.force_authenticate(None)
    assert api_client.get(f"/api/sessions/{world.session.pk}/room/").status_code == 401


def test_chat_and_attendance_endpoints(world, api_client):
    grant = services.SocketGrant(world.session.pk, world.learner.pk, "learner", "Leo", 4, None)
    services.join_room(grant, peer_id="learner-stay-001")
    services.post_chat(world.session.pk, world.learner, "hello")
    api_client.force_authenticate(world.learner2)
    chat = api_client.get(f"/api/sessions/{world.session.pk}/chat/").json()
    assert [(line["display_name"], line["text"], line["user_id"]) for line in chat] == [
        ("Leo Learner", "hello", world.learner.pk)
    ]
    assert api_client.get(f"/api/sessions/{world.session.pk}/attendance/").json() == []
    api_client.force_authenticate(world.mentor)
    people = api_client.get(f"/api/sessions/{world.session.pk}/attendance/").json()
    assert [(p["user_id"], p["role"], p["stays"], p["present"]) for p in people] == [
        (world.learner.pk, "learner", 1, False)
    ]
    api_client.force_authenticate(world.stranger)
    assert api_client.get(f"/api/sessions/{world.session.pk}/chat/").status_code == 403
    assert api_client.get(f"/api/sessions/{world.session.pk}/attendance/").status_code == 403


def test_the_protocol_is_published_and_documented(db, api_client):
    body = api_client.get("/api/rooms/protocol/").json()
    assert body["max_message_bytes"] == 65536
    assert set(body["client_messages"]) == {
        "join", "leave", "offer", "answer", "ice", "chat", "mute", "screen", "end", "ping"
    }  # fmt: skip
    assert body["direct_types"] == ["answer", "ice", "offer"]
    from pathlib import Path

    text = (Path(services.__file__).parent / "PROTOCOL.md").read_text()
    for kind in body["client_messages"]:
        assert f"| `{kind}` |" in text, f"PROTOCOL.md documents {kind}"
    for kind in ("welcome", "join", "leave", "error", "end", "session", "pong"):
        assert f"| `{kind}` |" in text or f"`{kind}`" in text


@pytest.mark.django_db
def test_the_schema_documents_the_room_endpoints(api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    for path in (
        "/api/sessions/{session_id}/room/",
        "/api/sessions/{session_id}/chat/",
        "/api/sessions/{session_id}/attendance/",
        "/api/rooms/protocol/",
    ):
        assert path in schema["paths"], path


# --- admin -----------------------------------------------------------------------------------------


def test_editors_read_attendance_and_chat_but_cannot_write_them(world, user_factory):
    admin = user_factory(is_staff=True, is_superuser=True)
    grant = services.SocketGrant(world.session.pk, world.learner.pk, "learner", "Leo", 4, None)
    services.join_room(grant, peer_id="learner-stay-001")
    line = services.post_chat(world.session.pk, world.learner, "an abusive line")
    client = client_for(admin)
    listing = client.get("/admin/attendance/")
    assert listing.status_code == 200 and b"Leo Learner" in listing.content
    row = Attendance.objects.get()
    assert client.get(f"/admin/attendance/inspect/{row.pk}/").status_code == 200
    assert client.get("/admin/attendance/new/").status_code in (302, 403)
    assert client.get(f"/admin/attendance/edit/{row.pk}/").status_code in (302, 403)
    assert client.get("/admin/room_chat/").status_code == 200
    assert client.post(f"/admin/room_chat/delete/{line.pk}/").status_code == 302
    assert not ChatMessage.objects.exists()
    settings_page = client.get("/admin/settings/rooms/roomsettings/")
    assert settings_page.status_code in (200, 302)


def test_session_state_drives_the_page_for_a_cancelled_session(world):
    Session.objects.filter(pk=world.session.pk).update(status=Session.CANCELLED)
    response = client_for(world.learner).get(f"/sessions/{world.session.pk}/room/")
    assert response.status_code == 200 and response.context["page"].state == "cancelled"


def test_the_rooms_setting_refuses_a_backend_nobody_offers(db):
    from django.core.exceptions import ValidationError

    from core.rooms.models import RoomSettings
    from tests.plugins.video.conftest import default_site

    settings = RoomSettings.for_site(default_site())
    settings.video_backend = " jitsi "
    with pytest.raises(ValidationError) as caught:
        settings.full_clean()
    assert "Available: p2p" in str(caught.value)
    settings.video_backend = " p2p "
    settings.full_clean()
    assert settings.video_backend == "p2p"
