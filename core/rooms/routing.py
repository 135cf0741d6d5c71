import sys
import threading

from django.urls import path

from .consumers import RoomConsumer

websocket_urlpatterns = [path("ws/session/<int:session_id>/", RoomConsumer.as_asgi())]


def _load_plugins() -> None:
    from core.plugins.manager import get_manager

    get_manager()


# This module is imported only where WebSockets are served (site/routing.py, the
# ASGI app). A room handshake asks the video plugins which backend to use, and
# importing every plugin takes seconds (scientific libraries of the recommenders),
# longer than a server's handshake timeout on a busy machine: load them now, in
# the background, rather than on the first participant's handshake. Test runs
# create and reset their own plugin managers, so they are left alone.
if "pytest" not in sys.modules:
    threading.Thread(target=_load_plugins, name="rooms-load-plugins", daemon=True).start()
