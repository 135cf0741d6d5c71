"""Small pieces the built-in recommenders share: settings, signal weights, matrices, blobs, item indexes.

Only NumPy/SciPy and ``core.plugins``: a third-party recommender would carry
its own copy of whatever it needs from here.
"""

from __future__ import annotations

import io
import math
from abc import abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from scipy import sparse

from core.plugins import (
    SIGNAL_WEIGHTS,
    Candidates,
    Interaction,
    PluginMeta,
    Reason,
    Recommender,
    RecommenderScores,
    UserFeatures,
)


def gettext_noop(message: str) -> str:
    """Mark ``message`` for the catalogue (makemessages) without translating it: safe at import,
    before Django's settings exist; the core translates it where it is shown."""
    return message


def ngettext_noop(singular: str, plural: str) -> tuple[str, str]:
    """Mark a message and its plural for the catalogue as one entry (``manage.py makemessages``
    collects this name); the core picks the form a :class:`~core.plugins.Reason`'s count needs."""
    return singular, plural


#: "teaches Python and Django, which you listed": one whole sentence per kind of item, for translators.
LISTED_REASONS = {
    "mentor": gettext_noop("teaches {skills}, which you listed"),
    "session": gettext_noop("covers {skills}, which you listed"),
}
LISTED_REASON_OTHER = gettext_noop("is about {skills}, which you listed")


def signal_weights(overrides: Mapping[str, Any] | None = None) -> dict[str, float]:
    """The default per-kind weights with a plugin's settings laid over them."""
    weights = dict(SIGNAL_WEIGHTS)
    for kind, value in (overrides or {}).items():
        if value is not None:
            weights[kind] = float(value)
    return weights


def positive_signals(interactions: Iterable[Interaction], weights: Mapping[str, float]) -> dict[tuple[int, str], float]:
    """Strongest positive signal per (user, item); a dismissal cancels the pair.

    Taking the maximum (not the sum) keeps ten views from outweighing a booking.
    """
    best: dict[tuple[int, str], float] = {}
    dismissed: set[tuple[int, str]] = set()
    for it in interactions:
        pair = (it.user_id, it.item)
        if it.kind == "dismiss":
            dismissed.add(pair)
            continue
        w = weights.get(it.kind, 0.0)
        if w > 0 and w > best.get(pair, 0.0):
            best[pair] = w
    for pair in dismissed:
        best.pop(pair, None)
    return best


def signal_times(interactions: Iterable[Interaction], weights: Mapping[str, float]) -> dict[tuple[int, str], float]:
    """When each (user, item) pair's strongest positive signal happened (Unix seconds, the latest of ties).

    The companion of :func:`positive_signals`: the time of the interaction whose weight it kept.
    """
    best: dict[tuple[int, str], tuple[float, float]] = {}
    for it in interactions:
        w = weights.get(it.kind, 0.0)
        if w <= 0:
            continue
        pair = (it.user_id, it.item)
        seconds = it.at.timestamp()
        held = best.get(pair)
        if held is None or (w, seconds) > held:
            best[pair] = (w, seconds)
    return {pair: seconds for pair, (_w, seconds) in best.items()}


def history_vector(
    history: Sequence[Interaction], index: Mapping[str, int], weights: Mapping[str, float]
) -> tuple[np.ndarray, np.ndarray]:
    """(item indices, weights) of a user's positive history within ``index``."""
    by_item = positive_signals(history, weights)
    cols = [(index[item], w) for (_user, item), w in by_item.items() if item in index]
    if not cols:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    idx, vals = zip(*cols, strict=True)
    return np.asarray(idx, dtype=np.int64), np.asarray(vals, dtype=np.float32)


def user_item_matrix(
    pairs: Mapping[tuple[int, str], float],
) -> tuple[sparse.csr_matrix, list[int], list[str]]:
    """A users x items CSR matrix with its row (user id) and column (item key) labels."""
    users = sorted({u for u, _ in pairs})
    items = sorted({i for _, i in pairs})
    uix = {u: n for n, u in enumerate(users)}
    iix = {i: n for n, i in enumerate(items)}
    rows = np.fromiter((uix[u] for u, _ in pairs), dtype=np.int64, count=len(pairs))
    cols = np.fromiter((iix[i] for _, i in pairs), dtype=np.int64, count=len(pairs))
    vals = np.fromiter(pairs.values(), dtype=np.float32, count=len(pairs))
    matrix = sparse.csr_matrix((vals, (rows, cols)), shape=(len(users), len(items)), dtype=np.float32)
    return matrix, users, items


def listed_reason(item: str, skills: Sequence[str], limit: int = 3) -> Reason:
    """Why ``item`` matches the user's listed interests: "teaches Python and Django, which you listed".

    The core joins the skills and translates the sentence in the reader's language.
    """
    message = LISTED_REASONS.get(item.split(":", 1)[0], LISTED_REASON_OTHER)
    return Reason(message, values={"skills": tuple(skills)[:limit]})


def top_indices(values: np.ndarray, n: int) -> np.ndarray:
    """Indices of the ``n`` largest values, largest first (argpartition, not a full sort)."""
    if n <= 0 or values.size == 0:
        return np.empty(0, dtype=np.int64)
    if n >= values.size:
        return np.argsort(-values, kind="stable")
    part = np.argpartition(-values, n - 1)[:n]
    return part[np.argsort(-values[part], kind="stable")]


def strongest(scores: np.ndarray, n: int, above: float = -math.inf) -> np.ndarray:
    """Positions of the ``n`` highest scores above ``above``, highest first; NaN (not scored) never counts."""
    values = np.where(np.isnan(scores), -np.inf, scores)
    top = top_indices(values, n)
    return top[values[top] > above]


def dump_arrays(compress: bool = True, **arrays: Any) -> bytes:
    """NumPy arrays (and lists of strings) as one ``.npz`` blob: no pickle, safe to load.

    Dense float matrices barely compress: pass ``compress=False`` for those.
    """
    buffer = io.BytesIO()
    save = np.savez_compressed if compress else np.savez
    save(buffer, **{k: np.asarray(v) for k, v in arrays.items()})
    return buffer.getvalue()


def load_arrays(blob: bytes) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def dump_csr(prefix: str, matrix: sparse.csr_matrix) -> dict[str, np.ndarray]:
    return {
        f"{prefix}_data": matrix.data,
        f"{prefix}_indices": matrix.indices,
        f"{prefix}_indptr": matrix.indptr,
        f"{prefix}_shape": np.asarray(matrix.shape),
    }


def load_csr(prefix: str, arrays: Mapping[str, np.ndarray]) -> sparse.csr_matrix:
    return sparse.csr_matrix(
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
        shape=tuple(int(x) for x in arrays[f"{prefix}_shape"]),
    )


def setting(config: Mapping[str, Any], name: str, default: Any) -> Any:
    """A plugin setting, or ``default`` when it is unset (``None`` or empty)."""
    value = config.get(name)
    return default if value is None or value == "" else value


def settings(config: Mapping[str, Any], meta: PluginMeta) -> dict[str, Any]:
    """Every setting ``meta`` declares: the configured value, or the declared default when unset."""
    return {field.name: setting(config, field.name, field.initial()) for field in meta.settings}


class IndexedRecommender(Recommender):
    """A recommender whose fitted state is arrays over its own list of items.

    Keeps ``items`` and the ``index`` (item key -> row) that
    :meth:`Candidates.take` aligns with; a new index is built on every fit or
    load, so alignments remembered for the old one are never reused. The
    blob is an ``.npz`` of ``items`` plus :meth:`state`.
    """

    compress_blob = True  # dense float matrices barely compress: subclasses holding one switch it off

    def _set_items(self, items: Iterable[str]) -> None:
        self.items: list[str] = list(items)
        self.index: dict[str, int] = {item: n for n, item in enumerate(self.items)}

    @abstractmethod
    def state(self) -> dict[str, Any]:
        """The arrays (besides ``items``) that make up the fitted model."""

    @abstractmethod
    def restore(self, items: list[str], arrays: Mapping[str, np.ndarray]) -> None:
        """Set the fitted state from what :meth:`state` saved."""

    def dumps(self) -> bytes:
        return dump_arrays(compress=self.compress_blob, items=np.asarray(self.items, dtype=str), **self.state())

    def loads(self, blob: bytes) -> None:
        arrays = load_arrays(blob)
        self.restore([str(x) for x in arrays.pop("items")], arrays)


def unscored(candidates: Candidates) -> RecommenderScores:
    """The answer of a recommender with nothing to say for this user: every candidate NaN."""
    return RecommenderScores(scores=np.full(len(candidates), np.nan))


class VectorRecommender(IndexedRecommender):
    """The same answer for everyone: one value per item and a reason per item, both fixed at fit/load time."""

    def __init__(self) -> None:
        self._set_vector([], np.zeros(0))

    def _set_vector(self, items: Iterable[str], values: np.ndarray) -> None:
        self._set_items(items)
        self.values = np.asarray(values, dtype=np.float64)
        self.reasons: dict[str, str | Reason] = {item: self.reason(n) for n, item in enumerate(self.items)}

    @abstractmethod
    def reason(self, row: int) -> str | Reason:
        """The phrase shown for the item in ``row``."""

    def score(self, user: UserFeatures, candidates: Candidates) -> RecommenderScores:
        return RecommenderScores(scores=candidates.take(self.index, self.values), reasons=self.reasons)
