"""``ws/session/<id>/``: the signalling socket of a session's room (protocol: PROTOCOL.md).

The handshake is refused (the socket closes before it opens) for anyone but
the session's mentor and its confirmed learners, outside the room's window,
and, by the ASGI stack around this consumer, from a foreign Origin. Once
open, every frame is size-checked, rate-limited, parsed and validated before
anything else happens; a bad frame earns its sender an ``error`` and changes
nothing for the others.

Fan-out uses the channel layer: one group per room for what everyone hears
(join, leave, chat, mute, screen, end) and one group per peer for what one
peer hears (offer, answer, ice). Nothing on the relay path touches the
database, so a room's signalling scales with the channel layer (Redis
pub/sub on the real stack, where several ASGI processes serve one room).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_lazy

from core.accounts.language import language_of
from core.ops.off_loop import db

from . import protocol, services
from .groups import peer_group, room_group
from .models import Attendance
from .ratelimit import TokenBucket

logger = logging.getLogger("peerlearn.rooms")

#: Messages per socket: a burst (ICE candidates to every peer at once), then a steady rate.
RATE_PER_SECOND = 40
BURST = 200
#: Chat has its own, smaller allowance.
CHAT_RATE_PER_SECOND = 2
CHAT_BURST = 10
#: Dropped messages in a row after which the socket is closed (4429).
FLOOD_CLOSE_AFTER = 2000
#: Seconds a socket may stay open without joining.
JOIN_TIMEOUT = 30
#: Refresh ``Attendance.last_seen`` at most this often (seconds).
TOUCH_EVERY = 30


class RoomConsumer(AsyncWebsocketConsumer):
    grant: services.SocketGrant | None = None
    peer_id: str | None = None
    language: str = settings.LANGUAGE_CODE

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Call the handler of ``message`` without Channels' per-message database clean-up.

        ``AsyncConsumer.dispatch`` closes stale database connections before
        every message through the one shared sync thread: for a relay that
        never touches the database that hop serialised the whole process
        (about 500 messages/s, then queueing). Every database call here goes
        through :func:`db`, which closes stale connections itself.
        """
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    # --- lifecycle -------------------------------------------------------------------

    async def connect(self) -> None:
        session_id = int(self.scope["url_route"]["kwargs"]["session_id"])
        host = _header(self.scope, b"host")
        try:
            self.grant = await db(services.grant_socket)(self.scope.get("user"), session_id, host)
        except services.RoomRefused as refused:
            logger.info("room %s: handshake refused (%s)", session_id, refused.reason)
            await self.close(code=refused.code)
            return
        self.language = await db(language_of)(self.scope.get("user"))
        self.session_id = session_id
        self.room = room_group(session_id)
        self.peers: dict[str, dict[str, Any]] = {}
        self.bucket = TokenBucket(RATE_PER_SECOND, BURST)
        self.chat_bucket = TokenBucket(CHAT_RATE_PER_SECOND, CHAT_BURST)
        self.dropped = 0
        self.limit_notice_at = 0.0
        self.touched_at = time.monotonic()
        self.closing = False
        self.stay_closed = False  # the stay was closed by someone else (ended, replaced)
        self.subscribed: list[str] = []
        await self.accept()
        self.join_timer = asyncio.get_running_loop().call_later(JOIN_TIMEOUT, self._join_timeout)

    def _join_timeout(self) -> None:
        if self.peer_id is None and not self.closing:
            self.closing = True
            asyncio.ensure_future(self.close(code=services.CLOSE_JOIN_TIMEOUT))

    async def disconnect(self, code: int) -> None:
        if self.grant is None:
            return
        self.closing = True
        timer = getattr(self, "join_timer", None)
        if timer is not None:
            timer.cancel()
        await self._unsubscribe()
        peer_id, self.peer_id = self.peer_id, None
        if peer_id is None or self.stay_closed:
            return
        if await db(services.leave_room)(peer_id, Attendance.DISCONNECTED):
            await self.channel_layer.group_send(
                self.room, {"type": "room.leave", "peer_id": peer_id, "reason": Attendance.DISCONNECTED}
            )

    async def _subscribe(self, *groups: str) -> None:
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.subscribed.append(group)

    async def _unsubscribe(self) -> None:
        groups, self.subscribed = self.subscribed, []
        for group in groups:
            await self.channel_layer.group_discard(group, self.channel_name)

    # --- frames from the client ----------------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        if self.closing:
            return
        if not self.bucket.take():
            await self._limited(self.bucket)
            return
        self.dropped = 0
        kind = None
        with translation.override(self.language):  # refusals are read by the person behind the socket
            try:
                message = protocol.parse(text_data, bytes_data)
                kind = message["type"]
                if kind != "join" and self.peer_id is None:
                    raise protocol.ProtocolError("not_joined", gettext("Send 'join' first."))
                await getattr(self, f"on_{kind}")(message)
            except protocol.ProtocolError as error:
                await self._send(error.as_message(error.ref or kind))

    async def _limited(self, bucket: TokenBucket) -> None:
        self.dropped += 1
        if self.dropped >= FLOOD_CLOSE_AFTER:
            logger.warning("room %s: closing a flooding socket of user %s", self.session_id, self.grant.user_id)
            self.closing = True
            await self.close(code=services.CLOSE_FLOOD)
            return
        now = time.monotonic()
        if now - self.limit_notice_at >= 1.0:
            self.limit_notice_at = now
            await self._send(
                {
                    "type": "error",
                    "code": "rate_limited",
                    "message": "Too many messages: some were dropped. Slow down.",
                    "retry_after": round(bucket.retry_after(), 3),
                }
            )

    async def on_join(self, message: dict[str, Any]) -> None:
        if self.peer_id is not None:
            raise protocol.ProtocolError("already_joined", gettext("This socket has joined already."))
        peer_id = services.new_peer_id()
        # Subscribe before the join is recorded: whoever joins after us is then heard.
        await self._subscribe(self.room, peer_group(self.session_id, peer_id))
        try:
            result = await db(services.join_room)(
                self.grant, peer_id=peer_id, audio=message["audio"], video=message["video"]
            )
        except services.RoomRefused as refused:
            await self._unsubscribe()
            await self._send({"type": "error", "code": refused.reason, "message": refused.message, "fatal": True})
            self.closing = True
            await self.close(code=refused.code)
            return
        self.peer_id = peer_id
        self.join_timer.cancel()
        self.peers = {peer["peer_id"]: peer for peer in result.peers}
        ice, history = await db(_welcome_extras)(self.grant)
        await self._send(
            {
                "type": "welcome",
                "peer_id": peer_id,
                "you": result.me,
                "peers": result.peers,
                "session": {"id": self.session_id, "status": result.session_status},
                "max_participants": self.grant.max_participants,
                "ice_servers": ice,
                "chat": history,
                "limits": {
                    "max_message_bytes": protocol.MAX_MESSAGE_BYTES,
                    "messages_per_second": RATE_PER_SECOND,
                    "burst": BURST,
                },
            }
        )
        for old in result.replaced:
            await self.channel_layer.group_send(
                self.room, {"type": "room.leave", "peer_id": old, "reason": Attendance.REPLACED}
            )
            await self.channel_layer.group_send(peer_group(self.session_id, old), {"type": "room.kick"})
        await self.channel_layer.group_send(self.room, {"type": "room.join", "peer": result.me})

    async def on_leave(self, message: dict[str, Any]) -> None:
        peer_id, self.peer_id = self.peer_id, None
        self.closing = True
        await self._unsubscribe()
        if await db(services.leave_room)(peer_id, Attendance.LEFT):
            await self.channel_layer.group_send(
                self.room, {"type": "room.leave", "peer_id": peer_id, "reason": Attendance.LEFT}
            )
        await self.close(code=1000)

    async def _relay(self, message: dict[str, Any]) -> None:
        target = message.pop("to")
        if target == self.peer_id or target not in self.peers:
            raise protocol.ProtocolError("unknown_peer", gettext("No such peer in this room."), field="to")
        message["from"] = self.peer_id
        await self.channel_layer.group_send(
            peer_group(self.session_id, target), {"type": "room.relay", "message": message}
        )

    on_offer = on_answer = on_ice = _relay

    async def on_chat(self, message: dict[str, Any]) -> None:
        if not self.chat_bucket.take():
            raise protocol.ProtocolError(
                "rate_limited", gettext("You are sending chat messages too fast."), field="text"
            )
        try:
            saved = await db(_post_chat)(self.session_id, self.grant.user_id, message["text"])
        except services.ChatRefused as refused:
            raise protocol.ProtocolError(refused.code, refused.message, field="text") from None
        await self.channel_layer.group_send(self.room, {"type": "room.chat", "message": saved})

    async def on_mute(self, message: dict[str, Any]) -> None:
        await db(services.set_media)(self.peer_id, audio=message["audio"], video=message["video"])
        await self.channel_layer.group_send(
            self.room,
            {"type": "room.mute", "peer_id": self.peer_id, "audio": message["audio"], "video": message["video"]},
        )

    async def on_screen(self, message: dict[str, Any]) -> None:
        await db(services.set_media)(self.peer_id, screen=message["active"])
        await self.channel_layer.group_send(
            self.room, {"type": "room.screen", "peer_id": self.peer_id, "active": message["active"]}
        )

    async def on_end(self, message: dict[str, Any]) -> None:
        if self.grant.role != Attendance.MENTOR:
            raise protocol.ProtocolError("forbidden", gettext("Only the mentor can end the session."))
        try:
            await db(_end_room)(self.session_id, self.grant.user_id)
        except services.RoomRefused as refused:
            raise protocol.ProtocolError(refused.reason, refused.message) from None
        # Everyone, this socket included, hears "end" from the session_changed receiver.

    async def on_ping(self, message: dict[str, Any]) -> None:
        await self._send({"type": "pong"})
        now = time.monotonic()
        if now - self.touched_at >= TOUCH_EVERY:
            self.touched_at = now
            await db(services.touch)(self.peer_id)

    # --- events from the channel layer ------------------------------------------------------

    async def room_join(self, event: dict[str, Any]) -> None:
        peer = event["peer"]
        if self.peer_id is None or peer["peer_id"] == self.peer_id:
            return
        self.peers[peer["peer_id"]] = peer
        await self._send({"type": "join", "peer": peer})

    async def room_leave(self, event: dict[str, Any]) -> None:
        if self.peer_id is None or event["peer_id"] == self.peer_id:
            return
        self.peers.pop(event["peer_id"], None)
        await self._send({"type": "leave", "peer_id": event["peer_id"], "reason": event["reason"]})

    async def room_relay(self, event: dict[str, Any]) -> None:
        if self.peer_id is not None:
            await self._send(event["message"])

    async def room_chat(self, event: dict[str, Any]) -> None:
        if self.peer_id is not None:
            await self._send({"type": "chat", **event["message"]})

    async def room_mute(self, event: dict[str, Any]) -> None:
        peer = self.peers.get(event["peer_id"])
        if peer is not None:
            peer.update(audio=event["audio"], video=event["video"])
            await self._send(
                {"type": "mute", "from": event["peer_id"], "audio": event["audio"], "video": event["video"]}
            )

    async def room_screen(self, event: dict[str, Any]) -> None:
        peer = self.peers.get(event["peer_id"])
        if peer is not None:
            peer["screen"] = event["active"]
            await self._send({"type": "screen", "from": event["peer_id"], "active": event["active"]})

    async def room_status(self, event: dict[str, Any]) -> None:
        if self.peer_id is not None:
            await self._send({"type": "session", "status": event["status"]})

    async def room_ended(self, event: dict[str, Any]) -> None:
        if self.closing:
            return
        self.closing = True
        self.stay_closed = True  # the stays were closed as "ended" with the session
        await self._send({"type": "end", "status": event["status"]})
        await self.close(code=services.CLOSE_ENDED)

    async def room_revoke(self, event: dict[str, Any]) -> None:
        """This person's booking stopped being confirmed: out, like a handshake refusal."""
        if self.closing or event["user_id"] != self.grant.user_id:
            return
        self.closing = True
        peer_id = self.peer_id
        await self._send(
            {
                "type": "error",
                "code": "forbidden",
                "message": self._speak(gettext_lazy("Your booking for this session is no longer confirmed.")),
                "fatal": True,
            }
        )
        if peer_id and await db(services.leave_room)(peer_id, Attendance.LEFT):
            await self.channel_layer.group_send(
                self.room, {"type": "room.leave", "peer_id": peer_id, "reason": Attendance.LEFT}
            )
        self.stay_closed = True
        await self.close(code=services.CLOSE_FORBIDDEN)

    async def room_kick(self, event: dict[str, Any]) -> None:
        if self.closing:
            return
        self.closing = True
        self.stay_closed = True  # the stay was closed as "replaced" by the newer socket's join
        await self._send(
            {
                "type": "error",
                "code": "replaced",
                "message": self._speak(gettext_lazy("You joined this room again from another tab or device.")),
                "fatal": True,
            }
        )
        await self.close(code=services.CLOSE_REPLACED)

    # --- helpers -------------------------------------------------------------------------

    def _speak(self, text: Any) -> str:
        """``text`` (a lazy translation) in this socket's language, for messages sent outside ``receive``."""
        with translation.override(self.language):
            return str(text)

    async def _send(self, message: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(message, separators=(",", ":"), ensure_ascii=False))


def _header(scope: dict, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def _ice_servers(grant: services.SocketGrant) -> list[dict[str, Any]]:
    from wagtail.models import Site

    from core.plugins import Participant

    site = Site.objects.filter(pk=grant.site_id).first() if grant.site_id else None
    participant = Participant(user_id=grant.user_id, display_name=grant.display_name, role=grant.role)  # type: ignore[arg-type]
    return services.ice_servers(participant, site)


def _welcome_extras(grant: services.SocketGrant) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Fresh ICE servers (TURN credentials expire) and the chat so far, in one trip to a worker thread."""
    from core.scheduling.models import Session

    history = [services.chat_payload(m) for m in services.chat_history(Session(pk=grant.session_id))]
    return _ice_servers(grant), history


def _post_chat(session_id: int, user_id: int, text: str) -> dict[str, Any]:
    from core.accounts.models import User

    return services.chat_payload(services.post_chat(session_id, User.objects.get(pk=user_id), text))


def _end_room(session_id: int, user_id: int) -> None:
    from core.accounts.models import User

    services.end_room(session_id, User.objects.get(pk=user_id))
