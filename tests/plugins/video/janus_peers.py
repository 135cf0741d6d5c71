"""aiortc participants of a Janus VideoRoom, speaking Janus's WebSocket API as the browser library does.

Each :class:`JanusPeer` opens a Janus session with its token, joins the room
as a publisher (``display`` = its name), publishes a small test pattern and
tone, and subscribes to every other publisher, one handle each, counting the
video and audio frames it decodes per publisher. Used by the SFU tests and
``bench/janus``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import json
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy
import websockets
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.contrib.media import MediaBlackhole
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp
from av import VideoFrame

VIDEOROOM = "janus.plugin.videoroom"


class JanusRefused(Exception):
    """Janus (or its VideoRoom) said no: ``code`` is Janus's error code."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(f"{code}: {reason}")
        self.code = code
        self.reason = reason


class SmallPattern(VideoStreamTrack):
    """A moving 160x120 pattern at ``fps``: real VP8 frames, cheap enough for a dozen peers on two cores."""

    def __init__(self, fps: int = 10, width: int = 160, height: int = 120) -> None:
        super().__init__()
        self.fps, self.width, self.height = fps, width, height
        self.count = 0
        self.started: float | None = None

    async def recv(self) -> VideoFrame:
        if self.started is None:
            self.started = time.monotonic()
        self.count += 1
        wait = self.started + self.count / self.fps - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        image = numpy.zeros((self.height, self.width, 3), numpy.uint8)
        image[:, (self.count * 4) % self.width :, 1] = 200
        image[(self.count * 2) % self.height :, :, 2] = 120
        frame = VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = self.count * (90000 // self.fps)
        frame.time_base = fractions.Fraction(1, 90000)
        return frame


class JanusSession:
    """One Janus session over a WebSocket (``janus-protocol``), with a keepalive."""

    def __init__(self, url: str, token: str) -> None:
        self.url = url
        self.token = token
        self.socket: Any = None
        self.session_id: int | None = None
        self.pending: dict[str, asyncio.Future] = {}
        self.events: dict[int, asyncio.Queue] = defaultdict(asyncio.Queue)
        self.tasks: list[asyncio.Task] = []
        self.closed = asyncio.Event()

    async def open(self) -> None:
        self.socket = await websockets.connect(self.url, subprotocols=["janus-protocol"], max_size=2**22)
        self.tasks.append(asyncio.create_task(self._read()))
        answer = await self.request({"janus": "create"})
        self.session_id = answer["data"]["id"]
        self.tasks.append(asyncio.create_task(self._keepalive()))

    async def _read(self) -> None:
        try:
            async for raw in self.socket:
                message = json.loads(raw)
                kind = message.get("janus")
                waiter = self.pending.get(message.get("transaction", ""))
                if waiter is not None and kind != "ack" and not waiter.done():
                    waiter.set_result(message)
                    continue
                if "sender" in message and kind != "ack":
                    self.events[message["sender"]].put_nowait(message)
        except websockets.ConnectionClosed:
            pass
        finally:
            self.closed.set()
            for waiter in self.pending.values():
                if not waiter.done():
                    waiter.set_exception(JanusRefused(0, "the WebSocket closed"))

    async def _keepalive(self) -> None:
        while True:
            await asyncio.sleep(20)
            with contextlib.suppress(Exception):
                await self.socket.send(json.dumps(self._stamp({"janus": "keepalive"})))

    def _stamp(self, body: dict[str, Any]) -> dict[str, Any]:
        body = {**body, "transaction": body.get("transaction") or secrets.token_hex(6), "token": self.token}
        if self.session_id is not None:
            body["session_id"] = self.session_id
        return body

    async def request(self, body: dict[str, Any], timeout: float = 15) -> dict[str, Any]:
        """Send ``body``; the answer (``success``, ``event``, ...) or :class:`JanusRefused`."""
        body = self._stamp(body)
        waiter = asyncio.get_running_loop().create_future()
        self.pending[body["transaction"]] = waiter
        try:
            await self.socket.send(json.dumps(body))
            answer = await asyncio.wait_for(waiter, timeout)
        finally:
            self.pending.pop(body["transaction"], None)
        if answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusRefused(int(error.get("code") or 0), str(error.get("reason")))
        data = (answer.get("plugindata") or {}).get("data") or {}
        if data.get("error_code"):
            raise JanusRefused(int(data["error_code"]), str(data.get("error")))
        return answer

    async def attach(self) -> int:
        answer = await self.request({"janus": "attach", "plugin": VIDEOROOM})
        return answer["data"]["id"]

    async def message(self, handle: int, body: dict[str, Any], jsep: dict | None = None) -> dict[str, Any]:
        payload: dict[str, Any] = {"janus": "message", "handle_id": handle, "body": body}
        if jsep:
            payload["jsep"] = jsep
        return await self.request(payload)

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        if self.socket is not None:
            with contextlib.suppress(Exception):
                await self.socket.close()


@dataclass
class Received:
    video: int = 0
    audio: int = 0
    width: int = 0


@dataclass
class JanusPeer:
    """A participant: publishes a test pattern and tone, subscribes to everyone else."""

    name: str
    token: str
    room: int
    feed_id: int
    publish: bool = True
    fps: int = 10
    received: dict[str, Received] = field(default_factory=lambda: defaultdict(Received))
    connections: list[RTCPeerConnection] = field(default_factory=list)
    subscribed: set[int] = field(default_factory=set)
    tasks: list[asyncio.Task] = field(default_factory=list)
    janus: JanusSession | None = None
    kicked: asyncio.Event = field(default_factory=asyncio.Event)

    async def join(self, ws_url: str) -> None:
        self.janus = JanusSession(ws_url, self.token)
        await self.janus.open()
        self.handle = await self.janus.attach()
        joined = await self.janus.message(
            self.handle,
            {
                "request": "join",
                "ptype": "publisher",
                "room": self.room,
                "id": self.feed_id,
                "display": self.name,
                "token": self.token,
            },
        )
        self.tasks.append(asyncio.create_task(self._publisher_events()))
        if self.publish:
            await self._publish()
        for publisher in joined["plugindata"]["data"].get("publishers", []):
            await self.subscribe(publisher)

    async def _publish(self) -> None:
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.connections.append(pc)
        pc.addTrack(AudioStreamTrack())
        pc.addTrack(SmallPattern(self.fps))
        await pc.setLocalDescription(await pc.createOffer())
        answer = await self.janus.message(
            self.handle,
            {"request": "configure", "audio": True, "video": True},
            jsep={"type": "offer", "sdp": pc.localDescription.sdp},
        )
        await pc.setRemoteDescription(RTCSessionDescription(**answer["jsep"]))

    async def _publisher_events(self) -> None:
        queue = self.janus.events[self.handle]
        while True:
            message = await queue.get()
            data = (message.get("plugindata") or {}).get("data") or {}
            for publisher in data.get("publishers", []):
                await self.subscribe(publisher)
            if data.get("leaving") == "ok" or data.get("reason") == "kicked" or message.get("janus") == "detached":
                self.kicked.set()

    async def subscribe(self, publisher: dict[str, Any]) -> None:
        feed = publisher["id"]
        if feed in self.subscribed or feed == self.feed_id:
            return
        self.subscribed.add(feed)
        display = publisher.get("display") or str(feed)
        handle = await self.janus.attach()
        offer = await self.janus.message(
            handle,
            {
                "request": "join",
                "ptype": "subscriber",
                "room": self.room,
                "streams": [{"feed": feed}],
                "token": self.token,
            },
        )
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.connections.append(pc)

        @pc.on("track")
        def on_track(track) -> None:
            self.tasks.append(asyncio.create_task(self._count(display, track)))

        await pc.setRemoteDescription(RTCSessionDescription(**offer["jsep"]))
        await pc.setLocalDescription(await pc.createAnswer())
        await self.janus.message(
            handle, {"request": "start", "room": self.room}, jsep={"type": "answer", "sdp": pc.localDescription.sdp}
        )
        self.tasks.append(asyncio.create_task(self._trickle(handle, pc)))

    async def _trickle(self, handle: int, pc: RTCPeerConnection) -> None:
        queue = self.janus.events[handle]
        while True:
            message = await queue.get()
            candidate = message.get("candidate") if message.get("janus") == "trickle" else None
            if candidate and candidate.get("candidate"):
                parsed = candidate_from_sdp(candidate["candidate"].split(":", 1)[1])
                parsed.sdpMid, parsed.sdpMLineIndex = candidate.get("sdpMid"), candidate.get("sdpMLineIndex")
                with contextlib.suppress(Exception):
                    await pc.addIceCandidate(parsed)

    async def _count(self, display: str, track) -> None:
        counts = self.received[display]
        try:
            while True:
                frame = await track.recv()
                if track.kind == "video":
                    counts.video += 1
                    counts.width = frame.width
                else:
                    counts.audio += 1
        except MediaStreamError:
            return

    def frames_from(self, others: list[str]) -> dict[str, int]:
        return {other: self.received[other].video for other in others}

    async def leave(self) -> None:
        for task in self.tasks:
            task.cancel()
        for pc in self.connections:
            with contextlib.suppress(Exception):
                await pc.close()
        if self.janus is not None:
            await self.janus.close()


async def until(check, timeout: float, every: float = 0.5) -> bool:
    """Wait until ``check()`` is true (``True``) or ``timeout`` seconds pass (``False``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        await asyncio.sleep(every)
    return bool(check())


__all__ = ["JanusPeer", "JanusRefused", "JanusSession", "MediaBlackhole", "until"]
