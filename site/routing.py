"""WebSocket routes of every core app, gathered in one place."""

from core.notifications.routing import websocket_urlpatterns as notification_routes

websocket_urlpatterns = [
    *notification_routes,
]
