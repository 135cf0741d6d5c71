"""Two real WebRTC peers (aiortc) meeting in a PeerLearn room: the mentor and a learner.

Run by ``test_realstack_webrtc.py`` inside a network namespace of its own
(``unshare -n``; aioice never offers 127.0.0.1, so the namespace's loopback
gets 127.0.0.2 as well). The signalling servers are reached through Unix
sockets, which cross network namespaces; media flows only inside the
namespace. Each peer logs in with its own session cookie.

Phase 1: the learner joins after the mentor and offers; offer, answer and
trickled ICE candidates travel over ``ws/session/<id>/``; both count the
audio and video frames they receive. Phase 2: the learner's socket is
dropped; the learner reconnects (a new peer id), the mentor is told, and a
fresh offer restores the call. Prints one JSON line of figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time

from aiortc import RTCConfiguration, RTCPeerConnection
from aiortc.mediastreams import AudioStreamTrack, MediaStreamError, VideoStreamTrack
from aiortc.sdp import candidate_from_sdp
from websockets.asyncio.client import unix_connect

MEDIA_SECONDS = 3.0


class Signalling:
    """One room socket: join, send, and receive messages by type."""

    def __init__(self, path: str, session_id: int, cookie: str, name: str) -> None:
        self.path, self.session_id, self.cookie, self.name = path, session_id, cookie, name
        self.ws = None
        self.peer_id = None
        self.welcome: dict = {}
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.reader: asyncio.Task | None = None
        self.counts: dict[str, int] = {}

    async def open(self) -> None:
        self.ws = await unix_connect(
            self.path,
            uri=f"ws://localhost/ws/session/{self.session_id}/",
            additional_headers={"Cookie": self.cookie, "Origin": "http://localhost"},
            open_timeout=10,
        )
        self.reader = asyncio.create_task(self._read())
        await self.send({"type": "join", "audio": True, "video": True})
        self.welcome = await self.expect("welcome")
        self.peer_id = self.welcome["peer_id"]

    async def _read(self) -> None:
        try:
            async for raw in self.ws:
                await self.inbox.put(json.loads(raw))
        except Exception:  # the socket was dropped on purpose in phase 2
            pass

    async def send(self, message: dict) -> None:
        self.counts[message["type"]] = self.counts.get(message["type"], 0) + 1
        await self.ws.send(json.dumps(message))

    async def expect(self, kind: str, timeout: float = 10, **match) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            message = await asyncio.wait_for(self.inbox.get(), max(0.01, deadline - time.monotonic()))
            if message["type"] == "error":
                raise RuntimeError(f"{self.name} got an error: {message}")
            if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                return message

    async def drop(self) -> None:
        """Lose the connection without saying goodbye (no 'leave', no close handshake)."""
        self.ws.transport.abort()
        if self.reader:
            await asyncio.gather(self.reader, return_exceptions=True)


class Call:
    """One RTCPeerConnection to one remote peer, counting the frames it receives."""

    def __init__(self, signalling: Signalling, remote: str) -> None:
        self.signalling, self.remote = signalling, remote
        self.pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        self.pc.addTrack(VideoStreamTrack())
        self.pc.addTrack(AudioStreamTrack())
        self.frames = {"video": 0, "audio": 0}
        self.readers: list[asyncio.Task] = []
        self.pc.on("track", self._on_track)

    def _on_track(self, track) -> None:
        async def read() -> None:
            try:
                while True:
                    await track.recv()
                    self.frames[track.kind] += 1
            except MediaStreamError:
                pass

        self.readers.append(asyncio.ensure_future(read()))

    async def send_description(self, kind: str) -> None:
        """Send our SDP without candidates, then each candidate as a trickled 'ice' message."""
        sdp = self.pc.localDescription.sdp
        candidates, mid, index, kept = [], None, -1, []
        for line in sdp.splitlines():
            if line.startswith("m="):
                index += 1
            elif line.startswith("a=mid:"):
                mid = line[6:]
            if line.startswith("a=candidate:"):
                candidates.append({"candidate": line[2:], "sdpMid": mid, "sdpMLineIndex": index})
                continue
            if line == "a=end-of-candidates":
                continue
            kept.append(line)
        await self.signalling.send({"type": kind, "to": self.remote, "sdp": "\r\n".join(kept) + "\r\n"})
        for candidate in candidates:
            await self.signalling.send({"type": "ice", "to": self.remote, "candidate": candidate})
        await self.signalling.send({"type": "ice", "to": self.remote, "candidate": None})

    async def offer(self) -> None:
        await self.pc.setLocalDescription(await self.pc.createOffer())
        await self.send_description("offer")

    async def answer(self, offer_sdp: str) -> None:
        from aiortc import RTCSessionDescription

        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=offer_sdp, type="offer"))
        await self.pc.setLocalDescription(await self.pc.createAnswer())
        await self.send_description("answer")

    async def accept_answer(self, answer_sdp: str) -> None:
        from aiortc import RTCSessionDescription

        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer_sdp, type="answer"))

    async def take_candidates(self, timeout: float = 10) -> int:
        """Apply the trickled candidates from the remote peer, up to its end-of-candidates."""
        added = 0
        while True:
            message = await self.signalling.expect("ice", timeout=timeout)
            if message["from"] != self.remote:
                continue
            if message["candidate"] is None:
                await self.pc.addIceCandidate(None)
                return added
            value = message["candidate"]
            candidate = candidate_from_sdp(re.sub(r"^candidate:", "", value["candidate"]))
            candidate.sdpMid, candidate.sdpMLineIndex = value["sdpMid"], value["sdpMLineIndex"]
            await self.pc.addIceCandidate(candidate)
            added += 1

    async def close(self) -> None:
        await self.pc.close()
        for reader in self.readers:
            reader.cancel()


async def connect_pair(mentor: Signalling, learner: Signalling) -> tuple[Call, Call, int]:
    """The learner (the newcomer) offers to the mentor; both trickle candidates."""
    learner_call = Call(learner, mentor.peer_id)
    await learner_call.offer()
    offer = await mentor.expect("offer", **{"from": learner.peer_id})
    mentor_call = Call(mentor, learner.peer_id)
    await mentor_call.answer(offer["sdp"])
    mentor_candidates = await mentor_call.take_candidates()
    answer = await learner.expect("answer", **{"from": mentor.peer_id})
    await learner_call.accept_answer(answer["sdp"])
    learner_candidates = await learner_call.take_candidates()
    return mentor_call, learner_call, mentor_candidates + learner_candidates


async def wait_for_frames(calls: list[Call], seconds: float) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if all(call.frames["video"] > 0 and call.frames["audio"] > 0 for call in calls):
            break
        await asyncio.sleep(0.1)
    await asyncio.sleep(seconds)


async def main(args: argparse.Namespace) -> dict:
    mentor = Signalling(args.mentor_socket, args.session, args.mentor_cookie, "mentor")
    learner = Signalling(args.learner_socket, args.session, args.learner_cookie, "learner")
    report: dict = {}

    await mentor.open()
    await learner.open()
    assert [p["peer_id"] for p in learner.welcome["peers"]] == [mentor.peer_id], learner.welcome
    await mentor.expect("join")
    mentor_call, learner_call, candidates = await connect_pair(mentor, learner)
    await wait_for_frames([mentor_call, learner_call], MEDIA_SECONDS)
    report["phase1"] = {
        "mentor_received": dict(mentor_call.frames),
        "learner_received": dict(learner_call.frames),
        "ice_state": mentor_call.pc.iceConnectionState,
        "candidates_trickled": candidates,
        "session_status_seen_by_mentor": mentor.welcome["session"]["status"],
    }

    # Phase 2: the learner's socket drops; the learner comes back and offers afresh.
    old_peer = learner.peer_id
    await learner.drop()
    left = await mentor.expect("leave", peer_id=old_peer)
    await mentor_call.close()
    await learner_call.close()
    learner = Signalling(args.learner_socket, args.session, args.learner_cookie, "learner")
    await learner.open()
    joined = await mentor.expect("join")
    mentor_call, learner_call, candidates = await connect_pair(mentor, learner)
    await wait_for_frames([mentor_call, learner_call], MEDIA_SECONDS)
    report["phase2"] = {
        "leave_reason": left["reason"],
        "new_peer_differs": learner.peer_id != old_peer and joined["peer"]["peer_id"] == learner.peer_id,
        "mentor_received": dict(mentor_call.frames),
        "learner_received": dict(learner_call.frames),
        "candidates_trickled": candidates,
    }
    await mentor_call.close()
    await learner_call.close()
    await learner.send({"type": "leave"})
    report["phase2"]["last_leave_reason"] = (await mentor.expect("leave", peer_id=learner.peer_id))["reason"]
    await mentor.send({"type": "end"})
    report["end"] = await mentor.expect("end")
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--session", type=int, required=True)
    parser.add_argument("--mentor-socket", required=True)
    parser.add_argument("--learner-socket", required=True)
    parser.add_argument("--mentor-cookie", required=True)
    parser.add_argument("--learner-cookie", required=True)
    result = asyncio.run(asyncio.wait_for(main(parser.parse_args()), timeout=90))
    sys.stdout.write(json.dumps(result) + "\n")
