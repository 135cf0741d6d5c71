"""The video contract: how a session's room is joined and with which ICE servers.

A video plugin returns :class:`VideoBackend` instances from the
``peerlearn_video_backends`` hook. When a participant opens a room, the core
builds a :class:`RoomRequest` and asks the site's backend for a
:class:`RoomInfo`:

* ``mode="signalling"`` with the request's own ``signalling_path``: the page
  runs the core's mesh client and speaks the room protocol
  (``core/rooms/PROTOCOL.md``) with the core's Channels consumer, which caps
  the room at the backend's ``max_participants``. This is the default
  peer-to-peer plugin.
* ``mode="signalling"`` with another ``signalling_path`` (a path on this site
  or an absolute ``wss://`` URL) and a ``client_script``: the page loads that
  script instead of the mesh client, and the plugin's own server (an SFU, for
  instance) does the signalling. The core's consumer refuses such rooms.
* ``mode="signalling"`` with the request's own ``signalling_path`` *and* a
  ``client_script``: a media script. The page keeps the core's room client
  (chat, attendance, the session's state over the core's socket) and loads
  the script, an ES module, before it; the script registers
  ``window.peerlearnMedia`` and carries the media instead of the mesh (an SFU
  plugin; see ``core/rooms/PROTOCOL.md``, "Media scripts").
* ``mode="external"``: the page sends the participant to ``external_url``.

ICE servers are not part of the backend: every enabled plugin may add STUN
and TURN servers for a participant through ``peerlearn_ice_servers``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal


@dataclass(frozen=True)
class Participant:
    """Who is joining: the user and their role in this session."""

    user_id: int
    display_name: str
    role: Literal["mentor", "learner"]


@dataclass(frozen=True)
class RoomRequest:
    """What the core knows about a room when it asks a backend how to join it.

    ``expected_participants`` counts the mentor and the confirmed learners.
    ``signalling_path`` is the core's own signalling endpoint for this session
    (``/ws/session/<id>/``): a backend that relays through the core returns it
    unchanged, so plugins never hard-code the core's URLs.
    """

    session_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    participant: Participant
    expected_participants: int
    signalling_path: str = ""
    site_id: int | None = None
    #: True when the participant is about to join (the room is open): only then may a backend issue
    #: per-participant credentials (tokens); False for a preview before the room opens or a check.
    credentials: bool = False


@dataclass(frozen=True)
class RoomInfo:
    """How the room page joins the call.

    ``mode="signalling"``: the page speaks a signalling protocol at
    ``signalling_path`` (a same-site path or an absolute ``ws(s)://`` URL);
    ``mode="external"``: the page sends the participant to ``external_url``.
    ``client_script`` is the URL of a browser script that replaces the core's
    mesh client (empty: use the core's). ``page_config`` is JSON-serialisable
    and handed to the browser as is (codec or resolution hints, an SFU token).
    ``connect_sources`` are origins the page's scripts connect to besides this
    site (an SFU's ``wss://`` URL): the room page's Content-Security-Policy
    allows them in ``connect-src``.
    """

    mode: Literal["signalling", "external"]
    signalling_path: str = ""
    external_url: str = ""
    client_script: str = ""
    page_config: Mapping[str, Any] = field(default_factory=dict)
    connect_sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class IceServer:
    """One entry of ``RTCConfiguration.iceServers`` (credentials short-lived)."""

    urls: tuple[str, ...]
    username: str = ""
    credential: str = ""

    def as_browser_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"urls": list(self.urls)}
        if self.username:
            data["username"] = self.username
            data["credential"] = self.credential
        return data


class VideoBackend(ABC):
    """A way to carry a session's audio and video.

    ``identifier`` is unique across plugins and is what the site setting
    names. ``max_participants`` is the most people (mentor included) one room
    may hold: a class attribute, or an instance attribute when a plugin
    setting decides it. A mesh should stay small (each browser sends its
    video to every other); an SFU may say hundreds.
    """

    identifier: ClassVar[str]
    display_name: ClassVar[str]
    max_participants: int

    @abstractmethod
    def room_for(self, request: RoomRequest) -> RoomInfo:
        """Say how ``request.participant`` joins the room of ``request.session_id``.

        Called each time a participant opens the room page or connects to the
        core's signalling endpoint, through the plugin manager (time-bounded).
        """
