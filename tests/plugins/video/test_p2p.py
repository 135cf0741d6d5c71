"""The built-in peer-to-peer video plugin, and the video contract every backend must keep."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from core.plugins import Participant, RoomInfo, RoomRequest, VideoBackend
from core.plugins.manager import get_manager

NOW = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)


def request_for(role: str = "learner", session_id: int = 12) -> RoomRequest:
    return RoomRequest(
        session_id=session_id,
        title="Intro",
        starts_at=NOW,
        ends_at=NOW + timedelta(hours=1),
        participant=Participant(user_id=5, display_name="Ada", role=role),
        expected_participants=2,
        signalling_path=f"/ws/session/{session_id}/",
    )


def test_p2p_is_a_builtin_plugin_loaded_from_our_entry_points(db):
    plugin = get_manager().plugins["video_p2p"]
    assert plugin.loaded, plugin.load_error
    assert plugin.distribution == "peerlearn" and plugin.meta.kind == "video"
    assert plugin.hooks == ["peerlearn_video_backends"]


def test_p2p_relays_through_the_core_and_reads_its_settings(db, configure_plugin):
    [(name, backend)] = get_manager().providers("peerlearn_video_backends", only=["video_p2p"])
    assert (backend.identifier, backend.max_participants) == ("p2p", 4)
    room = backend.room_for(request_for())
    assert room.mode == "signalling" and room.signalling_path == "/ws/session/12/" and not room.client_script
    assert room.page_config["iceTransportPolicy"] == "all"
    configure_plugin("video_p2p", max_participants=50, ice_transport_policy="relay", max_video_height=360)
    [(name, backend)] = get_manager().providers("peerlearn_video_backends", only=["video_p2p"])
    assert backend.max_participants == 8, "a mesh is capped, whatever the setting says"
    room = backend.room_for(request_for())
    assert room.page_config["iceTransportPolicy"] == "relay"
    assert room.page_config["video"]["height"] == {"ideal": 360}


WORKING = ["video_p2p", "test_video_sfu", "test_video_external"]


@pytest.mark.parametrize("plugin", WORKING)
def test_every_video_backend_keeps_the_contract(plugin, video_plugins, configure_plugin):
    """Run against each registered video backend: the same cases a new backend must pass."""
    configure_plugin(plugin)
    backends = video_plugins.providers("peerlearn_video_backends", only=[plugin])
    assert backends, f"{plugin} offers no backend"
    for _, backend in backends:
        assert isinstance(backend, VideoBackend)
        assert isinstance(backend.identifier, str) and backend.identifier
        assert isinstance(backend.display_name, str) and backend.display_name
        assert isinstance(backend.max_participants, int) and backend.max_participants >= 2
        for role in ("mentor", "learner"):
            room = video_plugins.invoke(
                plugin, "room_for", backend.room_for, expect=RoomInfo, request=request_for(role)
            )
            assert isinstance(room, RoomInfo)
            json.dumps(dict(room.page_config))  # handed to the browser as is
            if room.mode == "signalling":
                assert room.signalling_path.startswith(("/", "ws://", "wss://"))
                if room.signalling_path != "/ws/session/12/":
                    assert room.client_script, "its own signalling needs its own browser client"
            else:
                assert room.external_url.startswith("https://")


def test_identifiers_are_unique_across_backends(video_plugins, configure_plugin):
    for plugin in WORKING:
        configure_plugin(plugin)
    identifiers = [b.identifier for _, b in video_plugins.providers("peerlearn_video_backends")]
    assert len(identifiers) == len(set(identifiers)) >= 3
