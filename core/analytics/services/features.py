"""What the churn and session-success models see: features built from bookings, reviews and the log.

Every feature is computed *as of* a moment ``t`` from facts dated before it,
so the same code builds training rows (at past moments, with the outcome that
followed) and the rows scored today.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.catalogue.models import Review
from core.scheduling.models import Booking

from ..models import Event

DAY = timedelta(days=1)

CHURN_FEATURES = [
    "days_since_last_booking",
    "bookings_30d",
    "bookings_90d",
    "log_bookings_total",
    "upcoming_bookings",
    "completed_share",
    "cancellations",
    "no_shows",
    "low_ratings_given",
    "log_days_since_signup",
    "distinct_mentors",
    "searches_30d",
]

SUCCESS_FEATURES = [
    "learner_prior_bookings",
    "learner_success_rate",
    "learner_no_shows",
    "learner_cancellations",
    "mentor_success_rate",
    "log_mentor_sessions",
    "mentor_rating",
    "log_lead_hours",
    "is_free",
    "is_group",
    "first_with_mentor",
]

SUCCESS_OUTCOMES = (Booking.COMPLETED, Booking.CANCELLED, Booking.NO_SHOW, Booking.REFUNDED)


@dataclass
class BookingFact:
    id: int
    learner_id: int
    mentor_id: int
    session_id: int
    created_at: datetime
    starts_at: datetime
    status: str
    confirmed_at: datetime | None
    closed_at: datetime | None
    cancelled_by_id: int | None
    price_minor: int
    capacity: int

    @property
    def success(self) -> bool:
        return self.status == Booking.COMPLETED

    @property
    def failed(self) -> bool:
        """Closed as cancelled by the learner or mentor, no-show, or refunded after one of those."""
        return self.status in (Booking.CANCELLED, Booking.NO_SHOW, Booking.REFUNDED)


def load_bookings(
    learner_ids: Iterable[int] | None = None, mentor_ids: Iterable[int] | None = None
) -> list[BookingFact]:
    """Bookings as plain facts, by creation time: all, or those of these learners or mentors."""
    from django.db.models import Q

    rows = Booking.objects.all()
    if learner_ids is not None or mentor_ids is not None:
        rows = rows.filter(Q(learner_id__in=list(learner_ids or ())) | Q(session__mentor_id__in=list(mentor_ids or ())))
    facts = [
        BookingFact(*row)
        for row in rows.values_list(
            "id",
            "learner_id",
            "session__mentor_id",
            "session_id",
            "created_at",
            "starts_at",
            "status",
            "confirmed_at",
            "closed_at",
            "cancelled_by_id",
            "price_minor",
            "session__capacity",
        ).iterator(chunk_size=5000)
    ]
    facts.sort(key=lambda f: (f.created_at, f.id))
    return facts


# --- churn -----------------------------------------------------------------------------------


@dataclass
class LearnerHistory:
    signed_up: datetime
    bookings: list[BookingFact] = field(default_factory=list)  # by created_at
    created: list[datetime] = field(default_factory=list)
    low_ratings: list[datetime] = field(default_factory=list)
    searches: list[datetime] = field(default_factory=list)


def learner_histories(learner_ids: Iterable[int] | None = None) -> dict[int, LearnerHistory]:
    """Everything the churn features need, per learner who ever booked."""
    from core.accounts.models import User

    facts = load_bookings(learner_ids)
    ids = sorted({f.learner_id for f in facts})
    joined = dict(User.objects.filter(pk__in=ids).values_list("pk", "date_joined"))
    histories: dict[int, LearnerHistory] = {}
    for fact in facts:
        if fact.learner_id not in joined:
            continue
        history = histories.setdefault(fact.learner_id, LearnerHistory(signed_up=joined[fact.learner_id]))
        history.bookings.append(fact)
        history.created.append(fact.created_at)
    for learner_id, created in (
        Review.objects.filter(learner_id__in=ids, rating__lte=2)
        .order_by("created")
        .values_list("learner_id", "created")
    ):
        if learner_id in histories:
            histories[learner_id].low_ratings.append(created)
    for user_id, occurred_at in (
        Event.objects.filter(name="search.performed", user_id__in=ids)
        .order_by("occurred_at")
        .values_list("user_id", "occurred_at")
    ):
        if user_id in histories:
            histories[user_id].searches.append(occurred_at)
    return histories


def _count_between(times: list[datetime], start: datetime, end: datetime) -> int:
    """How many of the sorted ``times`` fall in (start, end]."""
    return bisect.bisect_right(times, end) - bisect.bisect_right(times, start)


def churn_row(history: LearnerHistory, t: datetime) -> list[float] | None:
    """The learner's churn features at ``t``; ``None`` if they had not booked by then."""
    n = bisect.bisect_right(history.created, t)
    if n == 0:
        return None
    made = history.bookings[:n]
    closed = [b for b in made if b.closed_at is not None and b.closed_at <= t]
    completed = sum(1 for b in closed if b.status == Booking.COMPLETED)
    cancellations = sum(
        1 for b in closed if b.status in (Booking.CANCELLED, Booking.REFUNDED) and b.cancelled_by_id == b.learner_id
    )
    no_shows = sum(1 for b in closed if b.status == Booking.NO_SHOW)
    upcoming = sum(
        1 for b in made if b.starts_at > t and (b.closed_at is None or b.closed_at > t) and b.status != Booking.EXPIRED
    )
    return [
        (t - history.created[n - 1]) / DAY,
        float(_count_between(history.created, t - 30 * DAY, t)),
        float(_count_between(history.created, t - 90 * DAY, t)),
        math.log1p(n),
        float(upcoming),
        (completed + 1) / (len(closed) + 2),
        float(cancellations),
        float(no_shows),
        float(bisect.bisect_right(history.low_ratings, t)),
        math.log1p(max(0.0, (t - history.signed_up) / DAY)),
        float(len({b.mentor_id for b in made})),
        float(_count_between(history.searches, t - 30 * DAY, t)),
    ]


def churned_after(history: LearnerHistory, t: datetime, horizon: timedelta) -> int:
    """1 when the learner made no booking in (t, t + horizon]."""
    return int(_count_between(history.created, t, t + horizon) == 0)


# --- session success ----------------------------------------------------------------------------


@dataclass
class _Tally:
    done: int = 0
    success: int = 0
    no_shows: int = 0
    cancellations: int = 0

    def rate(self) -> float:
        return (self.success + 1) / (self.done + 2)


class SuccessContext:
    """Replays bookings in time order so each one's features use only what closed before it was made."""

    def __init__(self, facts: list[BookingFact], reviews: list[tuple[int, datetime, int]]) -> None:
        self.facts = facts
        closes = sorted((f.closed_at, f.id) for f in facts if f.closed_at is not None)
        self.close_times = [c[0] for c in closes]
        self.close_ids = [c[1] for c in closes]
        self.by_id = {f.id: f for f in facts}
        self.reviews = sorted(reviews, key=lambda r: r[1])  # (mentor_id, created, rating)

    def tallies_at(self, t: datetime) -> tuple[dict[int, _Tally], dict[int, _Tally], dict[tuple[int, int], int]]:
        learners: dict[int, _Tally] = defaultdict(_Tally)
        mentors: dict[int, _Tally] = defaultdict(_Tally)
        pairs: dict[tuple[int, int], int] = defaultdict(int)
        for booking_id in self.close_ids[: bisect.bisect_left(self.close_times, t)]:
            f = self.by_id[booking_id]
            if not (f.success or f.failed) or f.confirmed_at is None:
                continue
            for tally in (learners[f.learner_id], mentors[f.mentor_id]):
                tally.done += 1
                tally.success += f.success
            learners[f.learner_id].no_shows += f.status == Booking.NO_SHOW
            learners[f.learner_id].cancellations += f.status in (Booking.CANCELLED, Booking.REFUNDED)
            pairs[(f.learner_id, f.mentor_id)] += 1
        return learners, mentors, pairs

    def rating_at(self, mentor_id: int, t: datetime) -> float:
        ratings = [r for m, created, r in self.reviews if m == mentor_id and created < t]
        return sum(ratings) / len(ratings) if ratings else 0.0


def success_row(
    *,
    learner: _Tally,
    mentor: _Tally,
    mentor_rating: float,
    lead_hours: float,
    price_minor: int,
    capacity: int,
    sessions_together: int,
) -> list[float]:
    return [
        float(learner.done),
        learner.rate(),
        float(learner.no_shows),
        float(learner.cancellations),
        mentor.rate(),
        math.log1p(mentor.done),
        mentor_rating,
        math.log1p(max(0.0, lead_hours)),
        1.0 if price_minor == 0 else 0.0,
        1.0 if capacity > 1 else 0.0,
        1.0 if sessions_together == 0 else 0.0,
    ]


def success_training_rows(facts: list[BookingFact], context: SuccessContext):
    """(rows, outcomes, times) of every confirmed booking that has closed, replayed in order."""
    rows, outcomes, times = [], [], []
    # incremental replay: walk bookings by creation time, folding in closures as time passes
    learners: dict[int, _Tally] = defaultdict(_Tally)
    mentors: dict[int, _Tally] = defaultdict(_Tally)
    pairs: dict[tuple[int, int], int] = defaultdict(int)
    reviews = context.reviews
    rating_sum: dict[int, float] = defaultdict(float)
    rating_n: dict[int, int] = defaultdict(int)
    ci = ri = 0
    for fact in facts:
        t = fact.created_at
        while ci < len(context.close_times) and context.close_times[ci] < t:
            f = context.by_id[context.close_ids[ci]]
            ci += 1
            if not (f.success or f.failed) or f.confirmed_at is None:
                continue
            for tally in (learners[f.learner_id], mentors[f.mentor_id]):
                tally.done += 1
                tally.success += f.success
            learners[f.learner_id].no_shows += f.status == Booking.NO_SHOW
            learners[f.learner_id].cancellations += f.status in (Booking.CANCELLED, Booking.REFUNDED)
            pairs[(f.learner_id, f.mentor_id)] += 1
        while ri < len(reviews) and reviews[ri][1] < t:
            rating_sum[reviews[ri][0]] += reviews[ri][2]
            rating_n[reviews[ri][0]] += 1
            ri += 1
        if fact.confirmed_at is None or not (fact.success or fact.failed):
            continue
        rows.append(
            success_row(
                learner=learners[fact.learner_id],
                mentor=mentors[fact.mentor_id],
                mentor_rating=rating_sum[fact.mentor_id] / rating_n[fact.mentor_id]
                if rating_n[fact.mentor_id]
                else 0.0,
                lead_hours=(fact.starts_at - fact.created_at) / timedelta(hours=1),
                price_minor=fact.price_minor,
                capacity=fact.capacity,
                sessions_together=pairs[(fact.learner_id, fact.mentor_id)],
            )
        )
        outcomes.append(int(fact.success))
        times.append(fact.closed_at)
    return rows, outcomes, times


def load_reviews() -> list[tuple[int, datetime, int]]:
    return list(Review.objects.values_list("mentor_id", "created", "rating"))
