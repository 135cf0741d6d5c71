"""WebSocket routes of core.recommendations, gathered by peerlearn.routing."""

websocket_urlpatterns: list = []
