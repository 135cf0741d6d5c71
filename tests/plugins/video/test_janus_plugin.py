"""The Janus plugin against a real Janus: rooms, tokens, sweeping, health on the Plugins page."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from core.plugins import Participant, RoomRequest
from core.plugins.manager import get_manager
from plugins.video.janus.admin import JanusAdmin
from plugins.video.janus.rooms import JanusRooms, RoomSpec


def rooms_of(janus) -> JanusRooms:
    return JanusRooms(JanusAdmin(janus.admin_url, janus.admin_secret), RoomSpec(room_offset=5000))


def request_for(user_id: int, *, credentials: bool) -> RoomRequest:
    now = datetime.now(UTC)
    return RoomRequest(
        session_id=7,
        title="Group",
        starts_at=now,
        ends_at=now + timedelta(hours=1),
        participant=Participant(user_id=user_id, display_name="Ada", role="learner"),
        expected_participants=12,
        signalling_path="/ws/session/7/",
        credentials=credentials,
    )


def test_room_for_keeps_the_core_room_and_issues_a_token_only_to_a_joiner(janus_site):
    [(_, backend)] = get_manager().providers("peerlearn_video_backends", only=["video_janus"])
    assert (backend.identifier, backend.max_participants) == ("janus", 50)
    preview = backend.room_for(request_for(3, credentials=False))
    assert preview.signalling_path == "/ws/session/7/", "chat and attendance stay on the core's socket"
    assert preview.client_script.endswith("janus-room.js") and "token" not in preview.page_config["janus"]
    assert preview.connect_sources == (janus_site.ws_url.rstrip("/"),), "the page may connect to Janus"
    joining = backend.room_for(request_for(3, credentials=True))
    token = joining.page_config["janus"]["token"]
    admin = JanusAdmin(janus_site.admin_url, janus_site.admin_secret)
    assert token in admin.list_tokens()
    assert joining.page_config["janus"]["feedId"] == 31 and joining.page_config["janus"]["simulcast"] is True


def test_tokens_are_bound_to_their_room_and_person_and_cannot_be_forged(janus):
    rooms = rooms_of(janus)
    token = rooms.token(7, 3, 2_000_000_000)
    assert rooms.parse(token) == (5007, 3, 2_000_000_000)
    assert rooms.parse(token.replace(".3.", ".4.")) is None, "another person's id breaks the MAC"
    assert rooms.parse("pl.5007.3.2000000000.000000000000000000000000") is None
    other_site = JanusRooms(JanusAdmin(janus.admin_url, "another secret"), RoomSpec(room_offset=5000))
    assert other_site.parse(token) is None


def test_the_sweep_revokes_expired_tokens_only(janus):
    rooms = rooms_of(janus)
    rooms.ensure_room(7, "Group")
    past = datetime.now(UTC) - timedelta(hours=3)
    expired = rooms.admit(7, 3, past, now=past.timestamp())
    live = rooms.admit(7, 4, datetime.now(UTC) + timedelta(hours=1))
    assert rooms.sweep(force=True) == 1
    tokens = rooms.admin.list_tokens()
    assert expired not in tokens and live in tokens
    assert rooms.sweep() == 0, "at most once a minute per process"
    assert rooms.close(7) == 1 and live not in rooms.admin.list_tokens()


def test_the_plugins_page_shows_whether_janus_answers(janus_site, admin_client, configure_plugin):
    page = admin_client.get("/admin/plugins/").content.decode()
    assert 'data-health="ok"' in page and "Janus server: Janus 1.1.2" in page
    janus_site.process.terminate()
    janus_site.process.wait(timeout=10)
    time.sleep(0.2)
    page = admin_client.get("/admin/plugins/").content.decode()
    assert 'data-health="failing"' in page and "did not answer" in page
