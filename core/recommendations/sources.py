"""What the recommenders learn from and rank: the platform's items, people and interactions.

Items are live mentor pages (``mentor:<user id>``) and published sessions still
to come (``session:<id>``). Interactions come from bookings (``book``, and
``attend`` once completed, counted for the session *and* its mentor), reviews
(``rate``, the stars) and the recommendation event log (clicks, views and
dismissals). The catalogue and scheduling apps own those models; this module
only reads them.
"""

from __future__ import annotations

import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Iterable as IterableABC
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.html import strip_tags

from core.plugins import Interaction, ItemFeatures, TrainingData, UserFeatures

from .models import RecommendationEvent
from .ranker import Candidate, Catalogue

logger = logging.getLogger("peerlearn.recommendations")

TRAINING_DAYS = 365
_memo: dict[str, tuple[float, str, Any]] = {}
_GENERATION_KEY = "recommendations:snapshot-generation"
#: A snapshot counts as fresh for its ``seconds`` less up to this share, drawn anew at each build: the web
#: processes start together and would otherwise rebuild the same snapshots in the same second, every time.
REBUILD_SPREAD = 0.2


def _stamp(now: float, seconds: float) -> float:
    """When a snapshot built at ``now`` counts as made: up to ``REBUILD_SPREAD`` of its life earlier."""
    return now - random.uniform(0, REBUILD_SPREAD) * seconds


def _memoised(key: str, seconds: float, build: Callable[[], Any], background: bool = False) -> Any:
    """A value rebuilt at most every ``seconds`` in this process, kept as objects (no unpickling per request).

    A generation token in the shared cache lets :func:`forget_memo` (or a
    cleared cache) invalidate every process's snapshots at once; such a value
    is rebuilt before it is used again. With ``background``, a value that is
    merely older than ``seconds`` is still returned while a thread rebuilds it,
    so no request waits the seconds a 10,000-item snapshot takes.
    """
    now = time.monotonic()
    generation = _current_generation()
    hit = _memo.get(key)
    if hit is not None and hit[1] == generation:
        if now - hit[0] < seconds:
            return hit[2]
        if background and not getattr(_refreshing, "inside", False):
            _refresh_later(key, generation, seconds, build)
            return hit[2]
    value = build()
    _memo[key] = (_stamp(now, seconds), generation, value)
    return value


_refreshing = threading.local()  # ``inside``: this thread is a refresh (the snapshots it reads are built, not deferred)
_refresh_threads: dict[str, threading.Thread] = {}
_refresh_lock = threading.Lock()


def _refresh_later(key: str, generation: str, seconds: float, build: Callable[[], Any]) -> None:
    """Rebuild ``key`` in a thread of its own, one at a time per key."""
    with _refresh_lock:
        running = _refresh_threads.get(key)
        if running is not None and running.is_alive():
            return
        thread = threading.Thread(
            target=_refresh, args=(key, generation, seconds, build), name=f"recommendations-refresh {key}", daemon=True
        )
        _refresh_threads[key] = thread
    thread.start()


def _refresh(key: str, generation: str, seconds: float, build: Callable[[], Any]) -> None:
    _refreshing.inside = True
    started = _stamp(time.monotonic(), seconds)
    try:
        _memo[key] = (started, generation, build())
    except Exception:
        logger.exception("Rebuilding the %s snapshot failed; the previous one is kept for now", key)
        hit = _memo.get(key)
        if hit is not None and hit[1] == generation:  # try again in ``seconds``, not on every request
            _memo[key] = (started, generation, hit[2])
    finally:
        connections.close_all()  # this thread's own database connections


def forget_memo() -> None:
    """Drop the catalogue and availability snapshots of every process (tests; after bulk changes)."""
    cache.delete(_GENERATION_KEY)
    _memo.clear()
    _request_generation.value = None


#: The generation as read by this thread during the current request (``None``: read it again).
_request_generation = threading.local()


def new_request(**kwargs: Any) -> None:
    """``request_started``: read the generation again (once per request, not once per snapshot used)."""
    _request_generation.value = None
    _request_generation.in_request = True


def request_ended(**kwargs: Any) -> None:
    """``request_finished``: outside a request the generation is read at every use again."""
    _request_generation.value = None
    _request_generation.in_request = False


def _current_generation() -> str:
    """The shared generation token: read once per request (a dashboard uses four snapshots), else every time."""
    if getattr(_request_generation, "in_request", False) and _request_generation.value is not None:
        return _request_generation.value
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.set(_GENERATION_KEY, generation, None)
    if getattr(_request_generation, "in_request", False):
        _request_generation.value = generation
    return generation


HISTORY_LIMIT = 500
CANDIDATES_CACHE_SECONDS = 60
_EVENT_KINDS = {
    RecommendationEvent.CLICK: "click",
    RecommendationEvent.VIEW: "view",
    RecommendationEvent.DISMISS: "dismiss",
}


def mentor_key(user_id: int) -> str:
    return f"mentor:{user_id}"


def session_key(session_id: int) -> str:
    return f"session:{session_id}"


def parse_key(key: str) -> tuple[str, int] | None:
    kind, _, raw = str(key).partition(":")
    if kind not in {"mentor", "session"} or not (raw.isascii() and raw.isdigit()):
        return None
    return kind, int(raw)


# --- items -------------------------------------------------------------------


def _stream_text(value: Any) -> str:
    """The words inside a StreamField's raw data (rich text stripped of tags)."""
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, str):
            parts.append(strip_tags(node))
        elif isinstance(node, Mapping):
            for key, child in node.items():
                if key not in {"type", "id"}:
                    walk(child)
        elif isinstance(node, IterableABC):
            for child in node:
                walk(child)

    walk(getattr(value, "raw_data", value))
    return " ".join(p.strip() for p in parts if p and p.strip())


def _mentor_pages():
    from core.catalogue.services import live_mentor_pages

    return live_mentor_pages().select_related("user").prefetch_related("skills")


def _upcoming_sessions(now: datetime):
    from core.scheduling.models import Session

    return (
        Session.objects.filter(status=Session.SCHEDULED, origin=Session.PUBLISHED, starts_at__gt=now)
        .select_related("mentor")
        .prefetch_related("skills")
    )


def item_features(now: datetime | None = None) -> list[ItemFeatures]:
    """Every recommendable item with what content models read (skills, text, price, language)."""
    now = now or timezone.now()
    items: list[ItemFeatures] = []
    languages: dict[int, frozenset[str]] = {}
    for page in _mentor_pages():
        langs = frozenset(page.languages or page.user.languages or [])
        languages[page.user_id] = langs
        items.append(
            ItemFeatures(
                item=mentor_key(page.user_id),
                skills=frozenset(s.name for s in page.skills.all()),
                text=" ".join([page.title, page.headline, _stream_text(page.bio)]),
                price_minor=int(page.hourly_rate_minor),
                currency=page.currency,
                languages=langs,
                owner_user_id=page.user_id,
            )
        )
    for session in _upcoming_sessions(now):
        items.append(
            ItemFeatures(
                item=session_key(session.pk),
                skills=frozenset(s.name for s in session.skills.all()),
                text=f"{session.title} {session.description}",
                price_minor=int(session.price_minor),
                currency=session.currency,
                languages=languages.get(session.mentor_id, frozenset(session.mentor.languages or [])),
                owner_user_id=session.mentor_id,
            )
        )
    return items


def candidates(new_mentor_days: int, now: datetime | None = None) -> list[Candidate]:
    """Everything that may be recommended now (cached briefly: it changes slowly)."""
    return _memoised(
        f"candidates:{new_mentor_days}",
        CANDIDATES_CACHE_SECONDS,
        lambda: _build_candidates(new_mentor_days, now),
        background=True,
    )


@dataclass(frozen=True)
class CatalogueView:
    """The candidates of some kinds laid out for ranking, with what every request would otherwise rebuild."""

    catalogue: Catalogue  # keys, parent links, owners, new flags as arrays; its ``keys`` is what is scored
    titles: dict[str, str]  # display names of every candidate, and of other items once looked up

    def titles_of(self, keys: Iterable[str]) -> dict[str, str]:
        """Display names of ``keys`` (past sessions too), each looked up at most once per snapshot."""
        missing = {k for k in keys if k not in self.titles}
        if missing:
            found = titles(missing)
            self.titles.update(found)
            self.titles.update((k, "") for k in missing - set(found))
        return {k: self.titles[k] for k in keys if k in self.titles}


def catalogue_view(new_mentor_days: int, kinds: tuple[str, ...]) -> CatalogueView:
    """Built once per snapshot of :func:`candidates` (per process, per minute), not per request."""

    def build() -> CatalogueView:
        everything = candidates(new_mentor_days)
        catalogue = Catalogue.of(c for c in everything if c.kind in kinds)
        return CatalogueView(catalogue, {c.key: c.title for c in everything})

    return _memoised(f"view:{new_mentor_days}:{','.join(kinds)}", CANDIDATES_CACHE_SECONDS, build, background=True)


def _build_candidates(new_mentor_days: int, now: datetime | None) -> list[Candidate]:
    now = now or timezone.now()
    new_since = now - timedelta(days=new_mentor_days)
    result: list[Candidate] = []
    mentors: dict[int, Candidate] = {}
    for page in _mentor_pages():
        first = page.first_published_at or page.latest_revision_created_at
        candidate = Candidate(
            key=mentor_key(page.user_id),
            kind="mentor",
            title=page.display_name,
            url=page.url or "",
            subtitle=page.headline,
            skills=frozenset(s.name for s in page.skills.all()),
            owner_user_id=page.user_id,
            is_new=bool(first and first >= new_since),
            price_minor=int(page.hourly_rate_minor) or None,
            currency=page.currency,
        )
        mentors[page.user_id] = candidate
        result.append(candidate)
    for session in _upcoming_sessions(now):
        mentor = mentors.get(session.mentor_id)
        if mentor is None:
            continue  # a session of a mentor without a live page is not shown
        result.append(
            Candidate(
                key=session_key(session.pk),
                kind="session",
                title=session.title,
                url=session.get_absolute_url(),
                mentor_name=mentor.title,
                skills=frozenset(s.name for s in session.skills.all()),
                owner_user_id=session.mentor_id,
                parent=mentor.key,
                is_new=mentor.is_new,
                starts_at=session.starts_at,
                price_minor=int(session.price_minor),
                currency=session.currency,
            )
        )
    return result


def titles(keys: Iterable[str]) -> dict[str, str]:
    """Display names of items (also past sessions, for "learners who booked X")."""
    from core.catalogue.models import MentorPage
    from core.scheduling.models import Session

    parsed = [p for p in (parse_key(k) for k in keys) if p]
    mentor_ids = [i for kind, i in parsed if kind == "mentor"]
    session_ids = [i for kind, i in parsed if kind == "session"]
    out: dict[str, str] = {}
    for user_id, title, name in MentorPage.objects.filter(user_id__in=mentor_ids).values_list(
        "user_id", "title", "user__display_name"
    ):
        out[mentor_key(user_id)] = name or title
    for pk, title in Session.objects.filter(pk__in=session_ids).values_list("pk", "title"):
        out[session_key(pk)] = title
    return out


def item_exists(key: str, viewer: Any = None) -> bool:
    """Whether ``key`` names a mentor page or a session of this platform that ``viewer`` may see.

    A published session is everyone's; a 1:1 booked from availability is seen
    only by its mentor, its learner and staff (as in the sessions API), so
    nobody else can attach events to it. Without ``viewer``, any session counts.
    """
    from django.db.models import Q

    from core.catalogue.models import MentorPage
    from core.scheduling.models import Session

    parsed = parse_key(key)
    if parsed is None:
        return False
    kind, pk = parsed
    if kind == "mentor":
        return MentorPage.objects.filter(user_id=pk).exists()
    sessions = Session.objects.filter(pk=pk)
    if viewer is not None and not viewer.is_staff:
        sessions = sessions.filter(Q(origin=Session.PUBLISHED) | Q(mentor=viewer) | Q(bookings__learner=viewer))
    return sessions.exists()


# --- bookability -------------------------------------------------------------


FREE_TIME_CACHE_SECONDS = 60


def free_mentors(horizon_days: int) -> set[int]:
    """Mentors (user ids) with a free slot within the horizon, worked out once a minute.

    Expanding every mentor's weekly hours is the costly part of a request;
    a slot taken in the last minute still fails safely at booking time.
    """
    from core.scheduling.services.availability import mentors_with_free_time

    def build() -> set[int]:
        ids = list(_mentor_pages().values_list("user_id", flat=True))
        return set(mentors_with_free_time(ids, horizon_days)) if ids else set()

    return _memoised(f"free-mentors:{horizon_days}", FREE_TIME_CACHE_SECONDS, build, background=True)


def open_sessions() -> frozenset[int]:
    """Scheduled sessions with a seat left, worked out once a minute (a seat taken since fails at booking)."""
    from core.scheduling.models import Booking, Session

    def build() -> frozenset[int]:
        active = Q(bookings__status__in=Booking.ACTIVE_STATUSES)
        rows = (
            Session.objects.filter(status=Session.SCHEDULED, starts_at__gt=timezone.now())
            .annotate(taken=Count("bookings", filter=active, distinct=True))
            .values_list("pk", "capacity", "taken")
        )
        return frozenset(pk for pk, capacity, taken in rows if taken < capacity)

    return _memoised("open-sessions", FREE_TIME_CACHE_SECONDS, build, background=True)


def bookable(items: Sequence[Candidate], user_id: int | None, horizon_days: int) -> set[str]:
    """Keys of ``items`` the user can book now.

    A mentor needs free time within the horizon; a session must still be
    scheduled, in the future, with a seat left, and not already booked by the user.
    """
    free = free_mentors(horizon_days) if any(c.kind == "mentor" for c in items) else set()
    now = timezone.now()
    open_now = open_sessions()
    session_ids = {
        p[1]
        for c in items
        if c.kind == "session" and (c.starts_at is None or c.starts_at > now) and (p := parse_key(c.key))
    }
    open_sessions_ = session_ids & open_now
    if user_id is not None and open_sessions_:
        open_sessions_ -= held_sessions(user_id)
    out = set()
    for c in items:
        if c.kind == "mentor" and c.owner_user_id in free:
            out.add(c.key)
        elif c.kind == "session" and (p := parse_key(c.key)) and p[1] in open_sessions_:
            out.add(c.key)
    return out


# --- interactions ------------------------------------------------------------


class Prepared:
    """A query whose SQL is built once (per thread), then run for any user: the serving path's few queries.

    Building SQL costs Django about 0.3 ms a query, more than running these
    indexed look-ups. ``build(user_id)`` returns the queryset; it is compiled
    once with a sentinel id, and each call runs that SQL with the sentinel's
    parameters replaced by the real id, converting the rows exactly as the
    queryset would (Django's own converters, e.g. aware datetimes on SQLite).
    """

    SENTINEL = -7_349_512_761  # an id no row has, found among the compiled parameters

    def __init__(self, build: Callable[[int], QuerySet]) -> None:
        self.build = build
        self._local = threading.local()

    def _compiled(self) -> tuple[Any, str, list[Any], list[int]]:
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            queryset = self.build(self.SENTINEL)
            compiler = queryset.query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            slots = [n for n, value in enumerate(params) if value == self.SENTINEL]
            if not slots:
                raise ValueError("the prepared query does not use its user id")
            compiled = self._local.compiled = (compiler, sql, list(params), slots)
        return compiled

    def __call__(self, user_id: int) -> list[tuple]:
        compiler, sql, params, slots = self._compiled()
        params = list(params)
        for n in slots:
            params[n] = int(user_id)
        with connections[compiler.using].cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return list(compiler.results_iter([rows], tuple_expected=True))


def _sources(since: datetime | None = None, user_id: int | None = None, limit: int | None = None):
    """The rows interactions are made of: bookings, reviews and logged events, filtered alike."""
    from core.catalogue.models import Review
    from core.scheduling.models import Booking

    bookings = Booking.objects.filter(status__in=[Booking.CONFIRMED, Booking.COMPLETED, Booking.NO_SHOW])
    reviews = Review.objects.exclude(status=Review.REJECTED)
    events = RecommendationEvent.objects.filter(kind__in=list(_EVENT_KINDS))
    if since is not None:
        bookings = bookings.filter(created_at__gte=since)
        reviews = reviews.filter(created__gte=since)
        events = events.filter(created_at__gte=since)
    if user_id is not None:
        bookings = bookings.filter(learner_id=user_id)
        reviews = reviews.filter(learner_id=user_id)
        events = events.filter(user_id=user_id)
    if limit is not None:
        bookings = bookings.order_by("-created_at")[:limit]
        reviews = reviews.order_by("-created")[:limit]
        events = events.order_by("-created_at")[:limit]
    return (
        bookings.values_list("learner_id", "session_id", "session__mentor_id", "status", "created_at"),
        reviews.values_list("learner_id", "booking__session_id", "mentor_id", "rating", "created"),
        events.values_list("user_id", "item", "kind", "created_at"),
    )


def _interactions(bookings: Iterable[tuple], reviews: Iterable[tuple], events: Iterable[tuple]) -> list[Interaction]:
    from core.scheduling.models import Booking

    out: list[Interaction] = []
    for learner, session, mentor, status, at in bookings:
        for item in (session_key(session), mentor_key(mentor)):
            out.append(Interaction(learner, item, "book", at))
            if status == Booking.COMPLETED:
                out.append(Interaction(learner, item, "attend", at))
    for learner, session, mentor, rating, at in reviews:
        out.append(Interaction(learner, session_key(session), "rate", at, float(rating)))
        out.append(Interaction(learner, mentor_key(mentor), "rate", at, float(rating)))
    for user, item, kind, at in events:
        out.append(Interaction(user, item, _EVENT_KINDS[kind], at))
    out.sort(key=lambda it: it.at)
    return out


def interactions(
    since: datetime | None = None, user_id: int | None = None, limit: int | None = None
) -> list[Interaction]:
    """Bookings, attendance, ratings and logged clicks/views/dismissals, oldest first."""
    return _interactions(*_sources(since, user_id, limit))


def training_data(now: datetime | None = None) -> TrainingData:
    """Everything the recommenders are fitted on (the last ``TRAINING_DAYS`` of interactions)."""
    from core.accounts.models import User

    now = now or timezone.now()
    log = interactions(since=now - timedelta(days=TRAINING_DAYS))
    user_ids = {it.user_id for it in log}
    users = [user_features(u) for u in User.objects.filter(pk__in=user_ids).prefetch_related("skills", "interests")]
    return TrainingData(interactions=log, items=item_features(now), users=users, now=now)


def user_features(user: Any) -> UserFeatures:
    """What the recommenders are fitted on of ``user`` (skills and interests prefetched by the caller)."""
    return UserFeatures(
        user_id=user.pk,
        skills=frozenset(s.name for s in user.skills.all()),
        interests=frozenset(s.name for s in user.interests.all()),
        languages=frozenset(user.languages or []),
    )


def _skill_names(relation: str) -> Callable[[int], QuerySet]:
    def build(user_id: int) -> QuerySet:
        from core.accounts.models import User

        return getattr(User, relation).through.objects.filter(user_id=user_id).values_list("skill__name")

    return build


def _active_bookings(user_id: int) -> QuerySet:
    from core.scheduling.models import Booking

    return Booking.objects.filter(learner_id=user_id, status__in=Booking.ACTIVE_STATUSES).values_list("session_id")


_SKILLS = Prepared(_skill_names("skills"))
_INTERESTS = Prepared(_skill_names("interests"))
_HISTORY = tuple(Prepared(lambda user_id, n=n: _sources(user_id=user_id, limit=HISTORY_LIMIT)[n]) for n in range(3))
_ACTIVE_BOOKINGS = Prepared(_active_bookings)  # sessions the user holds (or is paying for) a seat in


def held_sessions(user_id: int) -> frozenset[int]:
    """The sessions ``user_id`` holds (or is paying for) a seat in."""
    return frozenset(session for (session,) in _ACTIVE_BOOKINGS(user_id))


_DISMISS = RecommendationEvent.DISMISS


def learner(user: Any, dismiss_days: int) -> tuple[UserFeatures, frozenset[str]]:
    """The user being served, with their live history, and the items they dismissed in the last ``dismiss_days``.

    Five prepared queries; the dismissals come from the history's events
    unless the history was cut at ``HISTORY_LIMIT`` events.
    """
    bookings, reviews, events = (query(user.pk) for query in _HISTORY)
    features = UserFeatures(
        user_id=user.pk,
        skills=frozenset(name for (name,) in _SKILLS(user.pk)),
        interests=frozenset(name for (name,) in _INTERESTS(user.pk)),
        languages=frozenset(user.languages or []),
        history=tuple(_interactions(bookings, reviews, events)),
    )
    if dismiss_days <= 0:
        return features, frozenset()
    if len(events) >= HISTORY_LIMIT:
        return features, dismissed(user.pk, dismiss_days)
    since = timezone.now() - timedelta(days=dismiss_days)
    return features, frozenset(item for _, item, kind, at in events if kind == _DISMISS and at >= since)


def dismissed(user_id: int, days: int) -> frozenset[str]:
    """Items ``user_id`` dismissed in the last ``days`` days."""
    if days <= 0:
        return frozenset()
    since = timezone.now() - timedelta(days=days)
    return frozenset(
        RecommendationEvent.objects.filter(
            user_id=user_id, kind=RecommendationEvent.DISMISS, created_at__gte=since
        ).values_list("item", flat=True)
    )
