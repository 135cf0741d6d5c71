"""ASGI entry point: HTTP through Django, WebSockets through Channels.

Every WebSocket is checked against ALLOWED_HOSTS (Origin) and carries the
session user, so consumers only decide *whether this user may join*.
"""

import os

from . import daphne_forms  # noqa: F401  (Twisted must not refuse form bodies Django can read)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.production")

# Django must be set up before the routing imports models.
from .asgi_http import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from core.accounts.socket_person import SocketPersonStack  # noqa: E402
from core.ops.off_loop import start_threads  # noqa: E402

from .routing import websocket_urlpatterns  # noqa: E402
from .warmup import warm_up  # noqa: E402

warm_up()
if settings.WEB_WARM_UP:  # threads for the requests that run at once (and as many whose turn ran out), and sockets
    django_asgi_app.threads.start(2 * max(settings.WEB_RUNNING_REQUESTS, 1))
    start_threads()

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(SocketPersonStack(URLRouter(websocket_urlpatterns))),
    }
)
