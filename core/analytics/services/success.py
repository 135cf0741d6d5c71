"""Session success: the probability that a booking ends completed (not cancelled, not a no-show).

Trained on every confirmed booking that has closed, each described by what was
known when it was made (the learner's and the mentor's record until then,
the mentor's rating, how far ahead it was booked, price, group or 1:1, first
time together). Shown to the mentor on the booking; the ranker calls
:func:`success_probabilities` for a learner and candidate sessions.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ..ml.linear import LogisticModel, NotEnoughData
from ..ml.scoring import roc_auc
from ..models import PredictionModel
from . import store
from .features import SUCCESS_FEATURES, SuccessContext, load_bookings, load_reviews, success_row, success_training_rows

MIN_ROWS = 20
HOLDOUT_SHARE = 0.25

UP = {
    "learner_success_rate": gettext_lazy("This learner completes most of their sessions"),
    "mentor_success_rate": gettext_lazy("Your sessions are usually completed"),
    "log_lead_hours": gettext_lazy("Booked well ahead"),
    "first_with_mentor": gettext_lazy("First session together"),
    "learner_prior_bookings": gettext_lazy("A regular learner"),
    "log_mentor_sessions": gettext_lazy("Many sessions behind you"),
    "mentor_rating": gettext_lazy("Well rated"),
    "is_free": gettext_lazy("A free session"),
    "is_group": gettext_lazy("A group session"),
}
DOWN = {
    "learner_success_rate": gettext_lazy("This learner often cancels or misses sessions"),
    "learner_no_shows": gettext_lazy("This learner has missed sessions before"),
    "learner_cancellations": gettext_lazy("This learner has cancelled before"),
    "mentor_success_rate": gettext_lazy("Several of your sessions did not take place"),
    "log_lead_hours": gettext_lazy("Booked at short notice"),
    "first_with_mentor": gettext_lazy("First session together"),
    "learner_prior_bookings": gettext_lazy("A new learner"),
    "is_free": gettext_lazy("A free session"),
    "is_group": gettext_lazy("A group session"),
    "log_mentor_sessions": gettext_lazy("Few sessions behind you"),
    "mentor_rating": gettext_lazy("Rating below others"),
}


@dataclass(frozen=True)
class SuccessPrediction:
    probability: float
    helps: list[str]
    hurts: list[str]
    model_id: int


def fit_success(now: datetime | None = None) -> PredictionModel:
    started = time.perf_counter()
    facts = load_bookings()
    context = SuccessContext(facts, load_reviews())
    rows, outcomes, closed = success_training_rows(facts, context)
    if len(rows) < MIN_ROWS:
        return store.save(
            PredictionModel.SESSION_SUCCESS,
            status=PredictionModel.INSUFFICIENT,
            n_samples=len(rows),
            message=f"Need at least {MIN_ROWS} confirmed bookings that have ended; have {len(rows)}.",
            fit_seconds=time.perf_counter() - started,
        )
    X, y = np.asarray(rows), np.asarray(outcomes)
    metrics: dict[str, float | int] = {"rows": len(rows), "base_rate": round(float(y.mean()), 4)}
    order = np.argsort(np.asarray([c.timestamp() for c in closed]), kind="mergesort")
    cut = int(len(order) * (1 - HOLDOUT_SHARE))
    train, test = order[:cut], order[cut:]
    try:
        held = LogisticModel.fit(X[train], y[train], SUCCESS_FEATURES)
        auc = roc_auc(y[test], held.predict_proba(X[test]))
        if not math.isnan(auc):
            metrics.update(roc_auc_holdout=round(auc, 4), holdout_rows=len(test))
    except NotEnoughData:
        pass
    try:
        model = LogisticModel.fit(X, y, SUCCESS_FEATURES)
    except NotEnoughData as exc:
        return store.save(
            PredictionModel.SESSION_SUCCESS,
            status=PredictionModel.INSUFFICIENT,
            n_samples=len(rows),
            message=f"Cannot learn session success yet: {exc}.",
            fit_seconds=time.perf_counter() - started,
        )
    return store.save(
        PredictionModel.SESSION_SUCCESS,
        status=PredictionModel.READY,
        payload=model.to_dict(),
        metrics=metrics,
        n_samples=len(rows),
        fit_seconds=time.perf_counter() - started,
    )


class SuccessScorer:
    """Scores many (learner, session) pairs with one read of the history: build once per page."""

    def __init__(self, learner_ids: Iterable[int], mentor_ids: Iterable[int], now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        self.row, self.model = store.loaded(PredictionModel.SESSION_SUCCESS, LogisticModel.from_dict)
        self.ready = self.model is not None
        if not self.ready:
            return
        facts = load_bookings(learner_ids, mentor_ids)
        self.context = SuccessContext(facts, load_reviews())
        self.learners, self.mentors, self.pairs = self.context.tallies_at(self.now)

    def features(
        self,
        learner_id: int,
        mentor_id: int,
        *,
        created_at: datetime,
        starts_at: datetime,
        price_minor: int,
        capacity: int,
    ) -> list[float]:
        return success_row(
            learner=self.learners[learner_id],
            mentor=self.mentors[mentor_id],
            mentor_rating=self.context.rating_at(mentor_id, self.now),
            lead_hours=(starts_at - created_at) / timedelta(hours=1),
            price_minor=price_minor,
            capacity=capacity,
            sessions_together=self.pairs[(learner_id, mentor_id)],
        )

    def predict(self, row: list[float]) -> SuccessPrediction:
        probability = float(self.model.predict_proba([row])[0])
        helps = [str(UP.get(c.feature, c.feature)) for c in self.model.explain(row, top=2, direction=1)]
        hurts = [str(DOWN.get(c.feature, c.feature)) for c in self.model.explain(row, top=2, direction=-1)]
        return SuccessPrediction(probability, helps, hurts, self.row.pk)

    def for_booking(self, booking) -> SuccessPrediction | None:
        if not self.ready:
            return None
        session = booking.session
        return self.predict(
            self.features(
                booking.learner_id,
                session.mentor_id,
                created_at=booking.created_at,
                starts_at=booking.starts_at,
                price_minor=booking.price_minor,
                capacity=session.capacity,
            )
        )


def success_for_bookings(bookings: Iterable) -> dict[int, SuccessPrediction]:
    """Predictions for bookings (with ``session`` loaded), keyed by booking id; empty without a model."""
    bookings = list(bookings)
    if not bookings:
        return {}
    scorer = SuccessScorer({b.learner_id for b in bookings}, {b.session.mentor_id for b in bookings})
    if not scorer.ready:
        return {}
    return {b.pk: scorer.for_booking(b) for b in bookings}


def success_probability(booking) -> SuccessPrediction | None:
    """The chance ``booking`` ends completed, with what helps and hurts; ``None`` without a model."""
    return success_for_bookings([booking]).get(booking.pk)


def success_probabilities(learner, sessions: Iterable, now: datetime | None = None) -> dict[int, float]:
    """For the ranker: the chance a booking ``learner`` made now in each session would end completed.

    Returns ``{session_id: probability}``; an empty mapping when no model has been fitted yet
    (callers then leave success out of their ranking).
    """
    sessions = list(sessions)
    if not sessions:
        return {}
    now = now or timezone.now()
    scorer = SuccessScorer([learner.pk], {s.mentor_id for s in sessions}, now=now)
    if not scorer.ready:
        return {}
    out = {}
    for session in sessions:
        row = scorer.features(
            learner.pk,
            session.mentor_id,
            created_at=now,
            starts_at=session.starts_at,
            price_minor=session.price_minor,
            capacity=session.capacity,
        )
        out[session.pk] = float(scorer.model.predict_proba([row])[0])
    return out
