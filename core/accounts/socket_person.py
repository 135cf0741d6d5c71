"""The signed-in person of a WebSocket, found as the pages find theirs (:func:`session_person`).

Channels' ``AuthMiddleware`` reads the person from PostgreSQL through
``database_sync_to_async``: outside a request that runs on the one thread a
process keeps for such calls, so sockets opened together waited for each other.
Forty sockets opened at once on one web process took 66 ms for the last, each
waiting for the session read, a pooled connection, the query and the
connection's return of those before it. Here the person comes from the cache, as
for a page (the session check included), on a thread of its own
(:func:`core.ops.off_loop.db`): 45 ms for the last of forty, no query for a
person kept (README, "Holding a crowd").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from channels.auth import AuthMiddleware
from channels.sessions import CookieMiddleware, SessionMiddleware

from core.ops.off_loop import db

from .session_person import session_person


@dataclass
class _SessionOnly:
    """What :func:`session_person` and Django's ``get_user`` read of a request: its session."""

    session: Any


class SocketPersonMiddleware(AuthMiddleware):
    """Channels' ``AuthMiddleware`` whose ``scope["user"]`` comes from :func:`session_person`."""

    async def resolve_scope(self, scope: dict) -> None:
        scope["user"]._wrapped = await _person(scope)


@db
def _person(scope: dict):
    return session_person(_SessionOnly(scope["session"]))


def SocketPersonStack(inner):
    """Cookies, the session, then the person: ``AuthMiddlewareStack`` with :class:`SocketPersonMiddleware`."""
    return CookieMiddleware(SessionMiddleware(SocketPersonMiddleware(inner)))
