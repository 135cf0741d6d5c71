"""WebSocket routes of core.catalogue, gathered by peerlearn.routing."""

websocket_urlpatterns: list = []
