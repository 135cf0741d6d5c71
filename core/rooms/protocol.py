"""The room protocol: the JSON messages a client may send on ``ws/session/<id>/``.

Each client message is an object with a ``type`` and is checked against the
JSON Schema of that type (below, also served at ``/api/rooms/protocol/`` and
described in ``PROTOCOL.md``). :func:`parse` turns raw socket text into a
checked message or raises :class:`ProtocolError`, whose ``code``, ``message``
and ``field`` go back to the sender in an ``error`` message; nothing about a
bad message ever reaches the other participants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from jsonschema import Draft202012Validator

MAX_MESSAGE_BYTES = 64 * 1024
MAX_SDP_CHARS = 60_000
MAX_CANDIDATE_CHARS = 1024
CHAT_MAX_CHARS = 2000
PEER_ID_PATTERN = "^[A-Za-z0-9_-]{8,32}$"

_PEER = {"type": "string", "pattern": PEER_ID_PATTERN, "description": "peer_id of the participant addressed"}
_SDP = {"type": "string", "minLength": 1, "maxLength": MAX_SDP_CHARS}
_CANDIDATE = {
    "description": "An RTCIceCandidateInit, or null for the end of candidates.",
    "oneOf": [
        {"type": "null"},
        {
            "type": "object",
            "properties": {
                "candidate": {"type": "string", "maxLength": MAX_CANDIDATE_CHARS},
                "sdpMid": {"type": ["string", "null"], "maxLength": 64},
                "sdpMLineIndex": {"type": ["integer", "null"], "minimum": 0, "maximum": 64},
                "usernameFragment": {"type": ["string", "null"], "maxLength": 256},
            },
            "required": ["candidate"],
            "additionalProperties": False,
        },
    ],
}


def message_schema(type_: str, description: str, properties: dict | None = None, required: tuple = ()) -> dict:
    """The JSON Schema of one client message ``type_``; the other sockets declare theirs with it too."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": type_,
        "description": description,
        "type": "object",
        "properties": {"type": {"const": type_}, **(properties or {})},
        "required": ["type", *required],
        "additionalProperties": False,
    }


#: The schema of every message a client may send, by ``type``.
CLIENT_MESSAGES: dict[str, dict[str, Any]] = {
    "join": message_schema(
        "join",
        "Enter the call (the first message on a socket); the server answers with welcome.",
        {"audio": {"type": "boolean"}, "video": {"type": "boolean"}},
        ("audio", "video"),
    ),
    "leave": message_schema("leave", "Leave the call on purpose; the server closes the socket (code 1000)."),
    "offer": message_schema(
        "offer",
        "An SDP offer for one peer (a first offer, a renegotiation or an ICE restart).",
        {"to": _PEER, "sdp": _SDP, "ice_restart": {"type": "boolean"}},
        ("to", "sdp"),
    ),
    "answer": message_schema(
        "answer", "The SDP answer to an offer from one peer.", {"to": _PEER, "sdp": _SDP}, ("to", "sdp")
    ),
    "ice": message_schema(
        "ice", "A trickled ICE candidate for one peer.", {"to": _PEER, "candidate": _CANDIDATE}, ("to", "candidate")
    ),
    "chat": message_schema(
        "chat",
        "A line of text chat for everyone in the room; it is stored with the session.",
        {"text": {"type": "string", "minLength": 1, "maxLength": CHAT_MAX_CHARS}},
        ("text",),
    ),
    "mute": message_schema(
        "mute",
        "The sender's microphone and camera state.",
        {"audio": {"type": "boolean"}, "video": {"type": "boolean"}},
        ("audio", "video"),
    ),
    "screen": message_schema(
        "screen", "The sender starts or stops sharing a screen.", {"active": {"type": "boolean"}}, ("active",)
    ),
    "end": message_schema("end", "End the session for everyone (the mentor only)."),
    "ping": message_schema("ping", "Keep-alive; the server answers pong."),
}

#: Messages addressed to one peer: relayed to that peer only, with ``from`` added.
DIRECT_TYPES = frozenset({"offer", "answer", "ice"})


def validators(messages: dict[str, dict[str, Any]]) -> dict[str, Draft202012Validator]:
    """Compiled checks of a socket's client messages, by ``type``, for :func:`parse`."""
    return {name: Draft202012Validator(schema) for name, schema in messages.items()}


_VALIDATORS = validators(CLIENT_MESSAGES)


def _too_large(size: int) -> str:
    return gettext("Messages are limited to %(limit)s bytes; this one has %(size)s.") % {
        "limit": MAX_MESSAGE_BYTES,
        "size": size,
    }


@dataclass
class ProtocolError(Exception):
    """A message the server refuses; sent back to its sender only."""

    code: str
    message: str
    field: str | None = None
    #: The ``type`` of the refused message, when it could be read.
    ref: str | None = None

    def as_message(self, ref: str | None = None) -> dict[str, Any]:
        ref = ref or self.ref
        data: dict[str, Any] = {"type": "error", "code": self.code, "message": self.message}
        if self.field:
            data["field"] = self.field
        if ref:
            data["ref"] = ref
        return data


def byte_length(text: str) -> int:
    """UTF-8 size of ``text`` without encoding short strings (a char is at most 4 bytes)."""
    if len(text) * 4 <= MAX_MESSAGE_BYTES:
        return len(text)
    return len(text.encode("utf-8", errors="surrogatepass"))


def parse(
    text: str | None, data: bytes | None = None, checks: dict[str, Draft202012Validator] | None = None
) -> dict[str, Any]:
    """Decode and check one socket frame; raise :class:`ProtocolError` when it is not a valid message.

    ``checks`` (from :func:`validators`) are the messages the socket accepts:
    the room's by default; the notification and dashboard sockets pass theirs.
    """
    checks = _VALIDATORS if checks is None else checks
    if text is None:
        size = len(data or b"")
        if size > MAX_MESSAGE_BYTES:
            raise ProtocolError("too_large", _too_large(size))
        raise ProtocolError(
            "binary_not_supported", gettext("Send JSON text frames; binary frames are not part of the protocol.")
        )
    size = byte_length(text)
    if size > MAX_MESSAGE_BYTES:
        raise ProtocolError("too_large", _too_large(size))
    try:
        message = json.loads(text)
    except (ValueError, RecursionError):
        raise ProtocolError("malformed", gettext("The message is not valid JSON.")) from None
    if not isinstance(message, dict):
        raise ProtocolError("malformed", gettext("A message is a JSON object with a 'type'."))
    kind = message.get("type")
    if not isinstance(kind, str):
        raise ProtocolError("invalid", gettext("Every message needs a 'type' (a string)."), field="type")
    validator = checks.get(kind)
    if validator is None:
        raise ProtocolError(
            "unknown_type", gettext("Unknown message type %(type)s.") % {"type": repr(kind[:40])}, "type", kind[:40]
        )
    errors = sorted(validator.iter_errors(message), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if errors:
        error = errors[0]
        field = ".".join(str(part) for part in error.absolute_path) or None
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            field = ".".join([*map(str, error.absolute_path), extra[0]]) if extra else field
            raise ProtocolError(
                "invalid",
                gettext("'%(name)s' is not part of a %(type)s message.")
                % {"name": extra[0] if extra else "?", "type": kind},
                field,
                kind,
            )
        if error.validator == "required":
            missing = [name for name in error.validator_value if name not in error.instance]
            name = ".".join([*map(str, error.absolute_path), missing[0]]) if missing else field
            needed = gettext("A %(type)s message needs '%(name)s'.") % {
                "type": kind,
                "name": missing[0] if missing else "?",
            }
            raise ProtocolError("invalid", needed, name, kind)
        raise ProtocolError("invalid", _short(error.message), field, kind)
    return message


def _short(text: str) -> str:
    return text if len(text) <= 200 else text[:197] + "..."
