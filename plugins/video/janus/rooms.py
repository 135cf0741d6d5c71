"""Rooms and credentials on Janus: one VideoRoom per session, one token per participant.

Nothing is stored on the site's side. The room id is the session id (plus a
per-site offset, so several sites can share one Janus); the room secret and
every token are derived from the admin secret with HMAC, so they are
unguessable without it and the site can always recompute what to revoke, even
after a restart or a lost cache.

A token reads ``pl.<session>.<user>.<expiry>.<mac>``: Janus's ``token_auth``
accepts it for the VideoRoom plugin, and the room's ``allowed`` list accepts
it for that one room, so a learner of one session cannot enter another
session's room with their token. The expiry in the token lets a sweep revoke
what outlived its session even when no "ended" event ever came (a session
that was never started).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from .admin import NO_SUCH_FEED, NO_SUCH_ROOM, ROOM_EXISTS, JanusAdmin, JanusError

logger = logging.getLogger("peerlearn.plugins.janus")

TOKEN_PREFIX = "pl"
#: Feed ids: user id times this plus a slot (1 camera, 2 screen), so the site can kick a person's feeds.
FEED_SLOTS = 10
SWEEP_EVERY = 60.0
_last_sweep: dict[str, float] = {}


@dataclass(frozen=True)
class RoomSpec:
    """How the site's rooms on one Janus are shaped."""

    room_offset: int = 0
    publishers: int = 100
    bitrate: int = 1_024_000
    grace_seconds: int = 3600


class JanusRooms:
    """Creates, opens to people, closes and sweeps the rooms of one site's sessions."""

    def __init__(self, admin: JanusAdmin, spec: RoomSpec) -> None:
        self.admin = admin
        self.spec = spec

    # --- derived names ------------------------------------------------------------

    def _mac(self, text: str, length: int = 24) -> str:
        return hmac.new(self.admin.admin_secret.encode(), text.encode(), hashlib.sha256).hexdigest()[:length]

    def room_id(self, session_id: int) -> int:
        return self.spec.room_offset + session_id

    def room_secret(self, session_id: int) -> str:
        return self._mac(f"room-secret:{self.room_id(session_id)}", 32)

    def token(self, session_id: int, user_id: int, expires: int) -> str:
        body = f"{TOKEN_PREFIX}.{self.room_id(session_id)}.{user_id}.{expires}"
        return f"{body}.{self._mac(body)}"

    def parse(self, token: str) -> tuple[int, int, int] | None:
        """``(room id, user id, expiry)`` of a token this site issued, else ``None``."""
        parts = token.split(".")
        if len(parts) != 5 or parts[0] != TOKEN_PREFIX:
            return None
        body = ".".join(parts[:4])
        if not hmac.compare_digest(parts[4], self._mac(body)):
            return None
        try:
            return int(parts[1]), int(parts[2]), int(parts[3])
        except ValueError:
            return None

    @staticmethod
    def feed_id(user_id: int, slot: int) -> int:
        return user_id * FEED_SLOTS + slot

    # --- rooms --------------------------------------------------------------------

    def ensure_room(self, session_id: int, title: str) -> int:
        """Create the session's VideoRoom unless it exists; returns its id."""
        room = self.room_id(session_id)
        self.admin.videoroom(
            {
                "request": "create",
                "room": room,
                "admin_key": self.admin.admin_secret,
                "secret": self.room_secret(session_id),
                "description": title[:100] or f"Session {session_id}",
                "is_private": True,
                "allowed": [],
                "publishers": self.spec.publishers,
                "bitrate": self.spec.bitrate,
                "fir_freq": 10,
                "notify_joining": True,
                # Only a request with the room secret (the site's) may start or stop recording a publisher.
                "lock_record": True,
                "audiolevel_event": True,
            },
            allow=(ROOM_EXISTS,),
        )
        return room

    def admit(self, session_id: int, user_id: int, ends_at: datetime, *, now: float | None = None) -> str:
        """Issue the person's token: accepted by Janus and by this room only, until the session is long over."""
        now = time.time() if now is None else now
        expires = int(max(ends_at.timestamp(), now) + self.spec.grace_seconds)
        token = self.token(session_id, user_id, expires)
        self.admin.add_token(token)
        self.admin.videoroom(
            {
                "request": "allowed",
                "room": self.room_id(session_id),
                "secret": self.room_secret(session_id),
                "action": "add",
                "allowed": [token],
            }
        )
        return token

    def revoke(self, session_id: int, user_id: int | None = None) -> int:
        """Revoke the tokens of one person (or everyone) in a session and kick their feeds; returns how many."""
        room = self.room_id(session_id)
        mine = [t for t in self.admin.list_tokens() if self._belongs(t, room, user_id)]
        for token in mine:
            self.admin.remove_token(token)
        if mine:
            secret = self.room_secret(session_id)
            self.admin.videoroom(
                {"request": "allowed", "room": room, "secret": secret, "action": "remove", "allowed": mine},
                allow=(NO_SUCH_ROOM,),
            )
        if user_id is not None:
            self._kick(session_id, user_id)
        return len(mine)

    def close(self, session_id: int) -> int:
        """The session is over: revoke every token and destroy the room (everyone in it is dropped)."""
        revoked = self.revoke(session_id)
        self.admin.videoroom(
            {"request": "destroy", "room": self.room_id(session_id), "secret": self.room_secret(session_id)},
            allow=(NO_SUCH_ROOM,),
        )
        return revoked

    def _belongs(self, token: str, room: int, user_id: int | None) -> bool:
        parsed = self.parse(token)
        return parsed is not None and parsed[0] == room and (user_id is None or parsed[1] == user_id)

    def _kick(self, session_id: int, user_id: int) -> None:
        room = self.room_id(session_id)
        listed = self.admin.videoroom({"request": "listparticipants", "room": room}, allow=(NO_SUCH_ROOM,))
        for participant in listed.get("participants", []):
            feed = participant.get("id")
            if isinstance(feed, int) and feed // FEED_SLOTS == user_id:
                self.admin.videoroom(
                    {"request": "kick", "room": room, "secret": self.room_secret(session_id), "id": feed},
                    allow=(NO_SUCH_FEED, NO_SUCH_ROOM),
                )

    # --- housekeeping -------------------------------------------------------------

    def sweep(self, *, now: float | None = None, force: bool = False) -> int:
        """Revoke this site's tokens past their expiry (at most once a minute per process unless ``force``)."""
        now = time.time() if now is None else now
        key = f"{self.admin.admin_url}:{self.spec.room_offset}"
        if not force and now - _last_sweep.get(key, 0.0) < SWEEP_EVERY:
            return 0
        _last_sweep[key] = now
        expired = [t for t in self.admin.list_tokens() if (parsed := self.parse(t)) and parsed[2] < now]
        for token in expired:
            self.admin.remove_token(token)
        if expired:
            logger.info("janus: revoked %d expired tokens", len(expired))
        return len(expired)


__all__ = ["JanusError", "JanusRooms", "RoomSpec"]
