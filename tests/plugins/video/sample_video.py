"""Video plugins for the room tests, installed through a real entry point (disabled by default).

* ``sfu``: what a large-group plugin would look like: its own signalling server
  and browser client, no change to the core;
* ``external``: rooms held on another site;
* ``broken``: ``room_for`` raises; ``garbage``: the hook returns the wrong type.
"""

from __future__ import annotations

from core.plugins import PluginMeta, RoomInfo, RoomRequest, VideoBackend, hookimpl


def _meta(name: str) -> PluginMeta:
    return PluginMeta(
        name=name,
        version="1.0",
        author="Tests",
        description=f"{name} (test video plugin)",
        kind="video",
        core_versions=">=0.1,<1",
        enabled_by_default=False,
    )


class SfuBackend(VideoBackend):
    identifier = "test-sfu"
    display_name = "Test SFU"
    max_participants = 200

    def room_for(self, request: RoomRequest) -> RoomInfo:
        return RoomInfo(
            mode="signalling",
            signalling_path=f"wss://sfu.example.org/rooms/{request.session_id}",
            client_script="https://sfu.example.org/client.js",
            page_config={"token": f"user-{request.participant.user_id}-{request.participant.role}"},
        )


class ExternalBackend(VideoBackend):
    identifier = "test-external"
    display_name = "Test meeting site"
    max_participants = 50

    def room_for(self, request: RoomRequest) -> RoomInfo:
        return RoomInfo(mode="external", external_url=f"https://meet.example.org/peerlearn-{request.session_id}")


class BrokenBackend(VideoBackend):
    identifier = "test-broken"
    display_name = "Broken"
    max_participants = 10

    def room_for(self, request: RoomRequest) -> RoomInfo:
        raise RuntimeError("the video service is down")


class _Plugin:
    def __init__(self, name: str, backend: VideoBackend | None) -> None:
        self.peerlearn_meta = _meta(name)
        self.backend = backend

    @hookimpl
    def peerlearn_video_backends(self, config):
        return [self.backend] if self.backend is not None else "not a list of backends"


sfu = _Plugin("Test SFU", SfuBackend())
external = _Plugin("Test external", ExternalBackend())
broken = _Plugin("Test broken", BrokenBackend())
garbage = _Plugin("Test garbage", None)
