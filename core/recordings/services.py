"""Recording a session's room with every participant's consent.

The rules, whatever the video backend:

* only the session's mentor starts and stops a recording, while the room is
  open, and only when the room's backend declared a recording capability
  (``core.plugins.recording_location``);
* every participant decides once per session whether their media may be
  recorded (:func:`decide`); starting a recording is the mentor's consent;
  a decision may be changed later and every one is kept (``ConsentDecision``);
* only people whose latest decision is *granted* are recorded: a server
  backend is told exactly whom to record (``sync_recording``), a browser
  backend's pages record only themselves and the upload endpoint refuses
  anyone else;
* the session's participants and editors may watch and download; the mentor,
  editors and each person (their own files) may delete.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from core.plugins import Participant, RecordingRequest, recording_location
from core.rooms import services as rooms
from core.scheduling.models import Session
from core.scheduling.services.bookings import lock_session

from .models import ConsentDecision, Recording, RecordingChunk, RecordingFile, RecordingSettings

logger = logging.getLogger("peerlearn.recordings")

#: A browser upload's chunk may not be larger than this (the page sends one every few seconds).
CHUNK_MAX_BYTES = getattr(settings, "RECORDING_CHUNK_MAX_BYTES", 8 * 1024 * 1024)
#: Time given to a backend's ``export_recording`` (it converts media, in a worker).
EXPORT_BUDGET = float(getattr(settings, "RECORDING_EXPORT_BUDGET", 900))
#: Time given to ``sync_recording`` and ``stop_recording`` (a media server's admin API is asked a few questions).
CALL_BUDGET = float(getattr(settings, "RECORDING_CALL_BUDGET", 5))
#: How often the room's polls may re-apply consent to the media server (new handles after a reconnect).
RESYNC_SECONDS = 10
#: Browser recordings whose pages never said "last chunk" are assembled this long after the stop.
UPLOAD_GRACE = timedelta(minutes=2)


class RecordingRefused(Exception):
    """A recording action is not allowed or not possible: ``status`` (HTTP), ``code`` (a stable word)."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _refused(refused: rooms.RoomRefused) -> RecordingRefused:
    return RecordingRefused(refused.http_status, refused.reason, refused.message)


def settings_for(site_id: int | None) -> RecordingSettings:
    site = Site.objects.filter(pk=site_id).first() if site_id else Site.objects.filter(is_default_site=True).first()
    if site is None:
        return RecordingSettings(retention_days=30, max_upload_mb=1024)
    return RecordingSettings.for_site(site)


# --- who may do what ----------------------------------------------------------------------


def is_editor(user) -> bool:
    return bool(user and user.is_authenticated and (user.is_staff or user.has_perm("recordings.view_recording")))


def can_view(session: Session, user) -> bool:
    """The session's participants (mentor, learners who held a seat) and editors."""
    return is_editor(user) or rooms.can_read_history(session, user)


def can_delete(recording: Recording, user) -> bool:
    return bool(
        user
        and user.is_authenticated
        and (recording.session.mentor_id == user.pk or user.is_staff or user.has_perm("recordings.delete_recording"))
    )


def viewable_session(session_id: int, user) -> Session:
    session = Session.objects.filter(pk=session_id).first()
    if session is None or not can_view(session, user):
        # A stranger learns nothing, not even whether the session exists.
        raise RecordingRefused(404, "not_found", _("There is no such session, or it is not yours."))
    return session


def viewable_recording(recording_id: int, user) -> Recording:
    recording = Recording.objects.select_related("session").filter(pk=recording_id).first()
    if recording is None or not can_view(recording.session, user):
        raise RecordingRefused(404, "not_found", _("There is no such recording, or it is not yours."))
    return recording


def viewable_file(file_id: int, user) -> RecordingFile:
    part = RecordingFile.objects.select_related("recording__session").filter(pk=file_id, complete=True).first()
    if part is None or not part.file or not can_view(part.recording.session, user):
        raise RecordingRefused(404, "not_found", _("There is no such recording, or it is not yours."))
    return part


# --- consent --------------------------------------------------------------------------------


def decisions(session: Session | int) -> dict[int, ConsentDecision]:
    """The latest decision of each person in the session."""
    latest: dict[int, ConsentDecision] = {}
    for row in ConsentDecision.objects.filter(session=session).order_by("decided_at", "id"):
        latest[row.user_id] = row
    return latest


def recorded_participants(session: Session | int) -> tuple[Participant, ...]:
    """Whom a recording may capture now: everyone whose latest decision is *granted*."""
    return tuple(
        Participant(user_id=row.user_id, display_name=row.display_name, role=row.role)  # type: ignore[arg-type]
        for row in decisions(session).values()
        if row.decision == ConsentDecision.GRANTED
    )


def live_recording(session: Session | int) -> Recording | None:
    return Recording.objects.filter(session=session, state=Recording.RECORDING).first()


def decide(session_id: int, user, granted: bool, *, host: str | None = None) -> ConsentDecision:
    """Record ``user``'s decision for this session; a live server recording follows it at once."""
    try:
        access = rooms.check_access(user, session_id)
    except rooms.RoomRefused as refused:
        raise _refused(refused) from None
    with transaction.atomic():
        live = live_recording(access.session)
        row = ConsentDecision.objects.create(
            session=access.session,
            user=user,
            display_name=rooms.display_name(user),
            role=access.role,
            decision=ConsentDecision.GRANTED if granted else ConsentDecision.DECLINED,
            recording=live,
        )
    logger.info("recording consent: session %s user %s %s", session_id, user.pk, row.decision)
    if live is not None and live.location == Recording.SERVER:
        sync(live)
    return row


# --- start, sync, stop ------------------------------------------------------------------------


@dataclass(frozen=True)
class Capability:
    plugin: str
    backend: Any
    location: str


def capability_for(access: rooms.RoomAccess, site: Site | None) -> Capability | None:
    """The room's backend and where it records, or ``None`` when it cannot record."""
    chosen = rooms.choose_backend(access, site)
    if chosen is None:
        return None
    location = recording_location(chosen.backend)
    return Capability(chosen.plugin, chosen.backend, location) if location else None


def _backend(recording: Recording) -> Any:
    """The backend that is recording ``recording`` (looked up again: backends are not kept between calls)."""
    from core.plugins.manager import get_manager

    for plugin, backend in get_manager().providers("peerlearn_video_backends", site_id=recording.site_id_used):
        if plugin == recording.plugin and getattr(backend, "identifier", None) == recording.backend:
            return backend
    return None


def request_for(recording: Recording) -> RecordingRequest:
    return RecordingRequest(
        recording_id=recording.pk,
        session_id=recording.session_id,
        started_at=recording.started_at.timestamp(),
        recorded=recorded_participants(recording.session_id) if recording.is_live else (),
        site_id=recording.site_id_used,
    )


def _call(recording: Recording, method: str, *, budget: float | None = None, **kwargs: Any) -> Any:
    """Call a server backend's recording method through the manager (``None`` when it failed)."""
    from core.plugins.manager import get_manager

    backend = _backend(recording)
    if backend is None or recording_location(backend) != Recording.SERVER:
        logger.warning("recording %s: backend %s/%s is gone", recording.pk, recording.plugin, recording.backend)
        return None
    return get_manager().invoke(
        recording.plugin,
        method,
        getattr(backend, method),
        budget=budget,
        site_id=recording.site_id_used,
        **kwargs,
    )


def sync(recording: Recording) -> list[int]:
    """Make a server backend record exactly the people who consented; the user ids it records."""
    if recording.location != Recording.SERVER or not recording.is_live:
        return []
    answer = _call(recording, "sync_recording", budget=CALL_BUDGET, request=request_for(recording))
    return [int(user_id) for user_id in answer or []]


def start(session_id: int, user, *, host: str | None = None, now: datetime | None = None) -> Recording:
    """The mentor starts recording the room (and so consents for themselves)."""
    try:
        access = rooms.check_access(user, session_id, now=now)
    except rooms.RoomRefused as refused:
        raise _refused(refused) from None
    if access.role != "mentor":
        raise RecordingRefused(403, "forbidden", _("Only the session's mentor can start a recording."))
    site = rooms.site_for_host(host)
    capability = capability_for(access, site)
    if capability is None:
        raise RecordingRefused(
            409, "not_supported", _("This room's video backend cannot record. Ask an editor to enable one that can.")
        )
    with transaction.atomic():
        lock_session(access.session.pk)
        if live_recording(access.session) is not None:
            raise RecordingRefused(409, "already_recording", _("This session is already being recorded."))
        recording = Recording.objects.create(
            session=access.session,
            started_by=user,
            started_by_name=rooms.display_name(user),
            plugin=capability.plugin,
            backend=capability.backend.identifier,
            location=capability.location,
            site_id_used=site.pk if site else None,
            started_at=now or timezone.now(),
        )
        latest = decisions(access.session).get(user.pk)
        if latest is None or latest.decision != ConsentDecision.GRANTED:
            ConsentDecision.objects.create(
                session=access.session,
                user=user,
                display_name=rooms.display_name(user),
                role="mentor",
                decision=ConsentDecision.GRANTED,
                recording=recording,
            )
    logger.info("recording %s of session %s started by %s (%s)", recording.pk, session_id, user.pk, recording.location)
    sync(recording)
    return recording


def stop(session_id: int, user, *, now: datetime | None = None) -> Recording:
    """The mentor (or an editor) stops the live recording; files are made in the background."""
    session = Session.objects.filter(pk=session_id).first()
    if session is None or not (session.mentor_id == user.pk or is_editor(user)):
        raise RecordingRefused(403, "forbidden", _("Only the session's mentor can stop a recording."))
    recording = live_recording(session)
    if recording is None:
        raise RecordingRefused(409, "not_recording", _("Nothing is being recorded."))
    return finish(recording, now=now)


def finish(recording: Recording, *, now: datetime | None = None) -> Recording:
    """End a live recording (the mentor stopped, or the session ended) and schedule its files."""
    from .tasks import finalize_recording

    with transaction.atomic():
        updated = Recording.objects.filter(pk=recording.pk, state=Recording.RECORDING).update(
            state=Recording.PROCESSING, stopped_at=now or timezone.now()
        )
        recording.refresh_from_db()
    if updated and recording.location == Recording.SERVER:
        # The server closes its files first; only then may the worker convert them.
        _call(recording, "stop_recording", budget=CALL_BUDGET, request=request_for(recording))
        transaction.on_commit(lambda: finalize_recording.delay(recording.pk))
    elif updated and not recording.files.filter(complete=False).exists():
        # Every page already sent its last chunk; otherwise the last one to finish (or the sweep) finalizes.
        finalize(recording.pk, now=now)
        recording.refresh_from_db()
    logger.info("recording %s stopped", recording.pk)
    return recording


# --- making the files ---------------------------------------------------------------------------


def _probe(path: Path) -> tuple[float, bool, bool]:
    """Duration in seconds and whether there is audio and video (PyAV; zeros when it cannot tell)."""
    try:
        import av
    except ImportError:  # pragma: no cover - av ships with requirements.txt
        return 0.0, True, True
    try:
        with av.open(str(path)) as container:
            kinds = {stream.type for stream in container.streams}
            if container.duration:
                return container.duration / 1_000_000, "audio" in kinds, "video" in kinds
            last = 0.0
            for packet in container.demux():
                if packet.pts is not None and packet.time_base is not None:
                    last = max(last, float((packet.pts + (packet.duration or 0)) * packet.time_base))
            return last, "audio" in kinds, "video" in kinds
    except Exception:  # an unreadable upload is stored as is; the page still offers it
        logger.warning("could not probe %s", path, exc_info=True)
        return 0.0, False, False


def _store(recording: Recording, media, names: dict[int, str]) -> RecordingFile:
    part = RecordingFile(
        recording=recording,
        user_id=media.user_id,
        display_name=names.get(media.user_id, f"User {media.user_id}"),
        content_type=media.content_type,
        offset_seconds=media.offset_seconds,
        duration_seconds=media.duration_seconds,
        has_audio=media.has_audio,
        has_video=media.has_video,
        complete=True,
    )
    with open(media.path, "rb") as handle:
        part.file.save(f"user-{media.user_id}-{Path(media.path).name}", File(handle), save=False)
    part.size = part.file.size
    part.save()
    return part


def finalize(recording_id: int, *, now: datetime | None = None) -> Recording | None:
    """Turn a stopped recording into stored files (a Celery task runs this); idempotent."""
    now = now or timezone.now()
    recording = Recording.objects.filter(pk=recording_id, state=Recording.PROCESSING).first()
    if recording is None:
        return None
    if recording.location == Recording.SERVER:
        folder = Path(tempfile.mkdtemp(prefix=f"peerlearn-recording-{recording.pk}-"))
        try:
            exported = _call(
                recording, "export_recording", budget=EXPORT_BUDGET, request=request_for(recording), folder=folder
            )
            if exported is None:
                return _fail(recording, _("The media server could not convert the recording."))
            names = {row.user_id: row.display_name for row in decisions(recording.session_id).values()}
            consenting = {p.user_id for p in recorded_participants(recording.session_id)}
            for media in exported:
                if media.user_id not in consenting:  # never store what someone refused, whatever a backend sends
                    logger.error("recording %s: backend exported user %s without consent", recording.pk, media.user_id)
                    continue
                _store(recording, media, names)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        _call(recording, "discard_recording", request=request_for(recording))
    else:
        for part in recording.files.filter(complete=False):
            assemble(part)
    recording.files.filter(size=0).delete()  # takes that never sent a byte
    recording.state = Recording.READY
    recording.expires_at = settings_for(recording.site_id_used).expiry(recording.stopped_at or now)
    recording.save(update_fields=["state", "expires_at"])
    logger.info("recording %s ready: %d files", recording.pk, recording.files.count())
    return recording


def _fail(recording: Recording, message: str) -> Recording:
    recording.state, recording.error = Recording.FAILED, message
    recording.save(update_fields=["state", "error"])
    return recording


# --- browser uploads ------------------------------------------------------------------------------


def upload_chunk(recording_id: int, user, *, take: str, index: int, data: bytes, final: bool) -> RecordingFile:
    """Store one chunk of ``user``'s own media; the last one (``final``) assembles the file."""
    recording = Recording.objects.select_related("session").filter(pk=recording_id).first()
    if recording is None or rooms.role_of(recording.session, user) is None:
        raise RecordingRefused(404, "not_found", _("There is no such recording, or it is not yours."))
    if recording.location != Recording.BROWSER:
        raise RecordingRefused(409, "server_recording", _("This recording is made by the media server, not uploaded."))
    latest = decisions(recording.session).get(user.pk)
    if latest is None or latest.decision != ConsentDecision.GRANTED:
        raise RecordingRefused(403, "no_consent", _("You have not consented to being recorded in this session."))
    if not take or len(take) > 32 or not take.replace("-", "").isalnum():
        raise RecordingRefused(400, "bad_take", _("'take' must be 1 to 32 letters, digits or dashes."))
    if not data and not final:
        raise RecordingRefused(400, "empty_chunk", _("The chunk is empty."))
    if len(data) > CHUNK_MAX_BYTES:
        raise RecordingRefused(
            413, "chunk_too_large", _("A chunk may be at most %(n)d bytes.") % {"n": CHUNK_MAX_BYTES}
        )
    limit = settings_for(recording.site_id_used).max_upload_mb * 1024 * 1024
    with transaction.atomic():
        recording = Recording.objects.select_for_update().get(pk=recording.pk)
        late = recording.stopped_at and timezone.now() - recording.stopped_at < UPLOAD_GRACE
        # After a stop, the last chunks of a page that heard "stopped" a moment late are still taken.
        if not (recording.state == Recording.RECORDING or (recording.state == Recording.PROCESSING and late)):
            raise RecordingRefused(409, "not_recording", _("This recording has ended."))
        part = _open_part(recording, user, take)
        if part.complete:
            raise RecordingRefused(409, "take_complete", _("This take was already finished."))
        expected = part.chunks.count()
        if index != expected:
            raise RecordingRefused(
                409,
                "wrong_index",
                _("Expected chunk %(expected)d, got %(index)d.") % {"expected": expected, "index": index},
            )
        if part.size + len(data) > limit:
            raise RecordingRefused(
                413,
                "upload_too_large",
                _("This recording may hold at most %(mb)d MB of your media.") % {"mb": limit // (1024 * 1024)},
            )
        if data:  # a page whose recorder had nothing left sends an empty last piece: it only says "done"
            chunk = RecordingChunk(part=part, index=index, size=len(data))
            chunk.blob.save(f"{part.pk}-{index:06d}.part", ContentFile(data), save=False)
            chunk.save()
            part.size += len(data)
            part.save(update_fields=["size"])
    if final:
        assemble(part)
        if recording.state == Recording.PROCESSING and not recording.files.filter(complete=False).exists():
            finalize(recording.pk)
    return part


def _open_part(recording: Recording, user, take: str) -> RecordingFile:
    """The file of ``user``'s take (one page load's recorder) in ``recording``, made on its first chunk."""
    part = RecordingFile.objects.filter(recording=recording, user=user, take=take).first()
    if part is None:
        part = RecordingFile.objects.create(
            recording=recording,
            user=user,
            take=take,
            display_name=rooms.display_name(user),
            offset_seconds=max(0.0, (timezone.now() - recording.started_at).total_seconds()),
        )
    return part


def assemble(part: RecordingFile) -> RecordingFile:
    """Join a take's chunks into its file (MediaRecorder's pieces concatenate into one WebM)."""
    chunks = list(part.chunks.order_by("index"))
    if not chunks:
        part.complete = True
        part.save(update_fields=["complete"])
        return part
    with tempfile.NamedTemporaryFile(suffix=".webm") as joined:
        for chunk in chunks:
            with chunk.blob.open("rb") as piece:
                shutil.copyfileobj(piece, joined)
        joined.flush()
        duration, has_audio, has_video = _probe(Path(joined.name))
        joined.seek(0)
        part.file.save(f"user-{part.user_id}-{part.take}.webm", File(joined), save=False)
    part.size = part.file.size
    part.duration_seconds, part.has_audio, part.has_video = duration, has_audio, has_video
    if duration:  # the last piece left the browser as the recorder stopped: it began ``duration`` before
        ended = (chunks[-1].received_at - part.recording.started_at).total_seconds()
        part.offset_seconds = max(0.0, ended - duration)
    part.complete = True
    part.save()
    part.chunks.all().delete()
    return part


# --- deleting -------------------------------------------------------------------------------------


def delete_recording(recording_id: int, user) -> None:
    """The mentor or an editor deletes a whole recording (its stored files go with it)."""
    recording = viewable_recording(recording_id, user)
    if not can_delete(recording, user):
        raise RecordingRefused(403, "forbidden", _("Only the session's mentor or an editor can delete this recording."))
    if recording.is_live:
        finish(recording)
        recording.refresh_from_db()
    if recording.location == Recording.SERVER:
        _call(recording, "discard_recording", request=request_for(recording))
    recording.delete()
    logger.info("recording %s deleted by %s", recording_id, user.pk)


def delete_own_media(recording_id: int, user) -> int:
    """A participant deletes their own files from a recording; returns how many went."""
    recording = viewable_recording(recording_id, user)
    deleted = 0
    for part in recording.files.filter(user=user):
        part.delete()
        deleted += 1
    logger.info("recording %s: %s deleted their %d files", recording_id, user.pk, deleted)
    return deleted


def expire(*, now: datetime | None = None) -> int:
    """Delete recordings past the site's retention; stop live ones whose session is over; returns deleted."""
    now = now or timezone.now()
    for recording in (
        Recording.objects.filter(state=Recording.RECORDING)
        .exclude(session__status=Session.IN_PROGRESS)
        .select_related("session")
    ):
        if recording.session.status in (Session.COMPLETED, Session.CANCELLED):
            finish(recording, now=now)
    for recording in Recording.objects.filter(
        state=Recording.PROCESSING, location=Recording.BROWSER, stopped_at__lt=now - UPLOAD_GRACE
    ):
        finalize(recording.pk, now=now)
    expired = list(Recording.objects.filter(expires_at__lt=now))
    for recording in expired:
        if recording.location == Recording.SERVER:
            _call(recording, "discard_recording", request=request_for(recording))
        recording.delete()
    if expired:
        logger.info("deleted %d expired recordings", len(expired))
    return len(expired)


# --- what a page or client shows ---------------------------------------------------------------------


def status(session_id: int, user, *, host: str | None = None) -> dict[str, Any]:
    """What the room page shows about recording: is it on, by whom, who is in it, and your decision."""
    try:
        access = rooms.check_access(user, session_id)
    except rooms.RoomRefused as refused:
        raise _refused(refused) from None
    live = live_recording(access.session)
    latest = decisions(access.session)
    mine = latest.get(user.pk)
    if live and live.location == Recording.SERVER and mine and mine.decision == ConsentDecision.GRANTED:
        # A consenting person who reconnected publishes on a new handle: their page's poll gets it
        # recorded again (at most one sync per recording every RESYNC_SECONDS, across processes).
        if cache.add(f"recordings:sync:{live.pk}", 1, timeout=RESYNC_SECONDS):
            sync(live)
    # Only a mentor who may start one needs the backend's answer (asking it on every poll would be costly).
    capability = capability_for(access, rooms.site_for_host(host)) if access.role == "mentor" and not live else None
    return {
        "recording": (
            {
                "id": live.pk,
                "started_by": live.started_by_name,
                "started_at": live.started_at,
                "location": live.location,
                "upload_url": f"/api/recordings/{live.pk}/chunks/" if live.location == Recording.BROWSER else "",
            }
            if live
            else None
        ),
        "can_record": bool(capability or live),
        "location": capability.location if capability else (live.location if live else ""),
        "your_decision": mine.decision if mine else "",
        "recorded": sorted(row.display_name for row in latest.values() if row.decision == ConsentDecision.GRANTED),
        "declined": sorted(row.display_name for row in latest.values() if row.decision == ConsentDecision.DECLINED),
    }
