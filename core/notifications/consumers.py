"""``ws/notifications/``: one socket per open page of a signed-in user.

It carries notifications and, for core.messaging, direct messages and read receipts.

Clients may send only ``ping``. Frames are read like the room's
(:func:`core.rooms.protocol.parse`): a malformed, binary, oversized or unknown
frame earns an ``error`` message and the socket stays open.
"""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.rooms import protocol

from .services import user_group

CLIENT_MESSAGES = {"ping": protocol.message_schema("ping", "Keep-alive; the server answers pong.")}
_CHECKS = protocol.validators(CLIENT_MESSAGES)


class NotificationConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.group = user_group(user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        try:
            protocol.parse(text_data, bytes_data, _CHECKS)
        except protocol.ProtocolError as error:
            await self.send_json(error.as_message())
            return
        await self.send_json({"type": "pong"})

    async def notify(self, event: dict) -> None:
        """A new notification (``payload`` is its JSON form with ``unread_count``)."""
        await self.send_json({"type": "notification", "kind": event["kind"], "payload": event["payload"]})

    async def unread(self, event: dict) -> None:
        """The unread count changed elsewhere (read in another tab, or via the API)."""
        await self.send_json({"type": "unread", "count": event["count"]})

    async def direct_message(self, event: dict) -> None:
        """A message of a conversation (core.messaging), to its recipient and the sender's other pages."""
        await self.send_json({"type": "message", "payload": event["payload"]})

    async def direct_read(self, event: dict) -> None:
        """The other person read messages this user sent (a read receipt)."""
        await self.send_json({"type": "message_read", "payload": event["payload"]})

    async def direct_unread(self, event: dict) -> None:
        """This user's count of unread messages changed (read in another tab)."""
        await self.send_json({"type": "message_unread", "count": event["count"]})
