"""Evaluation measures, written out so that their exact definitions are on the page."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def roc_auc(y_true: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray) -> float:
    """Area under the ROC curve: the chance a random positive outscores a random negative (ties count half).

    Computed from average ranks (Mann-Whitney U). ``nan`` when one class is absent.
    """
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(scores, dtype=float)
    n_pos = int(y.sum())
    n_neg = int(len(y) - n_pos)
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), dtype=float)
    sorted_scores = s[order]
    # average ranks over ties (1-based)
    i = 0
    while i < len(s):
        j = i
        while j + 1 < len(s) and sorted_scores[j + 1] == sorted_scores[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    u = ranks[y].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def precision_at_fraction(
    y_true: Sequence[int] | np.ndarray, scores: Sequence[float] | np.ndarray, fraction: float
) -> float:
    """Share of positives among the top ``fraction`` of cases by score (at least one case).

    Ties at the cut are broken by the original order (a stable sort), so a
    constant score gives the base rate of the first cases, not an optimistic
    pick.
    """
    y = np.asarray(y_true, dtype=float)
    s = np.asarray(scores, dtype=float)
    if len(y) == 0:
        return float("nan")
    k = max(1, int(round(fraction * len(y))))
    top = np.argsort(-s, kind="mergesort")[:k]
    return float(y[top].mean())


def hit_rate(truths: Sequence[object], ranked: Sequence[Sequence[object]], k: int) -> float:
    """Share of cases whose true answer is among the first ``k`` suggestions."""
    if not truths:
        return float("nan")
    hits = sum(1 for truth, items in zip(truths, ranked, strict=True) if truth in list(items)[:k])
    return hits / len(truths)
