"""A standardised logistic regression that can say *why* it scored a case high.

Used for churn and session success. A linear model is chosen on purpose: on the
offline evaluation (``bench/analytics.py``, which fits both on the same rows)
it is at least as accurate as gradient boosting (``ml.boosting``), and each
prediction splits into per-feature contributions, which is what an editor needs
to decide how to reach out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


class NotEnoughData(ValueError):
    """The training set cannot identify a model (too few cases, or only one outcome)."""


@dataclass(frozen=True)
class Contribution:
    feature: str
    value: float
    contribution: float  # in log-odds; positive pushes the probability up


def strongest_contributions(
    features: Sequence[str], row: Sequence[float], parts: np.ndarray, top: int, direction: int
) -> list[Contribution]:
    """The ``top`` features whose log-odds ``parts`` push furthest in ``direction`` (+1 up, -1 down).

    Every model with per-feature contributions explains a person's score this way.
    """
    order = np.argsort(-direction * parts, kind="mergesort")
    out = []
    for index in order[:top]:
        if direction * parts[index] <= 0:
            break
        out.append(Contribution(features[index], float(row[index]), float(parts[index])))
    return out


@dataclass
class LogisticModel:
    features: list[str]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    meta: dict[str, Any] = field(default_factory=dict)

    # --- fitting -------------------------------------------------------------

    @classmethod
    def fit(
        cls,
        X: np.ndarray | Sequence[Sequence[float]],
        y: np.ndarray | Sequence[int],
        features: Sequence[str],
        *,
        C: float = 1.0,
        min_per_class: int = 2,
    ) -> LogisticModel:
        """Fit on rows ``X`` (one column per name in ``features``) and outcomes ``y`` (0/1)."""
        from sklearn.linear_model import LogisticRegression

        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=int)
        if X.ndim != 2 or X.shape[1] != len(features):
            raise ValueError(f"X has shape {X.shape}, expected (n, {len(features)})")
        if len(y) != len(X):
            raise ValueError("X and y differ in length")
        positives = int(y.sum())
        negatives = len(y) - positives
        if positives < min_per_class or negatives < min_per_class:
            raise NotEnoughData(
                f"need at least {min_per_class} cases of each outcome, have {positives} positive "
                f"and {negatives} negative"
            )
        mean = X.mean(axis=0)
        scale = X.std(axis=0)
        scale[scale < 1e-9 * np.maximum(1.0, np.abs(mean))] = 1.0  # constant in training: no effect
        Z = (X - mean) / scale
        lr = LogisticRegression(C=C, max_iter=5000)
        lr.fit(Z, y)
        return cls(
            features=list(features),
            mean=mean,
            scale=scale,
            coef=lr.coef_[0].astype(float),
            intercept=float(lr.intercept_[0]),
            meta={"n": len(y), "positives": positives, "base_rate": positives / len(y)},
        )

    # --- using ---------------------------------------------------------------

    def _z(self, X: np.ndarray) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        return (X - self.mean) / self.scale

    def predict_proba(self, X: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """The probability of the positive outcome for each row."""
        logits = self._z(np.asarray(X, dtype=float)) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -40, 40)))

    def contributions(self, X: np.ndarray | Sequence[Sequence[float]]) -> tuple[np.ndarray, float]:
        """Per-row, per-feature log-odds contributions and the intercept; they add up to the log-odds."""
        return self._z(np.asarray(X, dtype=float)) * self.coef, self.intercept

    def explain(self, row: Sequence[float], top: int = 3, *, direction: int = 1) -> list[Contribution]:
        """The features that pushed this row's score the most in ``direction`` (+1 up, -1 down)."""
        return strongest_contributions(self.features, row, self.contributions([row])[0][0], top, direction)

    # --- storage -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "logistic",
            "features": self.features,
            "mean": self.mean.tolist(),
            "scale": self.scale.tolist(),
            "coef": self.coef.tolist(),
            "intercept": self.intercept,
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LogisticModel:
        if data.get("type") != "logistic":
            raise ValueError("not a stored logistic model")
        return cls(
            features=list(data["features"]),
            mean=np.asarray(data["mean"], dtype=float),
            scale=np.asarray(data["scale"], dtype=float),
            coef=np.asarray(data["coef"], dtype=float),
            intercept=float(data["intercept"]),
            meta=dict(data.get("meta") or {}),
        )
