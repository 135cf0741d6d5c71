"""Django's ASGI handler for HTTP, running the whole middleware chain and view in one thread.

Django's own ``ASGIHandler`` builds the chain in async mode. Every middleware
built on ``MiddlewareMixin`` is async-capable, so the chain switches between the
event loop and a worker thread at each boundary between sync-only and
async-capable middleware, and once more for the view and for each
``process_response`` of an async-capable middleware: four to five thread hops a
request, each waiting for a busy event loop. All of PeerLearn's middleware and
HTTP views are synchronous, so this handler builds the chain in sync mode, as
WSGI does, and enters it once through ``sync_to_async`` (thread-sensitive: the
same per-request thread that Django's ``request_started`` and
``request_finished`` receivers use, so the pooled database connection is handed
back by the thread that took it). Measured with ``bench.load`` (README,
"Holding a crowd").
"""

from __future__ import annotations

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler


class SyncChainASGIHandler(ASGIHandler):
    """``ASGIHandler`` whose middleware chain is built as for WSGI and entered with one thread hop."""

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)
        self._middleware_chain = sync_to_async(self._middleware_chain, thread_sensitive=True)


def get_asgi_application() -> SyncChainASGIHandler:
    """Like ``django.core.asgi.get_asgi_application``, with the one-hop handler."""
    django.setup(set_prefix=False)
    return SyncChainASGIHandler()
