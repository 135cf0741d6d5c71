"""STUN/TURN configuration for WebRTC participants.

TURN credentials follow coturn's REST-API scheme (``use-auth-secret``): the
username is ``<expiry unix time>:<user id>`` and the password is the base64
HMAC-SHA1 of the username under the shared secret, so coturn can check them
without a database and they stop working after ``ttl`` seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

from django.utils.translation import gettext_noop

from core.plugins import IceServer, Participant, PluginConfig, PluginMeta, SettingField, hookimpl

peerlearn_meta = PluginMeta(
    name=gettext_noop("STUN/TURN credentials"),
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        gettext_noop(
            "Gives each room participant STUN servers and, when a TURN secret is set, "
            "TURN servers with credentials that expire (coturn use-auth-secret)."
        )
    ),
    kind="video",
    core_versions=">=0.1,<1",
    settings=(
        SettingField(
            "stun_urls",
            gettext_noop("STUN URLs"),
            "text",
            default="",
            env="STUN_URLS",
            help_text=gettext_noop("Comma-separated, e.g. stun:stun.example.org:3478. Empty: none."),
        ),
        SettingField(
            "turn_urls",
            gettext_noop("TURN URLs"),
            "text",
            default="",
            env="TURN_URLS",
            help_text=gettext_noop("Comma-separated, e.g. turn:turn.example.org:3478?transport=udp."),
        ),
        SettingField(
            "turn_secret",
            gettext_noop("TURN shared secret"),
            "secret",
            env="TURN_SECRET",
            help_text=gettext_noop("coturn's static-auth-secret."),
        ),
        SettingField("ttl_seconds", gettext_noop("Credential lifetime (seconds)"), "int", default=3600),
    ),
)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def turn_credentials(secret: str, user_id: int, ttl: int, now: float | None = None) -> tuple[str, str]:
    expiry = int((now if now is not None else time.time()) + ttl)
    username = f"{expiry}:{user_id}"
    digest = hmac.new(secret.encode(), username.encode(), hashlib.sha1).digest()
    return username, base64.b64encode(digest).decode()


@hookimpl
def peerlearn_ice_servers(config: PluginConfig, participant: Participant) -> list[IceServer]:
    servers: list[IceServer] = []
    stun = _split(config.get("stun_urls"))
    if stun:
        servers.append(IceServer(urls=stun))
    turn = _split(config.get("turn_urls"))
    secret = config.get("turn_secret")
    if turn and secret:
        username, credential = turn_credentials(secret, participant.user_id, config["ttl_seconds"] or 3600)
        servers.append(IceServer(urls=turn, username=username, credential=credential))
    return servers
