"""Churn: the probability that a learner who has booked stops booking, with the main reasons.

Label: no new booking within ``AnalyticsSettings.churn_horizon_days`` after a
moment. Training rows are every learner who had booked, at moments every two
weeks back from ``now - horizon`` (so every label is fully observed); the
newest quarter of those moments is held out to measure the model before it is
refitted on everything. The model is :class:`~core.analytics.ml.linear.LogisticModel`:
its per-feature contributions are the "main reasons" editors see.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.utils import timezone

from ..ml.linear import LogisticModel, NotEnoughData
from ..ml.scoring import roc_auc
from ..models import AnalyticsSettings, ChurnScore, PredictionModel
from . import store
from .features import CHURN_FEATURES, churn_row, churned_after, learner_histories

SNAPSHOT_STEP = timedelta(days=14)
MAX_SNAPSHOTS = 26  # a year of fortnights
MIN_ROWS = 20
HOLDOUT_SHARE = 0.25


def _reason(feature: str, value: float, mean: float) -> str:
    high = value > mean
    if feature == "days_since_last_booking":
        return f"No booking for {value:.0f} days" if high else f"Booked {value:.0f} days ago"
    if feature == "bookings_30d":
        return f"{value:.0f} booking(s) in the last 30 days (learners average {mean:.1f})"
    if feature == "bookings_90d":
        return f"{value:.0f} booking(s) in the last 90 days (learners average {mean:.1f})"
    if feature == "log_bookings_total":
        return f"{math.expm1(value):.0f} booking(s) so far"
    if feature == "upcoming_bookings":
        return "Nothing booked ahead" if value == 0 else f"{value:.0f} booking(s) ahead"
    if feature == "completed_share":
        return "Few of their sessions were completed" if not high else "Most of their sessions were completed"
    if feature == "cancellations":
        return f"Cancelled {value:.0f} booking(s)"
    if feature == "no_shows":
        return f"Missed {value:.0f} session(s)"
    if feature == "low_ratings_given":
        return f"Gave {value:.0f} low rating(s) (1 or 2 stars)"
    if feature == "log_days_since_signup":
        return f"Member for {math.expm1(value):.0f} days"
    if feature == "distinct_mentors":
        return f"Has booked {value:.0f} mentor(s)"
    if feature == "searches_30d":
        return "No searches in the last 30 days" if value == 0 else f"{value:.0f} search(es) in the last 30 days"
    return f"{feature} = {value:g}"


@dataclass(frozen=True)
class ChurnPrediction:
    probability: float
    reasons: list[str]
    features: dict[str, float]


def fit_churn(now: datetime | None = None) -> PredictionModel:
    """Fit and store the churn model (or store why it could not be fitted)."""
    started = time.perf_counter()
    now = now or timezone.now()
    horizon = timedelta(days=AnalyticsSettings.load().churn_horizon_days)
    histories = learner_histories()
    rows, labels, moments = [], [], []
    for k in range(MAX_SNAPSHOTS):
        t = now - horizon - k * SNAPSHOT_STEP
        for history in histories.values():
            row = churn_row(history, t)
            if row is not None:
                rows.append(row)
                labels.append(churned_after(history, t, horizon))
                moments.append(t)
    metrics: dict[str, float | int] = {"rows": len(rows)}
    if len(rows) < MIN_ROWS:
        return store.save(
            PredictionModel.CHURN,
            status=PredictionModel.INSUFFICIENT,
            n_samples=len(rows),
            message=f"Need at least {MIN_ROWS} learner snapshots with a known outcome; have {len(rows)}. "
            f"Outcomes are known for moments more than {horizon.days} days ago.",
            fit_seconds=time.perf_counter() - started,
        )
    X, y = np.asarray(rows), np.asarray(labels)
    order = sorted(set(moments))
    cut = order[int(len(order) * (1 - HOLDOUT_SHARE))] if len(order) >= 4 else None
    if cut is not None:
        train = np.asarray([m < cut for m in moments])
        try:
            held = LogisticModel.fit(X[train], y[train], CHURN_FEATURES)
            auc = roc_auc(y[~train], held.predict_proba(X[~train]))
            if not math.isnan(auc):
                metrics.update(roc_auc_holdout=round(auc, 4), holdout_rows=int((~train).sum()))
        except NotEnoughData:
            pass
    try:
        model = LogisticModel.fit(X, y, CHURN_FEATURES)
    except NotEnoughData as exc:
        return store.save(
            PredictionModel.CHURN,
            status=PredictionModel.INSUFFICIENT,
            n_samples=len(rows),
            message=f"Cannot learn churn yet: {exc}.",
            fit_seconds=time.perf_counter() - started,
        )
    metrics["base_rate"] = round(float(y.mean()), 4)
    return store.save(
        PredictionModel.CHURN,
        status=PredictionModel.READY,
        payload=model.to_dict(),
        metrics=metrics,
        n_samples=len(rows),
        message=f"Churn = no booking within {horizon.days} days.",
        fit_seconds=time.perf_counter() - started,
    )


def _predict(model: LogisticModel, row: list[float]) -> ChurnPrediction:
    probability = float(model.predict_proba([row])[0])
    means = dict(zip(model.features, model.mean.tolist(), strict=True))
    reasons = [_reason(c.feature, c.value, means[c.feature]) for c in model.explain(row, top=3)]
    return ChurnPrediction(probability, reasons, dict(zip(model.features, row, strict=True)))


def predict_churn(learner, now: datetime | None = None) -> ChurnPrediction | None:
    """The learner's churn probability now, or ``None`` without a model or without any booking."""
    row_model, model = store.loaded(PredictionModel.CHURN, LogisticModel.from_dict)
    if model is None:
        return None
    history = learner_histories([learner.pk]).get(learner.pk)
    row = churn_row(history, now or timezone.now()) if history else None
    return _predict(model, row) if row is not None else None


def score_churn(now: datetime | None = None) -> int:
    """Score every learner who has booked with the serving model; returns how many were scored."""
    now = now or timezone.now()
    row_model, model = store.loaded(PredictionModel.CHURN, LogisticModel.from_dict)
    if model is None:
        return 0
    scored = []
    for learner_id, history in learner_histories().items():
        row = churn_row(history, now)
        if row is not None:
            scored.append((learner_id, _predict(model, row)))
    with transaction.atomic():
        ChurnScore.objects.exclude(learner_id__in=[i for i, _ in scored]).delete()
        for learner_id, prediction in scored:
            ChurnScore.objects.update_or_create(
                learner_id=learner_id,
                defaults={
                    "probability": prediction.probability,
                    "reasons": prediction.reasons,
                    "features": prediction.features,
                    "model": row_model,
                    "computed_at": now,
                },
            )
    return len(scored)


def at_risk(threshold: float | None = None, limit: int = 200):
    """Learners whose latest churn probability is at least ``threshold`` (the site setting by default)."""
    if threshold is None:
        threshold = AnalyticsSettings.load().at_risk_threshold / 100
    return (
        ChurnScore.objects.filter(probability__gte=threshold, learner__is_active=True)
        .select_related("learner")
        .order_by("-probability", "learner_id")[:limit]
    )
