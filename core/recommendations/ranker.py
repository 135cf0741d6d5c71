"""The hybrid ranker: blend, filter, diversify and explain (no Django, no I/O).

The services module gathers the data (the catalogue, fitted recommenders, the
user) and hands them here; the offline benchmark (``bench/recommenders.py``)
calls the same :func:`normalise` and :func:`raw_vector` so the figures it
prints are those of the code that serves the site.

Everything that does not depend on the user (keys, parent links, owners, the
"new" flags) is laid out as arrays once per catalogue snapshot
(:class:`Catalogue`); a request does NumPy over the whole catalogue and
touches Python objects only for the few dozen items it considers showing.

Steps, in order:

1. each recommender's raw scores are min-max normalised over the catalogue
   items it scored (an item it did not score counts 0; the range is the same
   for every user, whatever they dismissed); a session a recommender did not
   score inherits ``PARENT_SHARE`` of its mentor's score;
2. the site's weight of a family is split between the family's recommenders
   that had anything to say for this user, in proportion to their ``weight``
   (so a learner with no ratings gets all the collaborative weight through the
   implicit model, and a family with nothing to say drops out);
3. items the user cannot book are dropped, best first, in chunks;
4. the top is re-ordered by maximal marginal relevance (MMR);
5. a share of the slots goes to new mentors (exploration);
6. each item gets the reason of the recommender that contributed most to it.

A recommender's answer is checked when it comes back (its shape, through the
plugin manager); reasons and "because" items are read only for the items
shown, so they are checked here, where they are read. Whatever goes wrong
while the ranker reads one recommender's answer is raised as
:class:`BadAnswer` naming that recommender, so the services can charge its
plugin and rank without it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from itertools import repeat

import numpy as np
from django.utils.translation import gettext, ngettext

from core.plugins import BUILTIN_FAMILIES, Candidates, Reason, RecommenderScores


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue (makemessages) without translating it: safe at import,
    before Django's settings exist; the core translates it where it is shown."""
    return message


FAMILIES = BUILTIN_FAMILIES
PARENT_SHARE = 0.8
NEW_ITEM_REASON = gettext_noop("new on PeerLearn")


class BadAnswer(Exception):
    """Using the answer of recommender ``key`` failed; ``error`` says how."""

    def __init__(self, key: str, error: Exception) -> None:
        super().__init__(f"{key}: {type(error).__name__}: {error}")
        self.key = key
        self.error = error


@contextmanager
def _reading(key: str) -> Iterator[None]:
    """Attribute any error raised while reading recommender ``key``'s answer to it."""
    try:
        yield
    except BadAnswer:
        raise
    except Exception as exc:
        raise BadAnswer(key, exc) from exc


@dataclass(frozen=True)
class Weights:
    """Blend weights per family (the site setting's defaults).

    ``declared`` holds the weights of families plugins declared (only those
    whose plugin is enabled: a family missing here weighs 0).
    """

    content: float = 0.4
    collaborative: float = 0.3
    popularity: float = 0.2
    trending: float = 0.1
    declared: Mapping[str, float] = field(default_factory=dict, hash=False)

    def of(self, family: str) -> float:
        if family in FAMILIES:
            return float(getattr(self, family))
        return float(self.declared.get(family, 0.0))

    def as_dict(self) -> dict[str, float]:
        """Every family's weight, built-in ones first."""
        return {**{f: self.of(f) for f in FAMILIES}, **{f: float(w) for f, w in self.declared.items()}}

    def validate(self) -> None:
        values = list(self.as_dict().values())
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
    mentor_name: str = ""  # a session's mentor, named under its title ("with Ada")

    @property
    def shown_subtitle(self) -> str:
        """The line under the title, in the reader's language (candidates are cached across languages)."""
        if self.mentor_name:
            return gettext("with %(mentor)s") % {"mentor": self.mentor_name}
        return self.subtitle


@dataclass(frozen=True, eq=False)
class Catalogue:
    """The candidates as arrays, built once per catalogue snapshot rather than per request.

    ``keys`` is what recommenders score: the candidates' keys (rows
    ``0..len(items) - 1``), then the parents (mentors) that sessions inherit
    from but that are not candidates themselves.
    """

    items: tuple[Candidate, ...]
    keys: Candidates
    parents: np.ndarray  # per row of ``keys``: the row of its parent, -1 without one
    owners: np.ndarray  # per candidate: the owner's user id, -1 without one
    new: np.ndarray  # per candidate: a new mentor's item (exploration)
    rows: Mapping[str, int]  # key -> row of ``keys``

    @classmethod
    def of(cls, candidates: Iterable[Candidate]) -> Catalogue:
        items = tuple(candidates)
        keys = [c.key for c in items]
        known = set(keys)
        keys += sorted({c.parent for c in items if c.parent} - known)
        rows = {k: n for n, k in enumerate(keys)}
        parents = np.full(len(keys), -1, dtype=np.intp)
        for n, c in enumerate(items):
            if c.parent is not None:
                parents[n] = rows[c.parent]
        owners = np.fromiter(
            (-1 if c.owner_user_id is None else c.owner_user_id for c in items), dtype=np.int64, count=len(items)
        )
        new = np.fromiter((c.is_new for c in items), dtype=bool, count=len(items))
        for array in (parents, owners, new):
            array.flags.writeable = False
        return cls(items, Candidates(keys), parents, owners, new, rows)

    def __len__(self) -> int:
        return len(self.items)

    def allowed(self, exclude: Collection[str], user_id: int | None) -> np.ndarray:
        """Candidates that are neither excluded (dismissed) nor the user's own."""
        mask = np.ones(len(self.items), dtype=bool) if user_id is None else self.owners != user_id
        for key in exclude:
            row = self.rows.get(key, -1)
            if 0 <= row < len(self.items):
                mask[row] = False
        return mask


@dataclass(frozen=True)
class RecommenderOutput:
    """One recommender's answer for this user; ``result.scores`` is aligned with the scored keys.

    Build it with :meth:`of`, which aligns and checks what the recommender returned.
    """

    key: str
    family: str
    weight: float
    result: RecommenderScores

    def __post_init__(self) -> None:
        if not isinstance(self.result.scores, np.ndarray):
            raise TypeError("RecommenderOutput needs aligned array scores; build it with RecommenderOutput.of()")

    @classmethod
    def of(
        cls, key: str, family: str, weight: float, result: RecommenderScores, keys: Sequence[str]
    ) -> RecommenderOutput:
        return cls(key, family, weight, replace(result, scores=raw_vector(keys, result.scores)))

    @property
    def scores(self) -> np.ndarray:
        return self.result.scores  # type: ignore[return-value]  # aligned by __post_init__'s check

    @cached_property
    def speaks(self) -> bool:
        """Whether it scored anything for this user."""
        return bool(np.isfinite(self.scores).any())


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


def raw_vector(keys: Sequence[str], scores: np.ndarray | Mapping[str, float]) -> np.ndarray:
    """A recommender's scores as a new float64 array aligned with ``keys``, NaN where it gave none.

    The one place an answer is checked and converted: an array must be 1-D and
    as long as ``keys``; a mapping (older plugins) is looked up key by key.
    """
    if isinstance(scores, Mapping):
        values = np.fromiter(map(scores.get, keys, repeat(math.nan)), dtype=np.float64, count=len(keys))
    else:
        values = np.array(scores, dtype=np.float64)
        if values.shape != (len(keys),):
            raise ValueError(f"scores must be one number per candidate ({len(keys)}), got shape {values.shape}")
    values[~np.isfinite(values)] = math.nan
    return values


def family_shares(outputs: Sequence[RecommenderOutput], weights: Weights) -> dict[str, float]:
    """Each recommender's weight: its family's weight split among the family's speakers."""
    speaking = [o for o in outputs if o.weight > 0 and o.speaks]
    per_family: dict[str, float] = {}
    for o in speaking:
        per_family[o.family] = per_family.get(o.family, 0.0) + o.weight
    return {o.key: weights.of(o.family) * o.weight / per_family[o.family] for o in speaking}


def blend(outputs: Sequence[RecommenderOutput], weights: Weights, parents: np.ndarray | None = None) -> Blend:
    """Normalised, weighted sum of every recommender's scores (all aligned with the same keys).

    ``parents[n]`` is the row whose score row ``n`` inherits (``PARENT_SHARE``
    of it, a session from its mentor) where a recommender did not score row
    ``n``; -1 where there is none.
    """
    shares = family_shares(outputs, weights)
    size = len(outputs[0].scores) if outputs else (0 if parents is None else len(parents))
    total = np.zeros(size, dtype=np.float64)
    parts: dict[str, np.ndarray] = {}
    children = np.flatnonzero(parents >= 0) if parents is not None else np.empty(0, dtype=np.intp)
    for o in outputs:
        share = shares.get(o.key, 0.0)
        if share <= 0:
            continue
        raw = o.scores
        norm = normalise(raw)
        if len(children):
            unscored = children[np.isnan(raw[children])]
            norm[unscored] = PARENT_SHARE * norm[parents[unscored]]
        norm *= share
        parts[o.key] = norm
        total += norm
    return Blend(total=total, parts=parts)


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
    """The reason of the recommender that contributed most (a session may use its mentor's).

    Raises :class:`BadAnswer` when a recommender's reason or "because" items are not what the contract says.
    """
    by_key = {o.key: o for o in outputs}
    for rec_key, value in sorted(parts.items(), key=lambda kv: -kv[1]):
        if value <= 0 or rec_key not in by_key:
            continue
        with _reading(rec_key):
            reason = _reason(by_key[rec_key].result, key, parent, title_of)
        if reason:
            return reason
    return ""


def _reason(result: RecommenderScores, key: str, parent: str | None, title_of: Callable[[str], str]) -> str:
    for item in (key, parent):
        if item is None or item not in result.reasons:
            continue
        reason = result.reasons[item]
        if isinstance(reason, Reason):
            reason = render_reason(reason)
        elif isinstance(reason, str):
            # A plugin's fixed reason ("similar to {because}") is a message of the catalogue: shown in the
            # reader's language here, where the request's language is active (plugins may run in other threads).
            reason = gettext(reason)
        else:
            raise TypeError(f"the reason for {item} is {type(reason).__name__} {reason!r:.80}, not text")
        if "{because}" in reason:
            names = [title_of(k) for k in _because(result, item)]
            names = [n for n in names if n]
            if not names:
                continue
            reason = reason.replace("{because}", _join(names))
        return reason[:1].upper() + reason[1:]
    return ""


def render_reason(reason: Reason) -> str:
    """A :class:`Reason` in the active language: its message (or the plural form ``count`` needs), values filled.

    Raises :class:`TypeError` for a reason that is not what the contract says (charged to its plugin).
    """
    if not isinstance(reason.message, str) or not isinstance(reason.plural, str):
        raise TypeError(f"a reason's message is {type(reason.message).__name__}, not text")
    values = dict(reason.values)
    if reason.plural:
        if not isinstance(reason.count, int) or isinstance(reason.count, bool):
            raise TypeError(f"a plural reason's count is {type(reason.count).__name__} {reason.count!r:.40}")
        text = ngettext(reason.message, reason.plural, reason.count)
        values.setdefault("count", reason.count)
    else:
        text = gettext(reason.message)
    for name, value in values.items():
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            value = _join(value)
        elif not isinstance(value, (str, int)) or isinstance(value, bool):
            raise TypeError(f"the reason's value {name!r} is {type(value).__name__} {value!r:.40}")
        text = text.replace("{" + name + "}", str(value))
    return text


def _because(result: RecommenderScores, item: str) -> Sequence[str]:
    """The history items ``item``'s reason names, checked to be item keys."""
    named = result.because.get(item, ())
    if not isinstance(named, (list, tuple)) or not all(isinstance(k, str) for k in named):
        raise TypeError(f"because[{item!r}] is {type(named).__name__} {named!r:.80}, not a list of item keys")
    return named


def _join(names: Sequence[str]) -> str:
    names = list(names)[:3]
    if len(names) == 1:
        return names[0]
    return gettext("%(names)s and %(last)s") % {"names": ", ".join(names[:-1]), "last": names[-1]}


@dataclass
class RankRequest:
    """Everything one ranking needs; built by the services from the database.

    ``outputs`` are aligned with ``catalogue.keys``. ``bookable`` gets a
    batch of candidates, best first, and answers the keys the user can book;
    ``titles`` gets the item keys an explanation names and answers their
    display names (called once, for the items shown).
    """

    catalogue: Catalogue
    outputs: Sequence[RecommenderOutput]
    weights: Weights
    limit: int = 10
    diversity_lambda: float = 0.7
    exploration_share: float = 0.0
    exclude: frozenset[str] = frozenset()
    user_id: int | None = None
    bookable: Callable[[Sequence[Candidate]], Iterable[str]] | None = None
    titles: Callable[[Collection[str]], Mapping[str, str]] = lambda keys: {}
    pool_factor: int = 3


def top_rows(values: np.ndarray, n: int) -> np.ndarray:
    """Rows of the ``n`` largest values, largest first, ties by row (a stable sort's order, without the sort)."""
    n = min(max(n, 0), len(values))
    if n == 0:
        return np.empty(0, dtype=np.intp)
    if n == len(values):
        return np.argsort(-values, kind="stable")
    part = np.argpartition(-values, n - 1)[:n]
    edge = values[part].min()
    above = np.flatnonzero(values > edge)
    tied = np.flatnonzero(values == edge)[: n - len(above)]
    rows = np.concatenate([above, tied])
    return rows[np.lexsort((rows, -values[rows]))]


def rank(request: RankRequest) -> list[RankedItem]:
    """The hybrid list for one user (see the module docstring for the steps)."""
    limit = max(int(request.limit), 0)
    catalogue = request.catalogue
    if limit == 0 or not len(catalogue):
        return []
    allowed = catalogue.allowed(request.exclude, request.user_id)
    n_allowed = int(allowed.sum())
    if not n_allowed:
        return []
    blended = blend(request.outputs, request.weights, catalogue.parents)
    total = blended.total[: len(catalogue)]
    score = np.where(allowed, total, -np.inf)
    check = request.bookable or (lambda batch: [c.key for c in batch])
    pool_size = limit * max(request.pool_factor, 1)
    n_explore = exploration_slots(limit, request.exploration_share)

    pool, checked, bookable = _bookable_pool(catalogue, score, n_allowed, pool_size, check)
    diversified = mmr(
        [(catalogue.items[i], float(total[i])) for i in pool[:pool_size]], limit, request.diversity_lambda
    )

    explore_keys: set[str] = set()
    if n_explore:
        wanted = max(n_explore - sum(1 for c, _ in diversified if c.is_new), 0)
        eligible = catalogue.new & allowed
        eligible[[catalogue.rows[c.key] for c, _ in diversified]] = False
        extra = _new_items(request, blended, score, eligible, checked, bookable, wanted, check)
        if extra:
            keep = diversified[: limit - len(extra)]
            length = len(keep) + len(extra)
            for n, item in enumerate(extra):  # evenly spaced, e.g. 5th of 10
                keep.insert(min(round((n + 1) * length / (len(extra) + 1)) - 1, len(keep)), item)
            diversified = keep
            explore_keys = {c.key for c, _ in extra}

    shown = diversified[:limit]
    named = _named(shown, request.outputs)
    titles = request.titles(named) if named else {}
    ranked: list[RankedItem] = []
    for candidate, relevance in shown:
        row = catalogue.rows[candidate.key]
        parts = {k: float(v[row]) for k, v in blended.parts.items() if v[row] > 0}
        explanation = explain(candidate.key, parts, request.outputs, candidate.parent, titles.get)
        if not explanation and candidate.is_new:
            reason = gettext(NEW_ITEM_REASON)
            explanation = reason[:1].upper() + reason[1:]
        ranked.append(
            RankedItem(
                candidate=candidate,
                score=float(relevance),
                parts=parts,
                explanation=explanation,
                exploration=candidate.key in explore_keys,
                relevance=float(relevance),
            )
        )
    return ranked


def _named(shown: Sequence[tuple[Candidate, float]], outputs: Sequence[RecommenderOutput]) -> set[str]:
    """The history items explanations of the shown items may name ("learners who booked X")."""
    named: set[str] = set()
    for o in outputs:
        with _reading(o.key):
            for candidate, _ in shown:
                for item in (candidate.key, candidate.parent):
                    if item is not None:
                        named.update(_because(o.result, item))
    return named


def _bookable_pool(
    catalogue: Catalogue,
    score: np.ndarray,
    n_allowed: int,
    size: int,
    check: Callable[[Sequence[Candidate]], Iterable[str]],
) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Rows of the best bookable candidates (``size`` of them when there are), best first.

    Availability is checked a chunk at a time, best first, so a long catalogue
    costs a few checks rather than one per item, and only the best rows are
    ever sorted. Also returns which rows were checked and which of those
    were bookable (masks over the candidates).
    """
    pool: list[int] = []
    chunk = max(size, 16)
    rows = np.empty(0, dtype=np.intp)
    while len(pool) < size and len(rows) < n_allowed:
        done = len(rows)
        rows = top_rows(score, min(done + chunk, n_allowed))
        batch = [catalogue.items[i] for i in rows[done:]]
        ok = set(check(batch))
        pool.extend(int(i) for i, c in zip(rows[done:], batch, strict=True) if c.key in ok)
        chunk *= 2
    checked = np.zeros(len(score), dtype=bool)
    checked[rows] = True
    bookable = np.zeros(len(score), dtype=bool)
    bookable[pool] = True
    return pool, checked, bookable


def _new_items(
    request: RankRequest,
    blended: Blend,
    score: np.ndarray,
    eligible: np.ndarray,
    checked: np.ndarray,
    bookable: np.ndarray,
    wanted: int,
    check: Callable[[Sequence[Candidate]], Iterable[str]],
) -> list[tuple[Candidate, float]]:
    """Up to ``wanted`` bookable items among ``eligible``: closest in content first, then best scored.

    Rows already ``checked`` count only if found ``bookable``; the others are
    checked here, a batch at a time, in that order.
    """
    rows = np.flatnonzero(eligible & (bookable | ~checked))
    if wanted <= 0 or not len(rows):
        return []
    content = np.zeros(len(rows))
    for o in request.outputs:
        if o.family == "content" and o.key in blended.parts:
            content += blended.parts[o.key][rows]
    rows = rows[np.lexsort((rows, -score[rows], -np.maximum(content, 0.0)))]
    items = request.catalogue.items
    out: list[tuple[Candidate, float]] = []
    step = max(4 * wanted, 16)
    start = 0
    while len(out) < wanted and start < len(rows):
        batch = rows[start : start + step]
        ok = set(check([items[i] for i in batch if not checked[i]]))
        out.extend((items[i], float(score[i])) for i in batch if checked[i] or items[i].key in ok)
        start += step
        step *= 2
    return out[:wanted]
