"""``ws/session/<id>/`` through the full ASGI application: origin check, session auth, the protocol."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from peerlearn.asgi import application

from core.rooms import consumers
from core.rooms.models import Attendance, ChatMessage
from core.scheduling.models import Booking, Session

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

SDP = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"


class Peer:
    """One test client of a room socket."""

    def __init__(self, communicator: WebsocketCommunicator) -> None:
        self.ws = communicator
        self.peer_id: str | None = None
        self.welcome: dict | None = None

    async def send(self, message) -> None:
        await self.ws.send_to(text_data=message if isinstance(message, str) else json.dumps(message))

    async def recv(self, timeout: float = 3) -> dict:
        return json.loads(await self.ws.receive_from(timeout=timeout))

    async def recv_type(self, kind: str, timeout: float = 3) -> dict:
        """The next message of ``kind``, skipping others (join/leave noise)."""
        while True:
            message = await self.recv(timeout)
            if message["type"] == kind:
                return message

    async def drain(self, quiet: float = 0.5) -> list[dict]:
        """Everything received until the socket is quiet (a receive timeout would stop the app)."""
        received = []
        while not await self.ws.receive_nothing(timeout=quiet):
            received.append(await self.recv())
        return received

    async def silent(self, timeout: float = 0.3) -> bool:
        return await self.ws.receive_nothing(timeout=timeout)

    async def join(self, audio: bool = True, video: bool = True) -> dict:
        await self.send({"type": "join", "audio": audio, "video": video})
        self.welcome = await self.recv_type("welcome")
        self.peer_id = self.welcome["peer_id"]
        return self.welcome

    async def close(self) -> None:
        await self.ws.disconnect()


async def open_socket(session_id: int, cookie: bytes | None = None, origin: bytes = b"http://localhost"):
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, f"/ws/session/{session_id}/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return Peer(communicator), connected, code


async def enter(world, user) -> Peer:
    peer, connected, code = await open_socket(world.session.pk, world.cookie(user))
    assert connected, code
    await peer.join()
    return peer


# --- refusals at the handshake -------------------------------------------------------------


async def test_anonymous_stranger_and_cancelled_learner_are_refused(world):
    _, connected, code = await open_socket(world.session.pk)
    assert (connected, code) == (False, 4401)
    _, connected, code = await open_socket(world.session.pk, world.cookie(world.stranger))
    assert (connected, code) == (False, 4403)
    _, connected, code = await open_socket(world.session.pk, world.cookie(world.cancelled))
    assert (connected, code) == (False, 4403)
    _, connected, code = await open_socket(99999, world.cookie(world.mentor))
    assert (connected, code) == (False, 4404)


async def test_a_foreign_origin_is_refused_even_for_the_mentor(world):
    _, connected, _ = await open_socket(world.session.pk, world.cookie(world.mentor), origin=b"http://evil.example")
    assert not connected
    peer, connected, _ = await open_socket(
        world.session.pk, world.cookie(world.mentor), origin=b"http://127.0.0.1:8000"
    )
    assert connected
    await peer.close()


async def test_before_the_window_and_after_it_the_room_is_closed(world_factory):
    later = await sync_to_async(world_factory)(start=datetime.now(UTC) + timedelta(hours=2))
    _, connected, code = await open_socket(later.session.pk, later.cookie(later.mentor))
    assert (connected, code) == (False, 4425)
    _, connected, code = await open_socket(later.session.pk, later.cookie(later.learner))
    assert (connected, code) == (False, 4425)
    # 31 minutes after the start, a session nobody started cannot be started any more.
    missed = await sync_to_async(world_factory)(start=datetime.now(UTC) - timedelta(minutes=31))
    _, connected, code = await open_socket(missed.session.pk, missed.cookie(missed.mentor))
    assert (connected, code) == (False, 4410)


async def test_an_ended_session_refuses_everyone(world):
    await sync_to_async(Session.objects.filter(pk=world.session.pk).update)(status=Session.COMPLETED)
    _, connected, code = await open_socket(world.session.pk, world.cookie(world.mentor))
    assert (connected, code) == (False, 4410)


# --- joining, relaying -----------------------------------------------------------------------


async def test_mentor_starts_the_session_and_direct_messages_reach_only_their_peer(world):
    learner = await enter(world, world.learner)
    assert learner.welcome["session"]["status"] == Session.SCHEDULED
    assert learner.welcome["peers"] == []
    assert learner.welcome["you"]["role"] == "learner"

    mentor = await enter(world, world.mentor)
    assert mentor.welcome["session"]["status"] == Session.IN_PROGRESS
    assert [p["peer_id"] for p in mentor.welcome["peers"]] == [learner.peer_id]
    assert mentor.welcome["max_participants"] == 4
    assert mentor.welcome["ice_servers"] == []
    session = await sync_to_async(Session.objects.get)(pk=world.session.pk)
    assert session.status == Session.IN_PROGRESS and session.started_at is not None

    heard = {m["type"]: m for m in [await learner.recv(), await learner.recv()]}
    assert heard["session"]["status"] == Session.IN_PROGRESS, "the waiting learner is told the session started"
    assert heard["join"]["peer"]["peer_id"] == mentor.peer_id
    assert heard["join"]["peer"]["display_name"] == "Maya Mentor" and heard["join"]["peer"]["role"] == "mentor"

    third = await enter(world, world.learner2)
    await mentor.recv_type("join")
    await learner.recv_type("join")

    # The newcomer offers to the mentor: only the mentor hears it, with the sender's id.
    await third.send({"type": "offer", "to": mentor.peer_id, "sdp": SDP})
    offer = await mentor.recv_type("offer")
    assert offer == {"type": "offer", "sdp": SDP, "from": third.peer_id}
    await mentor.send({"type": "answer", "to": third.peer_id, "sdp": SDP})
    assert (await third.recv_type("answer"))["from"] == mentor.peer_id
    candidate = {
        "candidate": "candidate:1 1 udp 2122260223 127.0.0.2 50000 typ host",
        "sdpMid": "0",
        "sdpMLineIndex": 0,
    }
    await third.send({"type": "ice", "to": mentor.peer_id, "candidate": candidate})
    assert (await mentor.recv_type("ice"))["candidate"] == candidate
    await third.send({"type": "ice", "to": mentor.peer_id, "candidate": None})
    assert (await mentor.recv_type("ice"))["candidate"] is None
    assert await learner.silent(), "direct messages never reach the other peers"

    # An address that is not in the room (or oneself) is refused to the sender.
    await third.send({"type": "offer", "to": "nobody-here-123", "sdp": SDP})
    error = await third.recv_type("error")
    assert (error["code"], error["field"], error["ref"]) == ("unknown_peer", "to", "offer")
    await third.send({"type": "offer", "to": third.peer_id, "sdp": SDP})
    assert (await third.recv_type("error"))["code"] == "unknown_peer"

    rows = await sync_to_async(list)(Attendance.objects.filter(session=world.session).order_by("joined_at"))
    assert [(r.user_id, r.role, r.left_at) for r in rows] == [
        (world.learner.pk, "learner", None),
        (world.mentor.pk, "mentor", None),
        (world.learner2.pk, "learner", None),
    ]
    for peer in (learner, mentor, third):
        await peer.close()


async def test_bad_messages_are_answered_to_their_sender_and_the_room_keeps_working(world):
    mentor = await enter(world, world.mentor)
    learner = await enter(world, world.learner)
    await mentor.recv_type("join")

    bad = [
        ("{not json", "malformed", None),
        ("[1, 2]", "malformed", None),
        (json.dumps({"sdp": "x"}), "invalid", "type"),
        (json.dumps({"type": "teleport"}), "unknown_type", "type"),
        (json.dumps({"type": "offer", "to": mentor.peer_id}), "invalid", "sdp"),
        (json.dumps({"type": "offer", "to": mentor.peer_id, "sdp": SDP, "x": 1}), "invalid", "x"),
        (json.dumps({"type": "offer", "to": "../../etc", "sdp": SDP}), "invalid", "to"),
        (json.dumps({"type": "mute", "audio": "yes", "video": True}), "invalid", "audio"),
        (json.dumps({"type": "ice", "to": mentor.peer_id, "candidate": {"candidate": 5}}), "invalid", "candidate"),
        (json.dumps({"type": "chat", "text": ""}), "invalid", "text"),
        (json.dumps({"type": "join", "audio": True, "video": True}), "already_joined", None),
        (json.dumps({"type": "offer", "to": mentor.peer_id, "sdp": "v" * (70 * 1024)}), "too_large", None),
    ]
    for frame, code, field in bad:
        await learner.send(frame)
        error = await learner.recv_type("error")
        assert error["code"] == code, (frame[:60], error)
        assert error.get("field") == field, (frame[:60], error)
        assert error["message"]
    await learner.ws.send_to(bytes_data=b"\x00\x01")
    assert (await learner.recv_type("error"))["code"] == "binary_not_supported"
    assert await mentor.silent(), "nothing of a bad message reaches the others"

    # Both directions still work, and the socket is still open.
    await learner.send({"type": "offer", "to": mentor.peer_id, "sdp": SDP})
    assert (await mentor.recv_type("offer"))["from"] == learner.peer_id
    await mentor.send({"type": "answer", "to": learner.peer_id, "sdp": SDP})
    assert (await learner.recv_type("answer"))["from"] == mentor.peer_id
    await mentor.close()
    await learner.close()


async def test_messages_before_joining_are_refused(world):
    peer, connected, _ = await open_socket(world.session.pk, world.cookie(world.learner))
    assert connected
    await peer.send({"type": "chat", "text": "hello?"})
    assert (await peer.recv())["code"] == "not_joined"
    await peer.close()


async def test_refusals_speak_the_language_the_person_chose(world):
    """Refusals are read by the person behind the socket: in their profile language, with the same code."""
    world.learner.preferred_language = "es"
    await sync_to_async(world.learner.save)(update_fields=["preferred_language"])
    peer, connected, _ = await open_socket(world.session.pk, world.cookie(world.learner))
    assert connected
    await peer.send({"type": "chat", "text": "hola?"})
    refused = await peer.recv()
    assert (refused["code"], refused["message"]) == ("not_joined", "Envía primero 'join'.")
    await peer.join()
    await peer.send("{not json")
    error = await peer.recv_type("error")
    assert (error["code"], error["message"]) == ("malformed", "El mensaje no es JSON válido.")
    await peer.close()

    mentor = await enter(world, world.mentor)  # no language chosen: the site's default, English
    await mentor.send("{not json")
    assert (await mentor.recv_type("error"))["message"] == "The message is not valid JSON."
    await mentor.close()


async def test_a_flood_is_rate_limited_and_the_room_survives(world):
    mentor = await enter(world, world.mentor)
    learner = await enter(world, world.learner)
    await mentor.recv_type("join")
    sent = 600
    for _ in range(sent):
        await learner.send({"type": "ping"})
    pongs = limited = 0
    for message in await learner.drain():
        if message["type"] == "pong":
            pongs += 1
        elif message["type"] == "error":
            assert message["code"] == "rate_limited" and message["retry_after"] >= 0
            limited += 1
    assert limited >= 1
    # the join spent one token of the burst; the bucket may refill a little while the flood is read
    assert consumers.BURST - 1 <= pongs < sent
    await asyncio.sleep(0.3)  # the bucket refills
    await learner.send({"type": "offer", "to": mentor.peer_id, "sdp": SDP})
    assert (await mentor.recv_type("offer"))["from"] == learner.peer_id
    await mentor.close()
    await learner.close()


async def test_a_socket_that_keeps_flooding_is_closed(world, monkeypatch):
    monkeypatch.setattr(consumers, "FLOOD_CLOSE_AFTER", 50)
    learner = await enter(world, world.learner)
    for _ in range(consumers.BURST + 300):
        try:
            await learner.send({"type": "ping"})
        except BaseException:  # the consumer has closed the socket and finished
            break
    while True:
        output = await learner.ws.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            assert output["code"] == 4429
            break


# --- chat, media state, attendance, ending ---------------------------------------------------------


async def test_chat_is_stored_with_the_session_and_shown_to_later_joiners(world):
    mentor = await enter(world, world.mentor)
    learner = await enter(world, world.learner)
    await learner.send({"type": "chat", "text": "  Hello, <b>Maya</b>!\u0007  "})
    for peer in (mentor, learner):
        line = await peer.recv_type("chat")
        assert line["text"] == "Hello, <b>Maya</b>!"
        assert line["display_name"] == "Leo Learner" and line["user_id"] == world.learner.pk
    await learner.send({"type": "chat", "text": "   \u200b "})
    assert (await learner.recv_type("error"))["code"] == "empty_chat"
    stored = await sync_to_async(list)(ChatMessage.objects.filter(session=world.session).values_list("text", flat=True))
    assert stored == ["Hello, <b>Maya</b>!"]
    late = await enter(world, world.learner2)
    assert [line["text"] for line in late.welcome["chat"]] == ["Hello, <b>Maya</b>!"]
    for peer in (mentor, learner, late):
        await peer.close()


async def test_mute_and_screen_state_reach_the_others(world):
    mentor = await enter(world, world.mentor)
    learner = await enter(world, world.learner)
    await learner.send({"type": "mute", "audio": False, "video": True})
    assert await mentor.recv_type("mute") == {"type": "mute", "from": learner.peer_id, "audio": False, "video": True}
    await learner.send({"type": "screen", "active": True})
    assert await mentor.recv_type("screen") == {"type": "screen", "from": learner.peer_id, "active": True}
    row = await sync_to_async(Attendance.objects.get)(peer_id=learner.peer_id)
    assert (row.audio, row.video, row.screen) == (False, True, True)
    # A later joiner sees the current state in its welcome.
    late = await enter(world, world.learner2)
    state = {p["peer_id"]: (p["audio"], p["screen"]) for p in late.welcome["peers"]}
    assert state[learner.peer_id] == (False, True)
    for peer in (mentor, learner, late):
        await peer.close()


async def test_a_dropped_socket_is_recorded_and_the_rejoin_replaces_an_unnoticed_one(world):
    mentor = await enter(world, world.mentor)
    learner = await enter(world, world.learner)
    await mentor.recv_type("join")
    await learner.close()
    left = await mentor.recv_type("leave")
    assert (left["peer_id"], left["reason"]) == (learner.peer_id, "disconnected")
    row = await sync_to_async(Attendance.objects.get)(peer_id=learner.peer_id)
    assert row.left_at is not None and row.leave_reason == Attendance.DISCONNECTED

    # The learner comes back twice (a second tab while the first socket still looks alive).
    first = await enter(world, world.learner)
    assert (await mentor.recv_type("join"))["peer"]["peer_id"] == first.peer_id
    second = await enter(world, world.learner)
    left = await mentor.recv_type("leave")
    assert (left["peer_id"], left["reason"]) == (first.peer_id, "replaced")
    assert (await mentor.recv_type("join"))["peer"]["peer_id"] == second.peer_id
    kicked = await first.recv_type("error")
    assert kicked["code"] == "replaced" and kicked["fatal"]
    assert (await first.ws.receive_output(timeout=3))["code"] == 4001
    assert [p["peer_id"] for p in second.welcome["peers"]] == [mentor.peer_id]
    await second.send({"type": "offer", "to": mentor.peer_id, "sdp": SDP})
    assert (await mentor.recv_type("offer"))["from"] == second.peer_id
    await mentor.close()
    await second.close()


async def test_the_mesh_is_capped_at_the_backends_participant_limit(world, configure_plugin):
    await sync_to_async(configure_plugin)("video_p2p", max_participants=2)
    mentor = await enter(world, world.mentor)
    learner = await enter(world, world.learner)
    assert learner.welcome["max_participants"] == 2
    third, connected, _ = await open_socket(world.session.pk, world.cookie(world.learner2))
    assert connected
    await third.send({"type": "join", "audio": True, "video": True})
    error = await third.recv_type("error")
    assert error["code"] == "full" and error["fatal"]
    assert (await third.ws.receive_output(timeout=3))["code"] == 4409
    # When someone leaves, the place is free again.
    await learner.send({"type": "leave"})
    assert (await mentor.recv_type("leave"))["reason"] == "left"
    again = await enter(world, world.learner2)
    assert [p["peer_id"] for p in again.welcome["peers"]] == [mentor.peer_id]
    await mentor.close()
    await again.close()


async def test_only_the_mentor_ends_the_session_and_everyone_is_told(world):
    mentor = await enter(world, world.mentor)
    learner = await enter(world, world.learner)
    await learner.send({"type": "end"})
    assert (await learner.recv_type("error"))["code"] == "forbidden"
    await mentor.send({"type": "end"})
    for peer in (mentor, learner):
        assert (await peer.recv_type("end"))["status"] == Session.COMPLETED
        assert (await peer.ws.receive_output(timeout=3))["code"] == 4000
    session = await sync_to_async(Session.objects.get)(pk=world.session.pk)
    assert session.status == Session.COMPLETED and session.ended_at is not None
    rows = await sync_to_async(list)(Attendance.objects.filter(session=world.session))
    assert rows and all(r.left_at is not None and r.leave_reason == Attendance.ENDED for r in rows)
    statuses = await sync_to_async(dict)(
        Booking.objects.filter(session=world.session).values_list("learner_id", "status")
    )
    # The session ended within the no-show grace time: nobody is marked absent yet.
    assert statuses[world.learner.pk] == Booking.COMPLETED
    assert statuses[world.learner2.pk] == Booking.COMPLETED
    _, connected, code = await open_socket(world.session.pk, world.cookie(world.learner))
    assert (connected, code) == (False, 4410)


async def test_a_socket_that_never_joins_is_closed(world, monkeypatch):
    monkeypatch.setattr(consumers, "JOIN_TIMEOUT", 0.2)
    peer, connected, _ = await open_socket(world.session.pk, world.cookie(world.learner))
    assert connected
    assert (await peer.ws.receive_output(timeout=3))["code"] == 4408


async def test_a_learner_whose_booking_is_cancelled_is_put_out_of_the_room(world):
    from core.scheduling.services.bookings import cancel_booking

    # Both learners wait for the mentor; one cancels (allowed until the session starts).
    other = await enter(world, world.learner2)
    learner = await enter(world, world.learner)
    await other.recv_type("join")
    booking = await sync_to_async(Booking.objects.get)(session=world.session, learner=world.learner)
    await sync_to_async(cancel_booking)(booking, world.learner, "cannot stay")
    error = await learner.recv_type("error")
    assert error["code"] == "forbidden" and error["fatal"]
    assert (await learner.ws.receive_output(timeout=3))["code"] == 4403
    left = await other.recv_type("leave")
    assert (left["peer_id"], left["reason"]) == (learner.peer_id, "left")
    _, connected, code = await open_socket(world.session.pk, world.cookie(world.learner))
    assert (connected, code) == (False, 4403)
    await other.close()
