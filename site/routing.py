"""WebSocket routes of every core app, gathered in one place."""

from core.analytics.routing import websocket_urlpatterns as analytics_routes
from core.catalogue.routing import websocket_urlpatterns as catalogue_routes
from core.notifications.routing import websocket_urlpatterns as notification_routes
from core.payments.routing import websocket_urlpatterns as payments_routes
from core.recommendations.routing import websocket_urlpatterns as recommendation_routes
from core.rooms.routing import websocket_urlpatterns as room_routes
from core.scheduling.routing import websocket_urlpatterns as scheduling_routes

websocket_urlpatterns = [
    *notification_routes,
    *catalogue_routes,
    *scheduling_routes,
    *payments_routes,
    *recommendation_routes,
    *room_routes,
    *analytics_routes,
]
