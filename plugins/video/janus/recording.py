"""Server-side recording on Janus: only the publishers of people who consented, then ``janus-pp-rec``.

Rooms are created with ``lock_record`` so no participant can start or stop a
recording by themselves: only a request carrying the room secret can, and
only the site has it. To record one person the site finds their publisher
handle through the admin API (``list_sessions`` / ``list_handles`` /
``handle_info``: VideoRoom publisher in this room whose feed id is the
person's) and sends that handle a ``configure`` with ``record``, a
``filename`` naming the recording, the person and the handle, and the room
secret, over Janus's HTTP API with a token of its own. Janus writes one
``.mjr`` per stream into the room's ``rec_dir``.

Export turns each stay's audio and video ``.mjr`` into Opus and VP8 files with
``janus-pp-rec`` and muxes them into one WebM with PyAV (no re-encoding),
aligning the two by the time Janus wrote their first packet. The folder Janus
records into must be readable by the site's Celery worker (the same host or
a shared volume).
"""

from __future__ import annotations

import heapq
import json
import logging
import re
import secrets
import shutil
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from core.plugins import RecordedMedia, RecordingRequest

from .admin import NO_SUCH_ROOM, VIDEOROOM, JanusError
from .rooms import FEED_SLOTS, JanusRooms

logger = logging.getLogger("peerlearn.plugins.janus")

PP_REC = shutil.which("janus-pp-rec") or "/usr/bin/janus-pp-rec"
#: ``rec<recording>-u<user>-s<slot>-h<handle>-<audio|video>-<mindex>.mjr``
MJR = re.compile(
    r"^rec(?P<rec>\d+)-u(?P<user>\d+)-s(?P<slot>\d+)-h(?P<handle>\d+)-(?P<kind>audio|video)-(?P<mindex>\d+)\.mjr$"
)
#: The site's own token (user id 0) lives this long; a new one is issued per call anyway.
SITE_TOKEN_SECONDS = 600
#: How long ``stop`` waits for Janus to close the files it was told to close.
STOP_WAIT_SECONDS = 1.5


@dataclass(frozen=True)
class Publisher:
    """A participant's publisher handle in the room, as the admin API shows it."""

    session_id: int
    handle_id: int
    feed_id: int
    recording_files: tuple[str, ...]

    @property
    def user_id(self) -> int:
        return self.feed_id // FEED_SLOTS

    @property
    def slot(self) -> int:
        return self.feed_id % FEED_SLOTS


class JanusRecorder:
    """Records chosen publishers of a session's room and exports their media."""

    def __init__(self, rooms: JanusRooms, api_url: str, recordings_dir: str, *, timeout: float = 3.0) -> None:
        self.rooms = rooms
        self.admin = rooms.admin
        self.api_url = api_url.rstrip("/")
        self.recordings_dir = Path(recordings_dir)
        self.timeout = timeout

    # --- names ---------------------------------------------------------------------------

    def room_dir(self, session_id: int) -> Path:
        return self.recordings_dir / f"room-{self.rooms.room_id(session_id)}"

    @staticmethod
    def base(recording_id: int, publisher: Publisher) -> str:
        return f"rec{recording_id}-u{publisher.user_id}-s{publisher.slot}-h{publisher.handle_id}"

    # --- finding and configuring publishers ----------------------------------------------------

    def publishers(self, session_id: int) -> list[Publisher]:
        """Every VideoRoom publisher handle in this session's room."""
        room = self.rooms.room_id(session_id)
        found = []
        for janus_session in self.admin.list_sessions():
            for handle in self.admin.list_handles(janus_session):
                info = self.admin.handle_info(janus_session, handle)
                specific = info.get("plugin_specific") or {}
                if info.get("plugin") != VIDEOROOM or specific.get("type") != "publisher":
                    continue
                if specific.get("room") != room or not isinstance(specific.get("id"), int):
                    continue
                files = tuple(s["recording"] for s in specific.get("streams") or [] if s.get("recording"))
                found.append(Publisher(janus_session, handle, specific["id"], files))
        return found

    def _prepare_room(self, session_id: int) -> None:
        """Lock recording to the room secret and point the room's ``rec_dir`` at its folder."""
        self.admin.videoroom(
            {
                "request": "edit",
                "room": self.rooms.room_id(session_id),
                "secret": self.rooms.room_secret(session_id),
                "new_lock_record": True,
                "new_rec_dir": str(self.room_dir(session_id)),
            }
        )

    def _site_token(self, session_id: int) -> str:
        token = self.rooms.token(session_id, 0, int(time.time()) + SITE_TOKEN_SECONDS)
        self.admin.add_token(token)
        return token

    def _configure(self, session_id: int, publisher: Publisher, body: dict[str, Any], token: str) -> None:
        """Send ``configure`` (with the room secret) to a participant's publisher handle."""
        payload = {
            "janus": "message",
            "transaction": secrets.token_hex(6),
            "token": token,
            "body": {"request": "configure", "secret": self.rooms.room_secret(session_id), **body},
        }
        url = f"{self.api_url}/{publisher.session_id}/{publisher.handle_id}"
        try:
            answer = requests.post(url, json=payload, timeout=self.timeout).json()
        except (requests.RequestException, ValueError) as exc:
            raise JanusError(f"Janus API at {self.api_url} did not answer: {type(exc).__name__}") from exc
        if answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusError(str(error.get("reason", "error")), int(error.get("code") or 0))

    # --- the capability ------------------------------------------------------------------------

    def sync(self, request: RecordingRequest) -> list[int]:
        """Record the consenting people's publishers under this recording; stop everyone else's."""
        wanted = {p.user_id for p in request.recorded}
        prefix = f"rec{request.recording_id}-"
        self._prepare_room(request.session_id)
        token = ""
        recording: set[int] = set()
        for publisher in self.publishers(request.session_id):
            ours = [f for f in publisher.recording_files if Path(f).name.startswith(prefix)]
            if publisher.user_id in wanted:
                if not ours:
                    token = token or self._site_token(request.session_id)
                    base = self.base(request.recording_id, publisher)
                    self._configure(request.session_id, publisher, {"record": True, "filename": base}, token)
                recording.add(publisher.user_id)
            elif publisher.recording_files:
                # Nobody without consent is recorded, whatever started it.
                token = token or self._site_token(request.session_id)
                self._configure(request.session_id, publisher, {"record": False}, token)
        return sorted(recording)

    def stop(self, request: RecordingRequest) -> None:
        token = ""
        try:
            publishers = self.publishers(request.session_id)
        except JanusError as exc:
            if exc.code == NO_SUCH_ROOM:
                return
            raise
        for publisher in publishers:
            if publisher.recording_files:
                token = token or self._site_token(request.session_id)
                self._configure(request.session_id, publisher, {"record": False}, token)
        # ``configure`` is handled asynchronously: wait (briefly) until Janus has closed this recording's files.
        prefix = f"rec{request.recording_id}-"
        deadline = time.monotonic() + STOP_WAIT_SECONDS
        while time.monotonic() < deadline:
            still = [f for p in self.publishers(request.session_id) for f in p.recording_files if prefix in f]
            if not still:
                return
            time.sleep(0.2)
        logger.warning("janus: recording %s still open after the stop", request.recording_id)

    def files(self, request: RecordingRequest) -> list[Path]:
        folder = self.room_dir(request.session_id)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if (m := MJR.match(p.name)) and int(m["rec"]) == request.recording_id)

    def discard(self, request: RecordingRequest) -> None:
        for path in self.files(request):
            path.unlink(missing_ok=True)

    def export(self, request: RecordingRequest, folder: Path) -> list[RecordedMedia]:
        """One WebM per stay (audio + video of one publisher handle) in ``folder``."""
        takes: dict[tuple[int, int, int], dict[str, Path]] = defaultdict(dict)
        for path in self.files(request):
            m = MJR.match(path.name)
            assert m is not None
            takes[(int(m["user"]), int(m["slot"]), int(m["handle"]))].setdefault(m["kind"], path)
        exported = []
        for (user_id, slot, handle), streams in sorted(takes.items()):
            target = folder / f"u{user_id}-s{slot}-h{handle}.webm"
            media = convert_take(streams, target, folder, request.started_at)
            if media is not None:
                exported.append(
                    RecordedMedia(
                        user_id=user_id,
                        path=target,
                        content_type="video/webm",
                        offset_seconds=media["offset"],
                        duration_seconds=media["duration"],
                        has_audio="audio" in media["kinds"],
                        has_video="video" in media["kinds"],
                    )
                )
        return exported


# --- conversion ------------------------------------------------------------------------------------


def mjr_header(path: Path) -> dict[str, Any]:
    """The ``.mjr``'s JSON header (``c`` codec, ``s`` created and ``u`` first-packet time, in µs)."""
    result = subprocess.run([PP_REC, "--json", str(path)], capture_output=True, text=True, timeout=60, check=False)
    for line in reversed(result.stdout.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            return json.loads(line)
    raise JanusError(f"janus-pp-rec could not read {path.name}: {result.stderr.strip()[-200:]}")


def post_process(source: Path, target: Path) -> bool:
    """``janus-pp-rec source target``; ``False`` when it produced nothing (no packets, say)."""
    result = subprocess.run(
        [PP_REC, str(source), str(target)], capture_output=True, text=True, timeout=3600, check=False
    )
    if result.returncode != 0 or not target.exists() or target.stat().st_size == 0:
        logger.warning("janus-pp-rec %s: %s", source.name, (result.stderr or result.stdout).strip()[-300:])
        return False
    return True


def convert_take(streams: dict[str, Path], target: Path, workdir: Path, started_at: float) -> dict[str, Any] | None:
    """Post-process the stay's audio and video ``.mjr`` and mux them into ``target``; what came out."""
    parts: list[tuple[str, Path, float]] = []  # kind, processed file, first packet (epoch seconds)
    for kind, source in sorted(streams.items()):
        header = mjr_header(source)
        suffix = ".opus" if kind == "audio" else ".webm"
        processed = workdir / f"{source.stem}{suffix}"
        if post_process(source, processed):
            first = float(header.get("u") or header.get("s") or 0) / 1_000_000
            parts.append((kind, processed, first))
    if not parts:
        return None
    start = min(first for _, _, first in parts)
    duration = mux(target, [(path, first - start) for _, path, first in parts])
    for _, path, _ in parts:
        path.unlink(missing_ok=True)
    return {"offset": max(0.0, start - started_at), "duration": duration, "kinds": {kind for kind, _, _ in parts}}


def mux(target: Path, inputs: list[tuple[Path, float]]) -> float:
    """Copy the packets of each single-stream input into one WebM, delayed by its offset (seconds)."""
    import av

    opened = [av.open(str(path)) for path, _ in inputs]
    try:
        with av.open(str(target), "w", format="webm") as output:
            streams = []
            for container, (_, offset) in zip(opened, inputs, strict=True):
                source = container.streams[0]
                streams.append((source, output.add_stream_from_template(source), offset))
            end = 0.0
            for seconds, packet, out_stream in _merged(opened, streams):
                packet.stream = out_stream
                output.mux(packet)
                end = max(end, seconds + float((packet.duration or 0) * packet.time_base))
            return end
    finally:
        for container in opened:
            container.close()


def _merged(opened, streams) -> Iterator[tuple[float, Any, Any]]:
    """The inputs' packets in time order (shifted by their offsets), so the muxer never buffers a whole file."""

    def packets(index: int) -> Iterator[tuple[float, int, Any, Any]]:
        source, out_stream, offset = streams[index]
        shift = round(offset / source.time_base)
        for packet in opened[index].demux(source):
            if packet.dts is None or packet.size == 0:
                continue
            packet.pts = (packet.pts if packet.pts is not None else packet.dts) + shift
            packet.dts += shift
            yield float(packet.dts * source.time_base), index, packet, out_stream

    for seconds, _, packet, out_stream in heapq.merge(
        *(packets(i) for i in range(len(streams))), key=lambda t: (t[0], t[1])
    ):
        yield seconds, packet, out_stream
