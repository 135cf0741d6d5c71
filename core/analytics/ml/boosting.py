"""Gradient-boosted trees that, like the logistic model, say *why* they scored a case high.

Fitted with scikit-learn's ``HistGradientBoostingClassifier`` and then copied
into plain arrays (one set per tree), so the stored model is JSON like every
other model here and predicting needs only numpy. The reasons are exact
per-feature contributions to the log-odds: each split on a case's path moves
its score from the parent's expected value (the training-weighted mean of the
leaves below it) to the child's, and that move is credited to the split's
feature. They add up, with the base value, to the case's log-odds.

The interface matches :class:`~core.analytics.ml.linear.LogisticModel`
(``fit``, ``predict_proba``, ``explain``, ``to_dict``/``from_dict``), so the
offline evaluation can put the two side by side on the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .linear import Contribution, NotEnoughData, strongest_contributions

DEFAULT_PARAMS: dict[str, Any] = {
    "learning_rate": 0.05,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 100,
    "l2_regularization": 1.0,
    "max_iter": 500,
}


@dataclass
class Tree:
    """One regression tree on the log-odds scale; ``feature[i] == -1`` marks a leaf."""

    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    value: np.ndarray  # leaf value, or the expected value of the leaves below an inner node

    def to_dict(self) -> dict[str, list]:
        return {
            "feature": self.feature.tolist(),
            "threshold": self.threshold.tolist(),
            "missing_left": self.missing_left.astype(int).tolist(),
            "left": self.left.tolist(),
            "right": self.right.tolist(),
            "value": self.value.tolist(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, list]) -> Tree:
        return cls(
            feature=np.asarray(data["feature"], dtype=int),
            threshold=np.asarray(data["threshold"], dtype=float),
            missing_left=np.asarray(data["missing_left"], dtype=bool),
            left=np.asarray(data["left"], dtype=int),
            right=np.asarray(data["right"], dtype=int),
            value=np.asarray(data["value"], dtype=float),
        )

    def walk(self, X: np.ndarray, contributions: np.ndarray | None = None) -> np.ndarray:
        """Each row's leaf value; with ``contributions`` (n, features), add each split's move to it."""
        node = np.zeros(len(X), dtype=int)
        rows = np.arange(len(X))
        while True:
            inner = self.feature[node] >= 0
            if not inner.any():
                return self.value[node]
            r, n = rows[inner], node[inner]
            f = self.feature[n]
            x = X[r, f]
            go_left = np.where(np.isnan(x), self.missing_left[n], x <= self.threshold[n])
            child = np.where(go_left, self.left[n], self.right[n])
            if contributions is not None:
                np.add.at(contributions, (r, f), self.value[child] - self.value[n])
            node[r] = child


def _tree_from_sklearn(nodes: np.ndarray) -> Tree:
    """Copy one fitted sklearn tree, replacing inner values by the count-weighted mean of their leaves."""
    leaf = nodes["is_leaf"].astype(bool)
    feature = np.where(leaf, -1, nodes["feature_idx"]).astype(int)
    left = nodes["left"].astype(int)
    right = nodes["right"].astype(int)
    count = nodes["count"].astype(float)
    value = np.where(leaf, nodes["value"], 0.0).astype(float)
    # children always come after their parent: fill inner nodes from the last one back
    for i in range(len(nodes) - 1, -1, -1):
        if not leaf[i]:
            cl, cr = count[left[i]], count[right[i]]
            value[i] = (cl * value[left[i]] + cr * value[right[i]]) / max(cl + cr, 1.0)
    return Tree(
        feature=feature,
        threshold=np.where(leaf, 0.0, nodes["num_threshold"]).astype(float),
        missing_left=nodes["missing_go_to_left"].astype(bool),
        left=left,
        right=right,
        value=value,
    )


@dataclass
class BoostedModel:
    features: list[str]
    trees: list[Tree]
    baseline: float  # log-odds before any tree
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def fit(
        cls,
        X: np.ndarray | Sequence[Sequence[float]],
        y: np.ndarray | Sequence[int],
        features: Sequence[str],
        *,
        params: dict[str, Any] | None = None,
        seed: int = 0,
        min_per_class: int = 2,
    ) -> BoostedModel:
        """Fit on rows ``X`` and outcomes ``y`` (0/1); stops early on a tenth of ``X`` set aside."""
        from sklearn.ensemble import HistGradientBoostingClassifier

        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=int)
        if X.ndim != 2 or X.shape[1] != len(features):
            raise ValueError(f"X has shape {X.shape}, expected (n, {len(features)})")
        if len(y) != len(X):
            raise ValueError("X and y differ in length")
        positives = int(y.sum())
        if positives < min_per_class or len(y) - positives < min_per_class:
            raise NotEnoughData(
                f"need at least {min_per_class} cases of each outcome, have {positives} positive "
                f"and {len(y) - positives} negative"
            )
        chosen = {**DEFAULT_PARAMS, **(params or {})}
        # a tiny training set cannot spare rows for early stopping, nor fill leaves of 100
        small = len(y) < 1000
        if small:
            chosen["min_samples_leaf"] = min(chosen["min_samples_leaf"], max(1, len(y) // 20))
        gbm = HistGradientBoostingClassifier(
            **chosen,
            early_stopping=not small,
            validation_fraction=None if small else 0.1,
            n_iter_no_change=20,
            random_state=seed,
        )
        gbm.fit(X, y)
        trees = [_tree_from_sklearn(predictors[0].nodes) for predictors in gbm._predictors]
        return cls(
            features=list(features),
            trees=trees,
            baseline=float(np.ravel(gbm._baseline_prediction)[0]),
            meta={"n": len(y), "positives": positives, "base_rate": positives / len(y), "trees": len(trees)},
        )

    def _x(self, X: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        X = np.atleast_2d(np.asarray(X, dtype=float))
        if X.shape[1] != len(self.features):
            raise ValueError(f"X has {X.shape[1]} columns, the model {len(self.features)}")
        return X

    def decision_function(self, X: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """The log-odds of the positive outcome for each row."""
        X = self._x(X)
        return self.baseline + sum((tree.walk(X) for tree in self.trees), np.zeros(len(X)))

    def predict_proba(self, X: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
        """The probability of the positive outcome for each row."""
        return 1.0 / (1.0 + np.exp(-np.clip(self.decision_function(X), -40, 40)))

    def contributions(self, X: np.ndarray | Sequence[Sequence[float]]) -> tuple[np.ndarray, float]:
        """Per-row, per-feature log-odds contributions and the shared base value; they add up to the log-odds."""
        X = self._x(X)
        parts = np.zeros(X.shape, dtype=float)
        base = self.baseline
        for tree in self.trees:
            tree.walk(X, parts)
            base += float(tree.value[0])
        return parts, base

    def explain(self, row: Sequence[float], top: int = 3, *, direction: int = 1) -> list[Contribution]:
        """The features that pushed this row's score the most in ``direction`` (+1 up, -1 down)."""
        return strongest_contributions(self.features, row, self.contributions([row])[0][0], top, direction)

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "boosted_trees",
            "features": self.features,
            "baseline": self.baseline,
            "trees": [tree.to_dict() for tree in self.trees],
            "meta": self.meta,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BoostedModel:
        if data.get("type") != "boosted_trees":
            raise ValueError("not a stored boosted-trees model")
        return cls(
            features=list(data["features"]),
            trees=[Tree.from_dict(t) for t in data["trees"]],
            baseline=float(data["baseline"]),
            meta=dict(data.get("meta") or {}),
        )
