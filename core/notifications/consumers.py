"""``ws/notifications/``: one socket per open page of a signed-in user."""

from __future__ import annotations

from channels.generic.websocket import AsyncJsonWebsocketConsumer

from .services import user_group


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

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        else:
            await self.send_json({"type": "error", "reason": "This socket only accepts ping."})

    async def notify(self, event: dict) -> None:
        """A new notification (``payload`` is its JSON form with ``unread_count``)."""
        await self.send_json({"type": "notification", "kind": event["kind"], "payload": event["payload"]})

    async def unread(self, event: dict) -> None:
        """The unread count changed elsewhere (read in another tab, or via the API)."""
        await self.send_json({"type": "unread", "count": event["count"]})
