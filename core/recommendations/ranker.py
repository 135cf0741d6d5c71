"""The hybrid ranker: blend, filter, diversify and explain (no Django, no I/O).

The services module gathers the data (candidates, fitted recommenders, the
user) and hands them here; the offline benchmark (``bench/recommenders.py``)
calls the same :func:`normalise` and :func:`blend` so the figures it prints
are those of the code that serves the site.

Steps, in order:

1. each recommender's raw scores are min-max normalised over the items it
   scored (an item it did not score counts 0); a session a recommender did
   not score inherits ``PARENT_SHARE`` of its mentor's score;
2. the site's weight of a family is split between the family's recommenders
   that had anything to say for this user, in proportion to their ``weight``
   (so a learner with no ratings gets all the collaborative weight through the
   implicit model, and a family with nothing to say drops out);
3. items the user cannot book are dropped, best first, in chunks;
4. the top is re-ordered by maximal marginal relevance (MMR);
5. a share of the slots goes to new mentors (exploration);
6. each item gets the reason of the recommender that contributed most to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import repeat

import numpy as np

from core.plugins import RecommenderScores

FAMILIES = ("content", "collaborative", "popularity", "trending")
PARENT_SHARE = 0.8
NEW_ITEM_REASON = "new on PeerLearn"


@dataclass(frozen=True)
class Weights:
    """Blend weights per family (the site setting's defaults)."""

    content: float = 0.4
    collaborative: float = 0.3
    popularity: float = 0.2
    trending: float = 0.1

    def of(self, family: str) -> float:
        return float(getattr(self, family, 0.0))

    def validate(self) -> None:
        values = [self.of(f) for f in FAMILIES]
        if any(v < 0 or not math.isfinite(v) for v in values):
            raise ValueError("Weights must be finite and not negative.")
        if sum(values) <= 0:
            raise ValueError("At least one weight must be above zero.")


@dataclass(frozen=True)
class Candidate:
    """An item the user might be shown, with what the ranker and the page need."""

    key: str
    kind: str
    title: str
    url: str = ""
    subtitle: str = ""
    skills: frozenset[str] = frozenset()
    owner_user_id: int | None = None
    parent: str | None = None  # a session's mentor item
    is_new: bool = False
    starts_at: datetime | None = None
    price_minor: int | None = None
    currency: str = ""
    image_url: str = ""


@dataclass(frozen=True)
class RecommenderOutput:
    """One recommender's answer for this user."""

    key: str
    family: str
    weight: float
    result: RecommenderScores


@dataclass
class RankedItem:
    candidate: Candidate
    score: float
    parts: dict[str, float]
    explanation: str
    exploration: bool = False
    relevance: float = 0.0  # the blended score before diversification


@dataclass
class Blend:
    keys: list[str]
    total: np.ndarray
    parts: dict[str, np.ndarray] = field(default_factory=dict)


def normalise(values: np.ndarray) -> np.ndarray:
    """Min-max over the finite (scored) entries; NaN (not scored) becomes 0.

    A recommender whose scored items all tie gives each of them 1.
    """
    out = np.zeros(values.shape, dtype=np.float64)
    scored = np.isfinite(values)
    if not scored.any():
        return out
    present = values[scored]
    low, high = float(present.min()), float(present.max())
    if high > low:
        out[scored] = (present - low) / (high - low)
    elif high > 0 or low == high:
        out[scored] = 1.0
    return out


def raw_vector(keys: Sequence[str], scores: Mapping[str, float]) -> np.ndarray:
    """Scores aligned with ``keys`` (NaN where missing)."""
    values = np.fromiter(map(scores.get, keys, repeat(math.nan)), dtype=np.float64, count=len(keys))
    values[~np.isfinite(values)] = math.nan
    return values


def family_shares(outputs: Sequence[RecommenderOutput], weights: Weights) -> dict[str, float]:
    """Each recommender's weight: its family's weight split among the family's speakers."""
    speaking = [o for o in outputs if o.result.scores and o.weight > 0]
    per_family: dict[str, float] = {}
    for o in speaking:
        per_family[o.family] = per_family.get(o.family, 0.0) + o.weight
    return {o.key: weights.of(o.family) * o.weight / per_family[o.family] for o in speaking}


def blend(
    keys: Sequence[str],
    outputs: Sequence[RecommenderOutput],
    weights: Weights,
    parents: Mapping[str, str] | None = None,
) -> Blend:
    """Normalised, weighted sum of every recommender's scores over ``keys``.

    ``parents`` maps an item (a session) to the item whose score it inherits
    when a recommender did not score it (its mentor); parents need not be in
    ``keys`` but must have been scored for the inheritance to happen.
    """
    shares = family_shares(outputs, weights)
    parents = parents or {}
    total = np.zeros(len(keys), dtype=np.float64)
    parts: dict[str, np.ndarray] = {}
    extra = sorted({p for k in keys if (p := parents.get(k)) is not None} - set(keys))
    all_keys = list(keys) + extra
    position = {k: n for n, k in enumerate(all_keys)}
    pairs = [(n, position[p]) for n, k in enumerate(keys) if (p := parents.get(k)) is not None and p in position]
    children = np.fromiter((c for c, _ in pairs), dtype=np.intp, count=len(pairs))
    parent_rows = np.fromiter((p for _, p in pairs), dtype=np.intp, count=len(pairs))
    for o in outputs:
        share = shares.get(o.key, 0.0)
        if share <= 0:
            continue
        raw = raw_vector(all_keys, o.result.scores)
        norm = normalise(raw)
        if len(children):
            unscored = ~np.isfinite(raw[children])
            norm[children[unscored]] = PARENT_SHARE * norm[parent_rows[unscored]]
        contribution = share * norm[: len(keys)]
        parts[o.key] = contribution
        total += contribution
    return Blend(keys=list(keys), total=total, parts=parts)


def item_similarity(a: Candidate, b: Candidate) -> float:
    """1 for items of the same mentor, else the Jaccard similarity of their skills."""
    if a.owner_user_id is not None and a.owner_user_id == b.owner_user_id:
        return 1.0
    if not a.skills or not b.skills:
        return 0.0
    union = len(a.skills | b.skills)
    return len(a.skills & b.skills) / union if union else 0.0


def mmr(
    pool: Sequence[tuple[Candidate, float]],
    limit: int,
    lam: float,
    similarity: Callable[[Candidate, Candidate], float] = item_similarity,
) -> list[tuple[Candidate, float]]:
    """Maximal marginal relevance: ``lam * relevance - (1 - lam) * max similarity to chosen``.

    ``lam = 1`` keeps the relevance order; lower values trade relevance for
    variety. Relevance is scaled to [0, 1] by the pool's best score first.
    """
    if lam >= 1 or len(pool) <= 1:
        return list(pool[:limit])
    top = max(score for _, score in pool) or 1.0
    remaining = list(pool)
    chosen: list[tuple[Candidate, float]] = []
    closest = [0.0] * len(remaining)
    while remaining and len(chosen) < limit:
        values = [lam * (score / top) - (1 - lam) * closest[n] for n, (_, score) in enumerate(remaining)]
        best = max(range(len(remaining)), key=lambda n: (values[n], -n))
        picked = remaining.pop(best)
        closest.pop(best)
        chosen.append(picked)
        for n, (candidate, _) in enumerate(remaining):
            closest[n] = max(closest[n], similarity(candidate, picked[0]))
    return chosen


def exploration_slots(limit: int, share: float) -> int:
    """How many of ``limit`` slots go to new mentors (at least one when the share is set)."""
    if share <= 0 or limit <= 1:
        return 0
    return max(1, min(limit - 1, math.floor(limit * share + 0.5)))


def explain(
    key: str,
    parts: Mapping[str, float],
    outputs: Sequence[RecommenderOutput],
    parent: str | None,
    title_of: Callable[[str], str],
) -> str:
    """The reason of the recommender that contributed most (a session may use its mentor's)."""
    by_key = {o.key: o for o in outputs}
    for rec_key, value in sorted(parts.items(), key=lambda kv: -kv[1]):
        if value <= 0 or rec_key not in by_key:
            continue
        result = by_key[rec_key].result
        for item in (key, parent):
            if item is None or item not in result.reasons:
                continue
            reason = result.reasons[item]
            if "{because}" in reason:
                names = [title_of(k) for k in result.because.get(item, ())]
                names = [n for n in names if n]
                if not names:
                    continue
                reason = reason.replace("{because}", _join(names))
            return reason[:1].upper() + reason[1:]
    return ""


def _join(names: Sequence[str]) -> str:
    names = list(names)[:3]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


@dataclass
class RankRequest:
    """Everything one ranking needs; built by the services from the database."""

    candidates: Sequence[Candidate]
    outputs: Sequence[RecommenderOutput]
    weights: Weights
    limit: int = 10
    diversity_lambda: float = 0.7
    exploration_share: float = 0.0
    exclude: frozenset[str] = frozenset()
    user_id: int | None = None
    bookable: Callable[[Sequence[Candidate]], Iterable[str]] | None = None
    title_of: Callable[[str], str] = lambda key: ""
    pool_factor: int = 3


def rank(request: RankRequest) -> list[RankedItem]:
    """The hybrid list for one user (see the module docstring for the steps)."""
    limit = max(int(request.limit), 0)
    if limit == 0:
        return []
    candidates = [
        c
        for c in request.candidates
        if c.key not in request.exclude and (request.user_id is None or c.owner_user_id != request.user_id)
    ]
    if not candidates:
        return []
    keys = [c.key for c in candidates]
    parents = {c.key: c.parent for c in candidates if c.parent}
    blended = blend(keys, request.outputs, request.weights, parents)
    order = np.argsort(-blended.total, kind="stable")
    pool_size = limit * max(request.pool_factor, 1)
    n_explore = exploration_slots(limit, request.exploration_share)

    pool, later_new = _bookable_pool(candidates, blended.total, order, pool_size, request.bookable, n_explore > 0)
    diversified = mmr(pool, limit, request.diversity_lambda)

    explore_keys: set[str] = set()
    if n_explore:
        chosen_keys = {c.key for c, _ in diversified}
        wanted = max(n_explore - sum(1 for c, _ in diversified if c.is_new), 0)
        content = _content_parts(blended, request.outputs)
        extra = sorted(
            ((c, s) for c, s in [*pool, *later_new] if c.is_new and c.key not in chosen_keys),
            key=lambda cs: (-content.get(cs[0].key, 0.0), -cs[1]),
        )[:wanted]
        if extra:
            keep = diversified[: limit - len(extra)]
            length = len(keep) + len(extra)
            for n, item in enumerate(extra):  # evenly spaced, e.g. 5th of 10
                keep.insert(min(round((n + 1) * length / (len(extra) + 1)) - 1, len(keep)), item)
            diversified = keep
            explore_keys = {c.key for c, _ in extra}

    index = {k: n for n, k in enumerate(keys)}
    ranked: list[RankedItem] = []
    for candidate, relevance in diversified[:limit]:
        row = index[candidate.key]
        parts = {k: float(v[row]) for k, v in blended.parts.items() if v[row] > 0}
        explanation = explain(candidate.key, parts, request.outputs, candidate.parent, request.title_of)
        exploring = candidate.key in explore_keys
        if not explanation and candidate.is_new:
            explanation = NEW_ITEM_REASON[:1].upper() + NEW_ITEM_REASON[1:]
        ranked.append(
            RankedItem(
                candidate=candidate,
                score=float(relevance),
                parts=parts,
                explanation=explanation,
                exploration=exploring,
                relevance=float(relevance),
            )
        )
    return ranked


def _content_parts(blended: Blend, outputs: Sequence[RecommenderOutput]) -> dict[str, float]:
    content_keys = [o.key for o in outputs if o.family == "content" and o.key in blended.parts]
    if not content_keys:
        return {}
    summed = sum(blended.parts[k] for k in content_keys)
    return {blended.keys[i]: float(summed[i]) for i in np.flatnonzero(summed > 0)}


def _bookable_pool(
    candidates: Sequence[Candidate],
    total: np.ndarray,
    order: np.ndarray,
    size: int,
    bookable: Callable[[Sequence[Candidate]], Iterable[str]] | None,
    want_new: bool,
) -> tuple[list[tuple[Candidate, float]], list[tuple[Candidate, float]]]:
    """The best ``size`` bookable candidates, and the bookable new ones below them.

    Availability is checked a chunk at a time, best first, so a long catalogue
    costs a few checks rather than one per item. New items below the pool are
    returned too (checked in one go) so exploration has some to choose from.
    """
    check = bookable or (lambda batch: [c.key for c in batch])
    pool: list[tuple[Candidate, float]] = []
    chunk = max(size, 16)
    start = 0
    while len(pool) < size and start < len(order):
        rows = order[start : start + chunk]
        batch = [candidates[i] for i in rows]
        ok = set(check(batch))
        pool.extend((c, float(total[i])) for c, i in zip(batch, rows, strict=True) if c.key in ok)
        start += chunk
        chunk *= 2
    later = [(c, s) for c, s in pool[size:] if c.is_new]
    pool = pool[:size]
    if want_new:
        rest = [i for i in order[start:] if candidates[i].is_new]
        if rest:
            ok = set(check([candidates[i] for i in rest]))
            later.extend((candidates[i], float(total[i])) for i in rest if candidates[i].key in ok)
    return pool, later
