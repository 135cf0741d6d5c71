"""``ws/dashboard/``: live tiles for the people allowed to see the analytics dashboard.

Clients may send ``ping`` and ``refresh``; a connection and each of its messages mark the
dashboard as watched (:func:`~.services.live.watched`), without which changes push nothing.
Frames are read like the room's (:func:`core.rooms.protocol.parse`): a malformed, binary,
oversized or unknown frame earns an ``error`` message and the socket stays open.
"""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.rooms import protocol

from .permissions import can_view_dashboard
from .services.live import GROUP, live_tiles, watched

CLIENT_MESSAGES = {
    "ping": protocol.message_schema("ping", "Keep-alive; the server answers pong."),
    "refresh": protocol.message_schema("refresh", "Ask for the tiles now; the server answers tiles."),
}
_CHECKS = protocol.validators(CLIENT_MESSAGES)


class DashboardConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        if not await database_sync_to_async(can_view_dashboard)(user):
            await self.close(code=4403)
            return
        await self.channel_layer.group_add(GROUP, self.channel_name)
        self.joined = True
        await self.accept()
        await database_sync_to_async(watched)()
        await self.send_json({"type": "tiles", "tiles": await database_sync_to_async(live_tiles)()})

    async def disconnect(self, code: int) -> None:
        if getattr(self, "joined", False):
            await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs) -> None:
        try:
            message = protocol.parse(text_data, bytes_data, _CHECKS)
        except protocol.ProtocolError as error:
            await self.send_json(error.as_message())
            return
        await database_sync_to_async(watched)()  # still open: keep the pushes coming
        if message["type"] == "refresh":
            await self.send_json({"type": "tiles", "tiles": await database_sync_to_async(live_tiles)()})
        else:
            await self.send_json({"type": "pong"})

    async def tiles(self, event: dict) -> None:
        await self.send_json({"type": "tiles", "tiles": event["tiles"]})
