"""A small client of the Janus admin API: tokens and VideoRoom requests.

Everything the site asks of Janus goes through the admin endpoint (``/admin``,
authenticated by the admin secret): ``add_token``/``remove_token``/``list_tokens``
for ``token_auth``, and ``message_plugin`` for synchronous VideoRoom requests
(create, destroy, allowed, kick, listparticipants). The site therefore holds
no Janus session of its own and never needs a token for itself.
"""

from __future__ import annotations

import secrets
from typing import Any

import requests

VIDEOROOM = "janus.plugin.videoroom"
ROOM_EXISTS = 427
NO_SUCH_ROOM = 426
NO_SUCH_FEED = 428
NO_SUCH_SESSION = 458
NO_SUCH_HANDLE = 459


class JanusError(Exception):
    """Janus answered with an error (or not at all). ``code`` is Janus's error code, 0 when unreachable."""

    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class JanusAdmin:
    """Talks to one Janus server's admin API over HTTP."""

    def __init__(self, admin_url: str, admin_secret: str, *, timeout: float = 3.0) -> None:
        self.admin_url = admin_url.rstrip("/")
        self.admin_secret = admin_secret
        self.timeout = timeout

    def _post(self, body: dict[str, Any], path: str = "") -> dict[str, Any]:
        payload = {**body, "transaction": secrets.token_hex(6), "admin_secret": self.admin_secret}
        try:
            response = requests.post(self.admin_url + path, json=payload, timeout=self.timeout)
            answer = response.json()
        except (requests.RequestException, ValueError) as exc:
            raise JanusError(f"Janus admin API at {self.admin_url} did not answer: {type(exc).__name__}") from exc
        if answer.get("janus") == "error":
            error = answer.get("error") or {}
            raise JanusError(str(error.get("reason", "error")), int(error.get("code") or 0))
        return answer

    # --- server -------------------------------------------------------------------

    def info(self) -> dict[str, Any]:
        """The server's ``server_info`` (version, plugins, whether it accepts sessions)."""
        return self._post({"janus": "info"})

    # --- token_auth ---------------------------------------------------------------

    def add_token(self, token: str) -> None:
        """Let ``token`` use the VideoRoom plugin (adding one twice is harmless)."""
        self._post({"janus": "add_token", "token": token, "plugins": [VIDEOROOM]})

    def remove_token(self, token: str) -> bool:
        """Revoke ``token``; ``False`` when Janus did not know it."""
        try:
            self._post({"janus": "remove_token", "token": token})
        except JanusError as exc:
            if exc.code:  # 490 "Error removing token": it was not there
                return False
            raise
        return True

    def list_tokens(self) -> list[str]:
        answer = self._post({"janus": "list_tokens"})
        return [entry["token"] for entry in (answer.get("data") or {}).get("tokens", []) if "token" in entry]

    # --- sessions and handles (to find a participant's publisher) ------------------------

    def list_sessions(self) -> list[int]:
        return [int(s) for s in (self._post({"janus": "list_sessions"}).get("sessions") or [])]

    def list_handles(self, session_id: int) -> list[int]:
        try:
            answer = self._post({"janus": "list_handles"}, f"/{int(session_id)}")
        except JanusError as exc:
            if exc.code == NO_SUCH_SESSION:  # it ended between the two requests
                return []
            raise
        return [int(h) for h in (answer.get("handles") or [])]

    def handle_info(self, session_id: int, handle_id: int) -> dict[str, Any]:
        """The handle's ``info`` (``plugin``, ``plugin_specific``...), ``{}`` when it is gone."""
        try:
            answer = self._post({"janus": "handle_info"}, f"/{int(session_id)}/{int(handle_id)}")
        except JanusError as exc:
            if exc.code in (NO_SUCH_SESSION, NO_SUCH_HANDLE):
                return {}
            raise
        return answer.get("info") or {}

    # --- VideoRoom ----------------------------------------------------------------

    def videoroom(self, request: dict[str, Any], *, allow: tuple[int, ...] = ()) -> dict[str, Any]:
        """A synchronous VideoRoom request; :class:`JanusError` unless it worked or failed with an ``allow`` code."""
        answer = self._post({"janus": "message_plugin", "plugin": VIDEOROOM, "request": request})
        response = answer.get("response") or {}
        code = int(response.get("error_code") or 0)
        if code and code not in allow:
            raise JanusError(str(response.get("error", "VideoRoom error")), code)
        return response
