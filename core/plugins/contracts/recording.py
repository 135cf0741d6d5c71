"""The optional recording capability of a video backend.

A :class:`~core.plugins.contracts.video.VideoBackend` *declares* that its
rooms can be recorded by also subclassing one of the two classes below; a
backend that subclasses neither is unchanged and its rooms offer no recording
(:func:`recording_location` answers ``None``).

The core owns everything around the media: who may start and stop (the
session's mentor), consent (every participant decides once per session; only
those who consented are ever recorded, a learner who declines stays in the
room unrecorded), the log of decisions, storage of the finished files through
Django's default storage, who may watch them, retention and deletion. The
backend only captures the media of the people the core names.

* :class:`BrowserRecording` (``recording_location = "browser"``): each
  consenting participant's own page records their camera and microphone with
  ``MediaRecorder`` and uploads it in chunks to the core
  (``POST /api/recordings/<id>/chunks/``). Nothing leaves the browser of
  someone who declined. Right for a mesh, where no server sees the media.
* :class:`ServerRecording` (``recording_location = "server"``): the media
  server records; the core calls, through the plugin manager,

  1. ``sync_recording`` whenever the set of people to record changes (the
     mentor starts, someone consents or withdraws, a consenting participant
     rejoins): the server must record exactly ``request.recorded`` from now
     on and stop recording anyone else;
  2. ``stop_recording`` when the mentor stops or the session ends;
  3. ``export_recording`` in a background task afterwards: write one playable
     file per recorded person (and stay, if they reconnected) into ``folder``
     and describe each with a :class:`RecordedMedia`; the core stores them;
  4. ``discard_recording`` once the core has stored the files (or deleted the
     recording): remove the server's raw files.

``RecordingRequest.recording_id`` is stable for one recording and unique on
the site: use it to name the server's files.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

from .video import Participant

RecordingLocation = Literal["browser", "server"]


@dataclass(frozen=True)
class RecordingRequest:
    """One recording of one session, and whom it may capture right now."""

    recording_id: int
    session_id: int
    #: When the mentor started it (epoch seconds, UTC): offsets of the files are measured from here.
    started_at: float
    #: The participants who consented and are to be recorded now (empty: record nobody).
    recorded: tuple[Participant, ...] = ()
    site_id: int | None = None


@dataclass(frozen=True)
class RecordedMedia:
    """One finished file of one person, written by ``export_recording`` into the folder it was given."""

    user_id: int
    #: A file inside the folder the core passed (playable as is: WebM with VP8/VP9 and Opus, for instance).
    path: Path
    content_type: str = "video/webm"
    #: Seconds from ``RecordingRequest.started_at`` to the first frame of this file.
    offset_seconds: float = 0.0
    duration_seconds: float = 0.0
    has_audio: bool = True
    has_video: bool = True


class BrowserRecording:
    """Mix into a video backend whose participants' pages record themselves and upload to the core."""

    recording_location: ClassVar[RecordingLocation] = "browser"


class ServerRecording(ABC):
    """Mix into a video backend whose media server records the participants the core names."""

    recording_location: ClassVar[RecordingLocation] = "server"

    @abstractmethod
    def sync_recording(self, request: RecordingRequest) -> Sequence[int]:
        """Record exactly ``request.recorded`` from now on; return the user ids actually being recorded.

        Idempotent: called again whenever someone consents, withdraws or
        rejoins. A consenting person not (yet) connected is simply not in the
        answer; nobody outside ``request.recorded`` may ever be recorded.
        """

    @abstractmethod
    def stop_recording(self, request: RecordingRequest) -> None:
        """Stop recording everyone in the room (the server closes its files)."""

    @abstractmethod
    def export_recording(self, request: RecordingRequest, folder: Path) -> Sequence[RecordedMedia]:
        """Convert what the server recorded into playable files inside ``folder`` (called in a worker)."""

    @abstractmethod
    def discard_recording(self, request: RecordingRequest) -> None:
        """Remove the server's raw files of this recording (after export, or when it is deleted)."""


def recording_location(backend: object) -> RecordingLocation | None:
    """``"browser"``, ``"server"``, or ``None`` when ``backend`` declared no recording capability."""
    if isinstance(backend, ServerRecording):
        return "server"
    if isinstance(backend, BrowserRecording):
        return "browser"
    return None
