"""Room rules: who may enter which room when, attendance, chat, and ending a session.

The consumer (``consumers.py``) and the views only parse and call these
functions. Session state changes go through the scheduling services
(``start_session``, ``end_session``, ``mark_no_show``); this module adds what
the room knows: who actually came.
"""

from __future__ import annotations

import logging
import secrets
import time
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext
from wagtail.models import Site

from core.plugins import Participant, RoomInfo, RoomRequest, VideoBackend
from core.scheduling.models import Booking, Session
from core.scheduling.services.bookings import lock_session, mark_no_show
from core.scheduling.services.errors import SchedulingError
from core.scheduling.services.policy import current_policy
from core.scheduling.services.sessions import end_session, start_session

from .models import CHAT_MAX_LENGTH, Attendance, ChatMessage, RoomSettings
from .signals import room_left

logger = logging.getLogger("peerlearn.rooms")

#: A stay whose socket has shown no sign of life for this long is treated as gone.
STALE_AFTER = timedelta(seconds=90)
#: How much chat a room page loads (newest last).
CHAT_HISTORY_LIMIT = 500

# WebSocket close codes (4000-4999 are the application's): also what the page explains.
CLOSE_ENDED = 4000
CLOSE_REPLACED = 4001
CLOSE_BAD_BACKEND = 4400
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_JOIN_TIMEOUT = 4408
CLOSE_FULL = 4409
CLOSE_GONE = 4410
CLOSE_TOO_EARLY = 4425
CLOSE_FLOOD = 4429
CLOSE_UNAVAILABLE = 4503


class RoomRefused(Exception):
    """Someone may not enter (or stay in) a room. ``code`` is the WebSocket close code."""

    def __init__(self, code: int, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.reason = reason  # a stable word for clients: "forbidden", "too_early"...

    @property
    def http_status(self) -> int:
        return {
            CLOSE_UNAUTHENTICATED: 401,
            CLOSE_FORBIDDEN: 403,
            CLOSE_NOT_FOUND: 404,
            CLOSE_FULL: 409,
            CLOSE_GONE: 410,
            CLOSE_TOO_EARLY: 425,
            CLOSE_UNAVAILABLE: 503,
        }.get(self.code, 400)


# --- who, when ---------------------------------------------------------------------


@dataclass(frozen=True)
class RoomAccess:
    """A person allowed into a session's room right now, and in which role."""

    session: Session
    user: Any
    role: str  # "mentor" | "learner"
    booking: Booking | None = None

    @property
    def participant(self) -> Participant:
        return Participant(user_id=self.user.pk, display_name=display_name(self.user), role=self.role)  # type: ignore[arg-type]


def display_name(user) -> str:
    return (getattr(user, "display_name", "") or user.get_username() or f"User {user.pk}")[:150]


def room_window(session: Session, policy=None) -> tuple[datetime, datetime]:
    """When the room of a scheduled session opens, and when it is too late to start it.

    The window is the site's booking policy (*Settings > Booking policy*,
    "Starting a session"): from ``room_opens_minutes_before`` the start until
    ``room_closes_minutes_after`` it. Once the mentor has started the session
    the room stays open until the session ends.
    """
    policy = policy or current_policy()
    return (
        session.starts_at - timedelta(minutes=policy.room_opens_minutes_before),
        session.starts_at + timedelta(minutes=policy.room_closes_minutes_after),
    )


def role_of(session: Session, user) -> tuple[str, Booking | None] | None:
    """``("mentor", None)``, ``("learner", booking)`` for a confirmed learner, else ``None``."""
    if user is None or not user.is_authenticated:
        return None
    if session.mentor_id == user.pk:
        return "mentor", None
    booking = Booking.objects.filter(session=session, learner=user, status=Booking.CONFIRMED).first()
    return ("learner", booking) if booking else None


def check_access(user, session_id: int, *, now: datetime | None = None) -> RoomAccess:
    """Raise :class:`RoomRefused` unless ``user`` may be in the room of ``session_id`` now."""
    now = now or timezone.now()
    if user is None or not user.is_authenticated:
        raise RoomRefused(CLOSE_UNAUTHENTICATED, gettext("Log in to join the session."), reason="unauthenticated")
    session = Session.objects.select_related("mentor").filter(pk=session_id).first()
    if session is None:
        raise RoomRefused(CLOSE_NOT_FOUND, gettext("There is no such session."), reason="not_found")
    if session.status in (Session.COMPLETED, Session.CANCELLED) and can_read_history(session, user):
        check_timing(session, now=now)  # a former participant hears why: it has ended
    found = role_of(session, user)
    if found is None:
        raise RoomRefused(
            CLOSE_FORBIDDEN,
            gettext("Only the session's mentor and its confirmed learners can join this room."),
            reason="forbidden",
        )
    role, booking = found
    check_timing(session, now=now)
    return RoomAccess(session=session, user=user, role=role, booking=booking)


def check_timing(session: Session, *, now: datetime | None = None) -> None:
    """Raise :class:`RoomRefused` when the room of ``session`` is not open at ``now``."""
    now = now or timezone.now()
    if session.status == Session.CANCELLED:
        raise RoomRefused(CLOSE_GONE, gettext("This session was cancelled."), reason="cancelled")
    if session.status == Session.COMPLETED:
        raise RoomRefused(CLOSE_GONE, gettext("This session has ended."), reason="ended")
    if session.status == Session.IN_PROGRESS:
        return
    opens, closes = room_window(session)
    if now < opens:
        raise RoomRefused(
            CLOSE_TOO_EARLY,
            gettext("The room opens at %(time)s UTC on %(date)s.")
            % {"time": f"{opens:%H:%M}", "date": f"{opens:%Y-%m-%d}"},
            reason="too_early",
        )
    if now > closes:
        raise RoomRefused(
            CLOSE_GONE, gettext("The session was not started in time; the room is closed."), reason="window_passed"
        )


# --- which video backend --------------------------------------------------------------


@dataclass(frozen=True)
class ChosenBackend:
    plugin: str
    backend: VideoBackend
    room: RoomInfo
    max_participants: int
    core_path: str = ""

    @property
    def uses_core_signalling(self) -> bool:
        """The page speaks the core's room protocol (a mesh, or a media script beside it)."""
        return self.room.mode == "signalling" and self.room.signalling_path == self.core_path

    @property
    def media_script(self) -> str:
        """A script that carries the media while the core keeps the room (empty: the core's mesh)."""
        return self.room.client_script if self.uses_core_signalling else ""


def signalling_path(session_id: int) -> str:
    return f"/ws/session/{session_id}/"


def site_for_host(host: str | None) -> Site | None:
    """The Wagtail site serving ``host`` (``name[:port]``), else the default site."""
    if host:
        name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        site = Site.objects.filter(hostname=name.strip("[]")).order_by("-is_default_site").first()
        if site is not None:
            return site
    return Site.objects.filter(is_default_site=True).first()


def _max_participants(backend: VideoBackend) -> int:
    value = getattr(backend, "max_participants", 0)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 2 else 0


def choose_backend(access: RoomAccess, site: Site | None = None, *, credentials: bool = False) -> ChosenBackend | None:
    """The backend for this room and what it says about joining it, or ``None`` if no backend works.

    The site setting's backend first; then, in plugin load order, backends
    big enough for the session; then the others, biggest first. A backend
    whose ``room_for`` fails is skipped (the manager records the failure).
    ``credentials`` tells the backend the person is about to join (see ``RoomRequest``).
    """
    from core.plugins.manager import get_manager

    manager = get_manager()
    site_id = site.pk if site else None
    offered = [
        (plugin, backend)
        for plugin, backend in manager.providers("peerlearn_video_backends", site_id=site_id)
        if _max_participants(backend)
    ]
    if not offered:
        return None
    wanted = RoomSettings.for_site(site).video_backend.strip() if site else ""
    needed = access.session.capacity + 1
    named = [item for item in offered if wanted and getattr(item[1], "identifier", None) == wanted]
    fitting = [item for item in offered if item not in named and _max_participants(item[1]) >= needed]
    rest = sorted(
        (item for item in offered if item not in named and item not in fitting),
        key=lambda item: -_max_participants(item[1]),
    )
    request = RoomRequest(
        session_id=access.session.pk,
        title=access.session.title,
        starts_at=access.session.starts_at,
        ends_at=access.session.ends_at,
        participant=access.participant,
        expected_participants=expected_participants(access.session),
        signalling_path=signalling_path(access.session.pk),
        site_id=site_id,
        credentials=credentials,
    )
    for plugin, backend in [*named, *fitting, *rest]:
        room = manager.invoke(plugin, "room_for", backend.room_for, expect=RoomInfo, site_id=site_id, request=request)
        if room is not None:
            return ChosenBackend(
                plugin=plugin,
                backend=backend,
                room=room,
                max_participants=_max_participants(backend),
                core_path=request.signalling_path,
            )
    return None


def expected_participants(session: Session) -> int:
    return 1 + Booking.objects.filter(session=session, status=Booking.CONFIRMED).count()


def ice_servers(participant: Participant, site: Site | None = None) -> list[dict[str, Any]]:
    """STUN/TURN servers from every enabled plugin, in the browser's ``iceServers`` shape."""
    from core.plugins.manager import get_manager

    servers = get_manager().providers(
        "peerlearn_ice_servers", site_id=site.pk if site else None, participant=participant
    )
    return [server.as_browser_dict() for _, server in servers]


@dataclass(frozen=True)
class SocketGrant:
    """What the signalling consumer keeps about an accepted socket."""

    session_id: int
    user_id: int
    role: str
    display_name: str
    max_participants: int
    site_id: int | None


#: (site id, people the session holds) -> (monotonic expiry, refusal or max participants).
_SOCKET_BACKENDS: dict[tuple[int | None, int], tuple[float, RoomRefused | int]] = {}
#: How long a handshake trusts the backend decision (as long as plugin settings are cached).
SOCKET_BACKEND_TTL = 30.0


def forget_backend_decisions() -> None:
    """Plugin settings or the room setting changed: decide afresh (``receivers.py``)."""
    _SOCKET_BACKENDS.clear()


def _socket_backend(access: RoomAccess, site: Site | None, session_id: int) -> int:
    """The mesh limit for this room's sockets, or :class:`RoomRefused` when our signalling is not in use.

    Handshakes come in bursts (a class starting, a server restarting), and
    asking the plugins costs several cache and thread hops, so the decision is
    kept per site and session size for :data:`SOCKET_BACKEND_TTL` seconds.
    """
    key = (site.pk if site else None, access.session.capacity + 1)
    cached = _SOCKET_BACKENDS.get(key)
    if cached is None or cached[0] < time.monotonic():
        chosen = choose_backend(access, site)
        decision: RoomRefused | int
        if chosen is None:
            decision = RoomRefused(
                CLOSE_UNAVAILABLE, gettext("No video backend is enabled on this site."), reason="no_backend"
            )
        elif not chosen.uses_core_signalling:
            decision = RoomRefused(
                CLOSE_BAD_BACKEND,
                gettext("This room uses %(backend)s, which does its own signalling.")
                % {"backend": gettext(chosen.backend.display_name)},
                reason="other_backend",
            )
        else:
            decision = chosen.max_participants
        cached = (time.monotonic() + SOCKET_BACKEND_TTL, decision)
        _SOCKET_BACKENDS[key] = cached
    if isinstance(cached[1], RoomRefused):
        raise cached[1]
    return cached[1]


def grant_socket(user, session_id: int, host: str | None, *, now: datetime | None = None) -> SocketGrant:
    """Everything the handshake checks: the person, the time, and a backend that uses our signalling."""
    access = check_access(user, session_id, now=now)
    site = site_for_host(host)
    max_participants = _socket_backend(access, site, session_id)
    return SocketGrant(
        session_id=session_id,
        user_id=user.pk,
        role=access.role,
        display_name=display_name(user),
        max_participants=max_participants,
        site_id=site.pk if site else None,
    )


# --- attendance ---------------------------------------------------------------------


def new_peer_id() -> str:
    return secrets.token_urlsafe(12)  # 16 characters of [A-Za-z0-9_-]


def peer_info(row: Attendance) -> dict[str, Any]:
    """A participant as the protocol describes it to the others."""
    return {
        "peer_id": row.peer_id,
        "user_id": row.user_id,
        "display_name": display_name(row.user),
        "role": row.role,
        "audio": row.audio,
        "video": row.video,
        "screen": row.screen,
    }


@dataclass
class JoinResult:
    attendance: Attendance
    me: dict[str, Any]
    peers: list[dict[str, Any]]
    replaced: list[str] = field(default_factory=list)
    session_status: str = Session.SCHEDULED
    ice_servers: list[dict[str, Any]] = field(default_factory=list)


def join_room(
    grant: SocketGrant,
    *,
    peer_id: str,
    audio: bool = True,
    video: bool = True,
    now: datetime | None = None,
) -> JoinResult:
    """Enter the call: record attendance, start the session when its mentor arrives.

    One person holds one place: an earlier open stay of the same person (a
    second tab, a socket the server has not seen die yet) is closed as
    ``replaced`` and its peer id returned, so the caller can tell the room.
    The mesh limit counts people, not sockets. Joins of a session are
    serialised by locking the session row, so two people cannot both take the
    last place.
    """
    from core.accounts.models import User

    now = now or timezone.now()
    user = User.objects.get(pk=grant.user_id)
    with transaction.atomic():
        session = lock_session(grant.session_id)
        found = role_of(session, user)
        if found is None or found[0] != grant.role:
            raise RoomRefused(
                CLOSE_FORBIDDEN, gettext("You are no longer a participant of this session."), reason="forbidden"
            )
        check_timing(session, now=now)
        if grant.role == Attendance.MENTOR and session.status == Session.SCHEDULED:
            try:
                session = start_session(session, user, now=now)
            except SchedulingError as exc:
                raise RoomRefused(CLOSE_GONE, exc.message, reason=exc.code) from None
        open_rows = Attendance.objects.open().filter(session=session)
        # A stay left open by a server process that died: it ended when it was last seen.
        close_stays(open_rows.filter(last_seen__lt=now - STALE_AFTER), Attendance.STALE, at=None)
        replaced = [row.peer_id for row in close_stays(open_rows.filter(user=user), Attendance.REPLACED, at=now)]
        present = set(open_rows.values_list("user_id", flat=True))
        if len(present) + 1 > grant.max_participants:
            raise RoomRefused(
                CLOSE_FULL,
                gettext("The room is full: this video backend carries at most %(count)d people.")
                % {"count": grant.max_participants},
                reason="full",
            )
        row = Attendance.objects.create(
            session=session,
            user=user,
            role=grant.role,
            peer_id=peer_id,
            joined_at=now,
            last_seen=now,
            audio=audio,
            video=video,
        )
        peers = [peer_info(r) for r in open_rows.exclude(pk=row.pk).select_related("user").order_by("joined_at", "pk")]
    return JoinResult(
        attendance=row,
        me=peer_info(row),
        peers=peers,
        replaced=replaced,
        session_status=session.status,
    )


def close_stays(rows: QuerySet[Attendance], reason: str, *, at: datetime | None, **extra: Any) -> list[Attendance]:
    """Close the open stays among ``rows`` at ``at`` (``None``: each when it was last seen); returns them.

    The rows are locked first, so two callers never close (and announce) the
    same stay; ``room_left`` is sent for each one after the transaction commits.
    """
    with transaction.atomic():
        closing = list(rows.filter(left_at__isnull=True).select_for_update())
        if not closing:
            return []
        Attendance.objects.filter(pk__in=[row.pk for row in closing]).update(
            left_at=F("last_seen") if at is None else at, leave_reason=reason, **extra
        )
        for row in closing:
            row.left_at, row.leave_reason = (row.last_seen if at is None else at), reason
            for name, value in extra.items():
                setattr(row, name, value)
        transaction.on_commit(lambda: _announce_left(closing), robust=True)
    return closing


def _announce_left(rows: list[Attendance]) -> None:
    for row in rows:
        room_left.send(sender=Attendance, attendance=row)


def leave_room(peer_id: str, reason: str, *, now: datetime | None = None) -> bool:
    """Close a stay; ``False`` when it was already closed (replaced, ended)."""
    now = now or timezone.now()
    return bool(close_stays(Attendance.objects.filter(peer_id=peer_id), reason, at=now, last_seen=now))


def touch(peer_id: str, *, now: datetime | None = None) -> None:
    Attendance.objects.open().filter(peer_id=peer_id).update(last_seen=now or timezone.now())


def set_media(
    peer_id: str, *, audio: bool | None = None, video: bool | None = None, screen: bool | None = None
) -> None:
    changes = {k: v for k, v in {"audio": audio, "video": video, "screen": screen}.items() if v is not None}
    if changes:
        Attendance.objects.filter(peer_id=peer_id).update(**changes)


def close_open_stays(session: Session | int, reason: str = Attendance.ENDED, *, now: datetime | None = None) -> int:
    now = now or timezone.now()
    session_id = session if isinstance(session, int) else session.pk
    return len(close_stays(Attendance.objects.filter(session_id=session_id), reason, at=now))


@dataclass(frozen=True)
class PersonAttendance:
    """One person's time in a session's room, for no-shows, analytics and payouts."""

    user_id: int
    display_name: str
    role: str
    first_joined_at: datetime
    last_left_at: datetime | None
    seconds: int
    stays: int
    present: bool

    @property
    def minutes(self) -> int:
        return (self.seconds + 30) // 60 if self.seconds >= 30 else (1 if self.seconds else 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "display_name": self.display_name,
            "role": self.role,
            "first_joined_at": self.first_joined_at.isoformat(),
            "last_left_at": self.last_left_at.isoformat() if self.last_left_at else None,
            "seconds": self.seconds,
            "stays": self.stays,
            "present": self.present,
        }


def attendance_summary(session: Session, *, now: datetime | None = None) -> list[PersonAttendance]:
    """Per person: first join, last leave, time present (overlapping stays counted once)."""
    now = now or timezone.now()
    cap = session.ended_at or now
    by_user: dict[int, list[Attendance]] = {}
    for row in Attendance.objects.filter(session=session).select_related("user").order_by("joined_at", "pk"):
        by_user.setdefault(row.user_id, []).append(row)
    people = []
    for user_id, rows in by_user.items():
        intervals = sorted((r.joined_at, min(r.left_at or cap, cap)) for r in rows)
        seconds, current_start, current_end = 0.0, None, None
        for start, end in intervals:
            if end < start:
                continue
            if current_end is None or start > current_end:
                if current_end is not None:
                    seconds += (current_end - current_start).total_seconds()
                current_start, current_end = start, end
            else:
                current_end = max(current_end, end)
        if current_end is not None:
            seconds += (current_end - current_start).total_seconds()
        open_now = any(r.left_at is None for r in rows) and session.status == Session.IN_PROGRESS
        lefts = [r.left_at for r in rows if r.left_at]
        people.append(
            PersonAttendance(
                user_id=user_id,
                display_name=display_name(rows[0].user),
                role=rows[0].role,
                first_joined_at=rows[0].joined_at,
                last_left_at=None if open_now else (max(lefts) if lefts else None),
                seconds=int(seconds),
                stays=len(rows),
                present=open_now,
            )
        )
    people.sort(key=lambda p: (p.role != Attendance.MENTOR, p.first_joined_at))
    return people


def attended(session: Session, user) -> bool:
    """Whether ``user`` was in the room of ``session`` at all."""
    return Attendance.objects.filter(session=session, user=user).exists()


def absent_learners(session: Session) -> list[Booking]:
    """Confirmed bookings whose learner has not been in the room (candidates for a no-show)."""
    came = Attendance.objects.filter(session=session).values("user_id")
    return list(
        Booking.objects.filter(session=session, status=Booking.CONFIRMED)
        .exclude(learner_id__in=came)
        .select_related("learner", "session")
        .order_by("pk")
    )


# --- ending -------------------------------------------------------------------------


def end_room(session_id: int, by, *, now: datetime | None = None) -> Session:
    """The mentor ends the session from the room.

    Learners who never came are reported absent (``mark_no_show``) when the
    policy's grace time has passed; everyone else's booking completes with
    the session (``end_session``). Open stays are closed as ``ended``.
    Everything happens in one transaction; sockets are told after it commits
    (``receivers.py``).
    """
    now = now or timezone.now()
    with transaction.atomic():
        session = lock_session(session_id)
        if not (by.pk == session.mentor_id or by.is_staff):
            raise RoomRefused(CLOSE_FORBIDDEN, gettext("Only the session's mentor can end it."), reason="forbidden")
        if session.status != Session.IN_PROGRESS:
            raise RoomRefused(CLOSE_GONE, gettext("The session is not in progress."), reason="not_in_progress")
        grace = timedelta(minutes=current_policy().learner_no_show_grace_minutes)
        if now >= session.starts_at + grace:
            for booking in absent_learners(session):
                mark_no_show(booking, by, now=now)
        close_open_stays(session, now=now)
        session = end_session(session, by, now=now)
    return session


# --- chat ---------------------------------------------------------------------------


class ChatRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def clean_chat_text(text: str) -> str:
    """Strip, drop control characters (newlines and tabs stay) and cap the length."""
    kept = "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf", "Cs"))
    return kept.strip()[:CHAT_MAX_LENGTH]


def post_chat(session_id: int, user, text: str, *, now: datetime | None = None) -> ChatMessage:
    """Store a chat line of a participant; it stays with the session."""
    cleaned = clean_chat_text(text)
    if not cleaned:
        raise ChatRefused("empty_chat", "A chat message needs some text.")
    return ChatMessage.objects.create(
        session_id=session_id, author=user, author_name=display_name(user), text=cleaned, sent_at=now or timezone.now()
    )


def chat_payload(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "user_id": message.author_id,
        "display_name": message.author_name,
        "text": message.text,
        "sent_at": message.sent_at.isoformat(),
    }


def chat_history(session: Session, limit: int = CHAT_HISTORY_LIMIT) -> list[ChatMessage]:
    rows = list(ChatMessage.objects.filter(session=session).order_by("-sent_at", "-pk")[:limit])
    rows.reverse()
    return rows


def can_read_history(session: Session, user) -> bool:
    """The mentor, learners who held a seat (confirmed, completed, even absent) and staff."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_staff or session.mentor_id == user.pk:
        return True
    return Booking.objects.filter(
        Q(session=session, learner=user),
        Q(status__in=[Booking.CONFIRMED, Booking.COMPLETED, Booking.NO_SHOW]),
    ).exists() or attended(session, user)


# --- the room page ----------------------------------------------------------------------


@dataclass
class RoomPage:
    """What the room page shows to one person, decided before any socket opens.

    ``state`` is ``ready`` (join now), ``too_early`` (preview the camera, join
    when the room opens), ``window_passed``, ``ended``, ``cancelled``,
    ``unavailable`` (no video backend) or ``external`` (the backend's page
    elsewhere).
    """

    state: str
    session: Session
    role: str | None
    message: str = ""
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    backend: ChosenBackend | None = None
    config: dict[str, Any] = field(default_factory=dict)
    chat: list[ChatMessage] = field(default_factory=list)
    attendance: list[PersonAttendance] = field(default_factory=list)


def room_page(user, session_id: int, *, host: str | None = None, now: datetime | None = None) -> RoomPage:
    """Decide what ``user`` sees at ``/sessions/<id>/room/``; raise :class:`RoomRefused` for strangers."""
    now = now or timezone.now()
    if user is None or not user.is_authenticated:
        raise RoomRefused(CLOSE_UNAUTHENTICATED, gettext("Log in to join the session."), reason="unauthenticated")
    session = Session.objects.select_related("mentor").filter(pk=session_id).first()
    if session is None:
        raise RoomRefused(CLOSE_NOT_FOUND, gettext("There is no such session."), reason="not_found")
    opens, closes = room_window(session)
    if session.status in (Session.COMPLETED, Session.CANCELLED):
        if not can_read_history(session, user):
            raise RoomRefused(
                CLOSE_FORBIDDEN, gettext("This room belongs to the session's participants."), reason="forbidden"
            )
        ended = session.status == Session.COMPLETED
        people = attendance_summary(session, now=now)
        if not (user.is_staff or session.mentor_id == user.pk):
            people = [p for p in people if p.user_id == user.pk]
        return RoomPage(
            state="ended" if ended else "cancelled",
            session=session,
            role="mentor" if session.mentor_id == user.pk else "learner",
            message=gettext("This session has ended.") if ended else gettext("This session was cancelled."),
            opens_at=opens,
            closes_at=closes,
            chat=chat_history(session),
            attendance=people,
        )
    found = role_of(session, user)
    if found is None:
        raise RoomRefused(
            CLOSE_FORBIDDEN,
            gettext("Only the session's mentor and its confirmed learners can join this room."),
            reason="forbidden",
        )
    role, booking = found
    page = RoomPage(state="ready", session=session, role=role, opens_at=opens, closes_at=closes)
    try:
        check_timing(session, now=now)
    except RoomRefused as refused:
        page.state = refused.reason if refused.reason in ("too_early", "window_passed") else "ended"
        page.message = refused.message
        if page.state != "too_early":
            return page
    access = RoomAccess(session=session, user=user, role=role, booking=booking)
    site = site_for_host(host)
    chosen = choose_backend(access, site, credentials=page.state == "ready")
    if chosen is None:
        page.state, page.message = "unavailable", "Video is not available: no video backend is enabled on this site."
        return page
    page.backend = chosen
    if chosen.room.mode == "external":
        page.state = "external" if page.state == "ready" else page.state
        page.message = page.message or gettext("This session takes place on %(service)s.") % {
            "service": chosen.backend.display_name
        }
        return page
    page.config = {
        "sessionId": session.pk,
        "title": session.title,
        "role": role,
        "status": session.status,
        "state": page.state,
        "opensAt": opens.isoformat(),
        "startsAt": session.starts_at.isoformat(),
        "endsAt": session.ends_at.isoformat(),
        "you": {"user_id": user.pk, "display_name": display_name(user)},
        "signallingUrl": chosen.room.signalling_path,
        "clientScript": chosen.room.client_script,
        "mediaScript": chosen.media_script,
        "backend": {
            "identifier": chosen.backend.identifier,
            "name": chosen.backend.display_name,
            "maxParticipants": chosen.max_participants,
        },
        "pageConfig": dict(chosen.room.page_config),
        "iceServers": ice_servers(access.participant, site),
    }
    return page
