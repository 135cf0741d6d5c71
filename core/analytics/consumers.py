"""``ws/dashboard/``: live tiles for the people allowed to see the analytics dashboard."""

from __future__ import annotations

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .permissions import can_view_dashboard
from .services.live import GROUP, live_tiles


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
        await self.send_json({"type": "tiles", "tiles": await database_sync_to_async(live_tiles)()})

    async def disconnect(self, code: int) -> None:
        if getattr(self, "joined", False):
            await self.channel_layer.group_discard(GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "refresh":
            await self.send_json({"type": "tiles", "tiles": await database_sync_to_async(live_tiles)()})
        elif isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "reason": "This socket accepts only ping and refresh."})

    async def tiles(self, event: dict) -> None:
        await self.send_json({"type": "tiles", "tiles": event["tiles"]})
