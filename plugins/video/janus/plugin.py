"""Group video through the Janus WebRTC Server (VideoRoom SFU).

Each browser sends its camera once, to Janus, which forwards it to everyone
else (a selective forwarding unit): a room holds dozens of people where a mesh
holds a handful. The core keeps the room itself (chat, attendance, the
session's state) on its own ``ws/session/<id>/`` socket; this plugin only
carries the media. Per session it creates a private VideoRoom with its own
secret, and per participant a Janus token (``token_auth``, added through the
admin API) that the room's ``allowed`` list also names, so only the mentor
and confirmed learners, given a token while the room is open, can publish or
subscribe. Tokens are revoked when a booking stops being confirmed and the
room is destroyed when the session ends (``peerlearn_event``); tokens that
outlive their session are swept.
"""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import urlsplit

from django.utils.translation import gettext_noop

from core.plugins import (
    DomainEvent,
    HealthCheck,
    PluginConfig,
    PluginMeta,
    RecordedMedia,
    RecordingRequest,
    RoomInfo,
    RoomRequest,
    ServerRecording,
    SettingField,
    VideoBackend,
    hookimpl,
)

from .admin import JanusAdmin, JanusError
from .recording import JanusRecorder
from .rooms import JanusRooms, RoomSpec

logger = logging.getLogger("peerlearn.plugins.janus")

#: The browser side: served from this plugin's static folder (see README, "Plugins' static files").
CLIENT_SCRIPT = "/static/plugins/janus/janus-room.js"
#: Events after which a learner's token must stop working.
LEARNER_OUT = frozenset({"booking.cancelled", "booking.expired", "booking.no_show"})

peerlearn_meta = PluginMeta(
    name=gettext_noop("Janus group video (SFU)"),
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        gettext_noop(
            "Group sessions through a Janus WebRTC Server: each browser sends its camera once and Janus forwards "
            "it to the others, with simulcast so a weak link gets a lower layer. Needs a Janus server "
            "(Debian: apt-get install janus) configured with token_auth."
        )
    ),
    kind="video",
    core_versions=">=0.1,<1",
    enabled_by_default=False,
    settings=(
        SettingField(
            "admin_url",
            gettext_noop("Janus admin API URL"),
            "url",
            default="http://127.0.0.1:7088/admin",
            env="JANUS_ADMIN_URL",
            required=True,
            help_text=gettext_noop("Reached from the site's servers only, e.g. http://janus:7088/admin."),
        ),
        SettingField(
            "admin_secret",
            gettext_noop("Janus admin secret"),
            "secret",
            env="JANUS_ADMIN_SECRET",
            required=True,
            help_text=gettext_noop("Janus's admin_secret (janus.jcfg), also the VideoRoom admin_key."),
        ),
        SettingField(
            "public_ws_url",
            gettext_noop("Janus WebSocket URL for browsers"),
            "url",
            default="ws://127.0.0.1:8188/",
            env="JANUS_PUBLIC_WS_URL",
            required=True,
            help_text=gettext_noop("What participants' browsers connect to, e.g. wss://video.example.org/janus-ws."),
        ),
        SettingField(
            "max_participants",
            gettext_noop("Most participants in one room"),
            "int",
            default=100,
            help_text=gettext_noop("Mentor included. Measure your server with bench/janus before raising it."),
        ),
        SettingField(
            "bitrate_kbps",
            gettext_noop("Most each camera sends (kbit/s)"),
            "int",
            default=1024,
            help_text=gettext_noop("Janus caps each publisher at this (the top simulcast layer)."),
        ),
        SettingField(
            "room_offset",
            gettext_noop("Room number offset"),
            "int",
            default=0,
            help_text=gettext_noop(
                "Added to the session id to name its room; give each site sharing one Janus its own range."
            ),
        ),
        SettingField(
            "api_url",
            gettext_noop("Janus HTTP API URL (for recording)"),
            "url",
            default="http://127.0.0.1:8088/janus",
            env="JANUS_API_URL",
            help_text=gettext_noop(
                "Reached from the site's servers only; the site tells participants' publishers to record here."
            ),
        ),
        SettingField(
            "recordings_dir",
            gettext_noop("Recordings folder"),
            "str",
            default="",
            env="JANUS_RECORDINGS_DIR",
            help_text=gettext_noop(
                "Where Janus writes recordings (.mjr), readable by the site's Celery worker (the same "
                "host or a shared volume); janus-pp-rec must be installed beside the worker. Empty: no recording."
            ),
        ),
        SettingField(
            "token_grace_minutes",
            gettext_noop("Token lifetime past the session's end (minutes)"),
            "int",
            default=60,
            help_text=gettext_noop(
                "Tokens are revoked when the session ends; this bounds those of sessions never ended."
            ),
        ),
    ),
)


def rooms_from(config: PluginConfig, max_participants: int) -> JanusRooms:
    return JanusRooms(
        JanusAdmin(config.get("admin_url") or "", config.get("admin_secret") or ""),
        RoomSpec(
            room_offset=max(0, int(config.get("room_offset") or 0)),
            # Each person may publish a camera and a screen.
            publishers=2 * max_participants,
            bitrate=max(64, int(config.get("bitrate_kbps") or 1024)) * 1000,
            grace_seconds=max(5, int(config.get("token_grace_minutes") or 60)) * 60,
        ),
    )


class JanusBackend(VideoBackend):
    """A VideoRoom per session on one Janus server."""

    identifier = "janus"
    display_name = "Janus group video (SFU)"

    def __init__(self, rooms: JanusRooms, public_ws_url: str, max_participants: int = 100) -> None:
        self.rooms = rooms
        self.public_ws_url = public_ws_url
        self.max_participants = max(2, min(1000, int(max_participants)))

    def room_for(self, request: RoomRequest) -> RoomInfo:
        room = self.rooms.ensure_room(request.session_id, request.title)
        janus: dict[str, object] = {
            "server": self.public_ws_url,
            "room": room,
            "feedId": self.rooms.feed_id(request.participant.user_id, 1),
            "screenFeedId": self.rooms.feed_id(request.participant.user_id, 2),
            "simulcast": True,
            "bitrate": self.rooms.spec.bitrate,
        }
        if request.credentials:
            janus["token"] = self.rooms.admit(request.session_id, request.participant.user_id, request.ends_at)
        try:
            self.rooms.sweep()
        except JanusError as exc:  # housekeeping must not keep anyone out
            logger.warning("janus: sweeping expired tokens failed: %s", exc)
        return RoomInfo(
            mode="signalling",
            # Chat, attendance and the session's state stay on the core's socket.
            signalling_path=request.signalling_path,
            client_script=CLIENT_SCRIPT,
            page_config={"topology": "sfu", "janus": janus},
            connect_sources=(_origin(self.public_ws_url),),
        )


class RecordingJanusBackend(JanusBackend, ServerRecording):
    """A Janus backend that also records consenting participants on the server (``recordings_dir`` set)."""

    def __init__(self, rooms: JanusRooms, public_ws_url: str, max_participants: int, recorder: JanusRecorder) -> None:
        super().__init__(rooms, public_ws_url, max_participants)
        self.recorder = recorder

    def sync_recording(self, request: RecordingRequest) -> list[int]:
        return self.recorder.sync(request)

    def stop_recording(self, request: RecordingRequest) -> None:
        self.recorder.stop(request)

    def export_recording(self, request: RecordingRequest, folder: Path) -> list[RecordedMedia]:
        return self.recorder.export(request, folder)

    def discard_recording(self, request: RecordingRequest) -> None:
        self.recorder.discard(request)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _configured(config: PluginConfig) -> bool:
    return bool(config.get("admin_url") and config.get("admin_secret") and config.get("public_ws_url"))


@hookimpl
def peerlearn_video_backends(config: PluginConfig) -> list[VideoBackend]:
    if not _configured(config):
        return []
    max_participants = int(config.get("max_participants") or 100)
    rooms = rooms_from(config, max_participants)
    if config.get("recordings_dir") and config.get("api_url"):
        recorder = JanusRecorder(rooms, config["api_url"], config["recordings_dir"])
        return [RecordingJanusBackend(rooms, config["public_ws_url"], max_participants, recorder)]
    return [JanusBackend(rooms, config["public_ws_url"], max_participants)]


@hookimpl
def peerlearn_health(config: PluginConfig) -> list[HealthCheck]:
    """Whether the Janus server answers its admin API, accepts sessions and runs the VideoRoom plugin."""
    if not _configured(config):
        return []
    admin = JanusAdmin(config["admin_url"], config["admin_secret"], timeout=1.5)  # inside the 2 s budget
    try:
        info = admin.info()
        tokens = len(admin.list_tokens())
    except JanusError as exc:
        return [HealthCheck("Janus server", False, str(exc))]
    videoroom = (info.get("plugins") or {}).get("janus.plugin.videoroom")
    accepting = bool(info.get("accepting-new-sessions", True))
    problems = []
    if not videoroom:
        problems.append("the VideoRoom plugin is not loaded")
    if not info.get("auth_token"):
        problems.append("token_auth is off: anyone who reaches it may join rooms")
    if not accepting:
        problems.append("it does not accept new sessions")
    detail = f"Janus {info.get('version_string', '?')} at {config['admin_url']}, {tokens} live tokens"
    if problems:
        return [HealthCheck("Janus server", False, f"{detail}; " + "; ".join(problems))]
    return [HealthCheck("Janus server", True, detail)]


@hookimpl
def peerlearn_event(config: PluginConfig, event: DomainEvent) -> None:
    """Revoke a learner's token when their booking ends early; close the room when the session ends."""
    if not _configured(config) or event.name not in LEARNER_OUT | {"session.ended"}:
        return
    session_id = event.payload.get("session_id")
    if not isinstance(session_id, int):
        return
    rooms = rooms_from(config, int(config.get("max_participants") or 100))
    if event.name == "session.ended":
        revoked = rooms.close(session_id)
        logger.info("janus: session %s ended, room destroyed, %d tokens revoked", session_id, revoked)
        return
    learner_id = event.payload.get("learner_id")
    if isinstance(learner_id, int):
        revoked = rooms.revoke(session_id, learner_id)
        logger.info("janus: %s, session %s: %d tokens of user %s revoked", event.name, session_id, revoked, learner_id)
