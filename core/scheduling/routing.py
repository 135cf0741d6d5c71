"""WebSocket routes of core.scheduling, gathered by peerlearn.routing."""

websocket_urlpatterns: list = []
