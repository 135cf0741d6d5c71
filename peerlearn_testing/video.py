"""The video contract: backends that say how a room is joined, and ICE servers for a participant.

Run it against a plugin by subclassing :class:`VideoBackendContract` in a test
module that defines the fixture ``peerlearn_plugin``. A video plugin provides
backends (``peerlearn_video_backends``), ICE servers
(``peerlearn_ice_servers``), or both; each is checked when present. No
database is needed: hooks must answer from their settings alone (a media
server the settings name must be reachable). A backend that declares the
optional recording capability (``BrowserRecording`` / ``ServerRecording``)
is checked for it too: a server backend told to record nobody records
nobody, and exports nothing for a recording it never made.
"""

from __future__ import annotations

import json
import urllib.parse
from datetime import UTC, datetime, timedelta

import pytest

from core.plugins import (
    BrowserRecording,
    IceServer,
    Participant,
    RecordingRequest,
    RoomInfo,
    RoomRequest,
    ServerRecording,
    VideoBackend,
    recording_location,
)

from . import plugins

ICE_SCHEMES = ("stun", "stuns", "turn", "turns")


def _request(participant: Participant, expected: int = 2) -> RoomRequest:
    starts = datetime(2030, 1, 7, 10, 0, tzinfo=UTC)
    return RoomRequest(
        session_id=7,
        title="Contract session",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        participant=participant,
        expected_participants=expected,
        signalling_path="/ws/session/7/",
        site_id=None,
    )


class VideoBackendContract:
    """Subclass in a test module that defines the ``peerlearn_plugin`` fixture."""

    @pytest.fixture
    def video_plugin(self, peerlearn_plugin: str):
        obj = plugins.load(peerlearn_plugin)
        if not any(hasattr(obj, hook) for hook in ("peerlearn_video_backends", "peerlearn_ice_servers")):
            pytest.fail(f"{peerlearn_plugin} implements neither peerlearn_video_backends nor peerlearn_ice_servers")
        return obj

    @pytest.fixture
    def plugin_settings(self, peerlearn_plugin: str) -> dict:
        """Settings the plugin needs before it offers a backend (a secret has no default): override it."""
        return {}

    @pytest.fixture
    def config(self, peerlearn_plugin: str, video_plugin, plugin_settings: dict):
        return plugins.default_config(peerlearn_plugin, video_plugin, **plugin_settings)

    @pytest.fixture
    def participant(self) -> Participant:
        return Participant(user_id=42, display_name="Ada Learner", role="learner")

    def test_backends_describe_themselves(self, video_plugin, config) -> None:
        if not hasattr(video_plugin, "peerlearn_video_backends"):
            pytest.skip("this plugin provides ICE servers only")
        backends = list(video_plugin.peerlearn_video_backends(config=config))
        assert backends, "no backend with the default settings"
        assert len({b.identifier for b in backends}) == len(backends), "identifiers are unique"
        for backend in backends:
            assert isinstance(backend, VideoBackend)
            assert backend.identifier and backend.display_name
            assert isinstance(backend.max_participants, int) and backend.max_participants >= 2

    def test_every_participant_gets_a_room_the_page_can_join(self, video_plugin, config) -> None:
        if not hasattr(video_plugin, "peerlearn_video_backends"):
            pytest.skip("this plugin provides ICE servers only")
        for backend in video_plugin.peerlearn_video_backends(config=config):
            for role, user_id in (("mentor", 1), ("learner", 2)):
                request = _request(Participant(user_id, f"{role} {user_id}", role), backend.max_participants)
                room = backend.room_for(request)
                assert isinstance(room, RoomInfo)
                json.dumps(dict(room.page_config))  # handed to the browser as JSON
                if room.mode == "signalling":
                    path = room.signalling_path
                    assert path.startswith("/") or urllib.parse.urlsplit(path).scheme in ("ws", "wss")
                    if path != request.signalling_path:
                        assert room.client_script, "own signalling needs its own client script"
                else:
                    assert urllib.parse.urlsplit(room.external_url).scheme == "https"

    def test_ice_servers_are_well_formed(self, video_plugin, config, participant) -> None:
        if not hasattr(video_plugin, "peerlearn_ice_servers"):
            pytest.skip("this plugin provides no ICE servers")
        servers = list(video_plugin.peerlearn_ice_servers(config=config, participant=participant))
        for server in servers:
            assert isinstance(server, IceServer) and server.urls
            for url in server.urls:
                assert url.split(":", 1)[0] in ICE_SCHEMES, url
            browser = server.as_browser_dict()
            assert browser["urls"] == list(server.urls)
            json.dumps(browser)

    def test_a_declared_recording_capability_is_whole(self, video_plugin, config, tmp_path) -> None:
        if not hasattr(video_plugin, "peerlearn_video_backends"):
            pytest.skip("this plugin provides ICE servers only")
        for backend in video_plugin.peerlearn_video_backends(config=config):
            location = recording_location(backend)
            assert location in (None, "browser", "server")
            if location == "browser":
                assert isinstance(backend, BrowserRecording) and backend.recording_location == "browser"
            if location != "server":
                continue
            assert isinstance(backend, ServerRecording) and backend.recording_location == "server"
            mentor = Participant(1, "mentor 1", "mentor")
            backend.room_for(_request(mentor, backend.max_participants))  # the room exists, as when someone joined
            nobody = RecordingRequest(
                recording_id=987_654, session_id=7, started_at=datetime(2030, 1, 7, 10, 0, tzinfo=UTC).timestamp()
            )
            assert list(backend.sync_recording(nobody)) == [], "told to record nobody, it records somebody"
            backend.stop_recording(nobody)
            folder = tmp_path / "export"
            folder.mkdir()
            assert list(backend.export_recording(nobody, folder)) == [], "exported media of a recording never made"
            backend.discard_recording(nobody)  # nothing to remove is not an error
            backend.discard_recording(nobody)
