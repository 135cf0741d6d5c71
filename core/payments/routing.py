"""WebSocket routes of core.payments, gathered by peerlearn.routing."""

websocket_urlpatterns: list = []
