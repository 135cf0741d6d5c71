"""Collaborative filtering: what learners like you booked and rated.

Two recommenders, both scoring every candidate in one vectorised step:

* ``svd`` - scikit-surprise's SVD fitted on explicit star ratings. Scores are
  the predicted ratings ``mu + b_u + b_i + q_i . p_u`` computed for all items
  at once from the learnt factors with NumPy (Surprise's per-item ``predict``
  loop costs about 23 ms per user on MovieLens-sized data).
* ``ease`` - EASE^R (Steck, 2019), a closed-form item-to-item model for
  implicit feedback (bookings, attendance, clicks, views, ratings of any
  value): ``B = I - P / diag(P)`` with ``P = (X^T X + lambda I)^-1``. A user's
  scores are their history row times ``B``, so a booking made after the last
  fit already counts, and every score can name the history item it rests on
  ("learners who booked X also booked this").
"""

from __future__ import annotations

import numpy as np
from scipy import linalg
from surprise import SVD, Dataset, Reader

from core.plugins import (
    Candidates,
    PluginConfig,
    PluginMeta,
    Recommender,
    RecommenderScores,
    SettingField,
    TrainingData,
    UserFeatures,
    hookimpl,
)
from plugins.recommenders.common import (
    IndexedRecommender,
    history_vector,
    positive_signals,
    settings,
    signal_weights,
    strongest,
    top_indices,
    unscored,
    user_item_matrix,
)

peerlearn_meta = PluginMeta(
    name="Collaborative filtering",
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        "Matrix factorisation (scikit-surprise SVD) on star ratings and EASE^R on bookings, "
        "attendance, clicks and views."
    ),
    kind="recommender",
    core_versions=">=0.1,<1",
    settings=(
        SettingField(
            "ease_lambda",
            "EASE^R regularisation (lambda)",
            "float",
            default=250.0,
            help_text="Larger values trust co-occurrence less; 250-500 measured best on MovieLens.",
        ),
        SettingField(
            "ease_max_items",
            "EASE^R item limit",
            "int",
            default=10000,
            help_text=(
                "The most interacted items kept in the item-item model: its memory is 2 bytes times the square "
                "(200 MB at 10,000) and fitting time grows with the cube. Sessions beyond it inherit their mentor's "
                "score."
            ),
        ),
        SettingField("ease_weight", "Share of the collaborative weight for EASE^R", "float", default=1.0),
        SettingField("svd_factors", "SVD latent factors", "int", default=50),
        SettingField("svd_epochs", "SVD training epochs", "int", default=20),
        SettingField("svd_weight", "Share of the collaborative weight for SVD", "float", default=0.25),
        SettingField("click_weight", "Implicit weight of a click", "float", default=0.3),
        SettingField("view_weight", "Implicit weight of a view", "float", default=0.1),
        SettingField("explained_items", "Items explained per request", "int", default=50),
    ),
)

_VERBS = {"book": "booked", "attend": "booked", "rate": "rated", "click": "looked at", "view": "looked at"}
_ALSO = {"booked": "also booked this", "rated": "also rated this", "looked at": "also liked this"}


class SurpriseSVDRecommender(IndexedRecommender):
    key = "svd"
    family = "collaborative"
    label = "Matrix factorisation on ratings (scikit-surprise SVD)"

    def __init__(self, n_factors: int = 50, n_epochs: int = 20, weight: float = 0.25, seed: int = 42) -> None:
        self.n_factors = int(n_factors)
        self.n_epochs = int(n_epochs)
        self.weight = float(weight)
        self.seed = int(seed)
        self._set_state([], [], np.zeros((0, 0)), np.zeros((0, 0)), np.zeros(0), np.zeros(0), 0.0)

    def _set_state(self, users, items, pu, qi, bu, bi, mu) -> None:
        self.users = {int(u): n for n, u in enumerate(users)}
        self._set_items(items)
        self.pu = np.asarray(pu, dtype=np.float32)
        self.qi = np.asarray(qi, dtype=np.float32)
        self.bu = np.asarray(bu, dtype=np.float32)
        self.bi = np.asarray(bi, dtype=np.float32)
        self.mu = float(mu)

    def fit(self, data: TrainingData) -> None:
        latest: dict[tuple[int, str], tuple] = {}
        for it in data.interactions:
            if it.kind == "rate":
                pair = (it.user_id, it.item)
                if pair not in latest or it.at >= latest[pair][0]:
                    latest[pair] = (it.at, it.value)
        if not latest:
            self._set_state([], [], np.zeros((0, 0)), np.zeros((0, 0)), np.zeros(0), np.zeros(0), 0.0)
            return
        values = [v for _, v in latest.values()]
        low, high = min(values), max(values)
        reader = Reader(rating_scale=(low, high if high > low else low + 1))
        raw = [(u, i, float(v), None) for (u, i), (_, v) in sorted(latest.items())]
        trainset = Dataset(reader).construct_trainset(raw)
        algo = SVD(n_factors=self.n_factors, n_epochs=self.n_epochs, random_state=self.seed)
        algo.fit(trainset)
        users = [trainset.to_raw_uid(n) for n in range(trainset.n_users)]
        items = [trainset.to_raw_iid(n) for n in range(trainset.n_items)]
        self._set_state(users, items, algo.pu, algo.qi, algo.bu, algo.bi, trainset.global_mean)

    def score(self, user: UserFeatures, candidates: Candidates) -> RecommenderScores:
        row = self.users.get(user.user_id)
        if row is None or not self.items:
            return unscored(candidates)
        predicted = self.mu + self.bu[row] + self.bi + self.qi @ self.pu[row]
        scores = candidates.take(self.index, predicted)
        reasons = dict.fromkeys(
            (candidates[p] for p in strongest(scores, 20)), "rated highly by learners with tastes like yours"
        )
        return RecommenderScores(scores=scores, reasons=reasons)

    def state(self) -> dict[str, np.ndarray]:
        users = sorted(self.users, key=self.users.get)
        return {
            "users": np.asarray(users, dtype=np.int64),
            "pu": self.pu,
            "qi": self.qi,
            "bu": self.bu,
            "bi": self.bi,
            "mu": np.asarray(self.mu),
        }

    def restore(self, items: list[str], arrays) -> None:
        a = arrays
        self._set_state(a["users"].tolist(), items, a["pu"], a["qi"], a["bu"], a["bi"], float(a["mu"]))


_HALF_TO_SINGLE = np.arange(1 << 16, dtype=np.uint16).view(np.float16).astype(np.float32)


def _single(values: np.ndarray) -> np.ndarray:
    """``values`` as float32; float16 through a 256 KB table, several times faster than NumPy's own cast here."""
    if values.dtype != np.float16:
        return values.astype(np.float32, copy=False)
    return np.take(_HALF_TO_SINGLE, values.view(np.uint16))


def ease_weights(gram: np.ndarray, lam: float, overwrite: bool = False) -> np.ndarray:
    """EASE^R's item-item matrix ``B`` from the Gram matrix ``X^T X`` (dense, float32, C order).

    Inverts ``G + lambda I`` through its Cholesky factor (LAPACK potrf/potri,
    about three times cheaper than a general inverse) and builds ``B`` in
    the same buffer, so fitting needs one n x n float32 matrix, not five.
    With ``overwrite`` a float32 Fortran-ordered ``gram`` is used as that buffer.
    """
    g = np.asfortranarray(gram, dtype=np.float32) if overwrite else np.array(gram, dtype=np.float32, order="F")
    n = g.shape[0]
    g[np.diag_indices(n)] += lam
    factor, info = linalg.lapack.spotrf(g, lower=False, overwrite_a=True)
    if info != 0:
        raise ValueError(f"EASE^R: Gram matrix not positive definite (potrf info {info}); raise lambda")
    p, info = linalg.lapack.spotri(factor, lower=False, overwrite_c=True)
    if info != 0:
        raise ValueError(f"EASE^R: inversion failed (potri info {info})")
    # potri leaves P = (G + lambda I)^-1 in the upper triangle: mirror it down, a block of columns at a time.
    block = 512
    for start in range(0, n, block):
        stop = min(start + block, n)
        p[start:stop, :start] = p[:start, start:stop].T
        corner = p[start:stop, start:stop]
        corner[:] = np.triu(corner) + np.triu(corner, 1).T
    # P is symmetric, so its transpose is the same matrix in C order: B = -P / diag(P), column-wise, in place.
    b = p.T
    diagonal = b.diagonal().copy()
    b /= -diagonal[np.newaxis, :]
    b[np.diag_indices(n)] = 0.0
    return np.ascontiguousarray(b)


class EaseRecommender(IndexedRecommender):
    key = "ease"
    family = "collaborative"
    label = "Item-to-item model on bookings and clicks (EASE^R)"
    compress_blob = False

    def __init__(
        self,
        lam: float = 250.0,
        max_items: int = 10000,
        weight: float = 1.0,
        click_weight: float = 0.3,
        view_weight: float = 0.1,
        explained_items: int = 50,
    ) -> None:
        self.lam = float(lam)
        self.max_items = int(max_items)
        self.weight = float(weight)
        self.signals = signal_weights({"click": click_weight, "view": view_weight})
        self.explained_items = int(explained_items)
        self._set_state([], np.zeros((0, 0), dtype=np.float32))

    def _set_state(self, items, b) -> None:
        self._set_items(items)
        # Kept at half precision: half the memory (and blob) of float32, and rankings that do not move
        # (the offline benchmark's figures are the same to four decimals); scoring sums in float32.
        b = np.asarray(b)
        if b.dtype != np.float16:  # a fresh fit (a loaded model is float16 already): only if every value fits
            half = float(np.finfo(np.float16).max)
            if not b.size or (float(b.max()) <= half and float(b.min()) >= -half):
                b = b.astype(np.float16)
        self.b = np.ascontiguousarray(b)

    def fit(self, data: TrainingData) -> None:
        pairs = positive_signals(data.interactions, self.signals)
        if not pairs:
            self._set_state([], np.zeros((0, 0), dtype=np.float32))
            return
        matrix, _users, items = user_item_matrix(pairs)
        counts = np.asarray((matrix > 0).sum(axis=0)).ravel()
        if len(items) > self.max_items:
            keep = np.sort(top_indices(counts.astype(np.float64), self.max_items))
            matrix = matrix[:, keep]
            items = [items[k] for k in keep]
        gram = (matrix.T @ matrix).toarray(order="F").astype(np.float32, order="F", copy=False)
        self._set_state(items, ease_weights(gram, self.lam, overwrite=True))

    def score(self, user: UserFeatures, candidates: Candidates) -> RecommenderScores:
        hist_idx, hist_w = history_vector(user.history, self.index, self.signals)
        if not hist_idx.size:
            return unscored(candidates)
        rows = _single(self.b[hist_idx])  # history x the model's items
        scores = candidates.take(self.index, hist_w @ rows)
        top = strongest(scores, self.explained_items, above=0.0)
        if not len(top):
            return RecommenderScores(scores=scores)
        # the history item each explained score rests on most: "learners who booked X also booked this"
        contributions = hist_w[:, np.newaxis] * rows[:, candidates.rows(self.index)[top]]
        sources = hist_idx[np.argmax(contributions, axis=0)]
        verbs = {}
        for it in user.history:
            verb = _VERBS.get(it.kind)
            if verb and (it.item not in verbs or verb == "booked"):
                verbs[it.item] = verb
        reasons: dict[str, str] = {}
        because: dict[str, list[str]] = {}
        for pos, source_row in zip(top.tolist(), sources.tolist(), strict=True):
            source = self.items[source_row]
            verb = verbs.get(source, "booked")
            reasons[candidates[pos]] = f"learners who {verb} {{because}} {_ALSO[verb]}"
            because[candidates[pos]] = [source]
        return RecommenderScores(scores=scores, reasons=reasons, because=because)

    def state(self) -> dict[str, np.ndarray]:
        return {"b": self.b}

    def restore(self, items: list[str], arrays) -> None:
        self._set_state(items, arrays["b"])


@hookimpl
def peerlearn_recommenders(config: PluginConfig) -> list[Recommender]:
    o = settings(config, peerlearn_meta)
    return [
        EaseRecommender(
            lam=o["ease_lambda"],
            max_items=o["ease_max_items"],
            weight=o["ease_weight"],
            click_weight=o["click_weight"],
            view_weight=o["view_weight"],
            explained_items=o["explained_items"],
        ),
        SurpriseSVDRecommender(n_factors=o["svd_factors"], n_epochs=o["svd_epochs"], weight=o["svd_weight"]),
    ]
