"""Collaborative filtering: what learners like you booked and rated.

Two recommenders, both scoring every candidate in one vectorised step:

* ``svd`` - scikit-surprise's SVD fitted on explicit star ratings. Scores are
  the predicted ratings ``mu + b_u + b_i + q_i . p_u`` computed for all items
  at once from the learnt factors with NumPy (Surprise's per-item ``predict``
  loop costs about 23 ms per user on MovieLens-sized data).
* ``ease`` - EASE^R (Steck, 2019), a closed-form item-to-item model for
  implicit feedback (bookings, attendance, clicks, views, ratings of any
  value): ``B = I - P / diag(P)`` with ``P = (G + lambda I)^-1``. A user's
  scores are their history row times ``B``, so a booking made after the last
  fit already counts, and every score can name the history item it rests on
  ("learners who booked X also booked this").

  ``G`` is the item co-occurrence (Gram) matrix, built from three parts:
  plain co-occurrence ``X^T X``; *session* co-occurrence, where a pair of items
  one learner chose counts ``exp(-|t_i - t_j| / window)`` for a short window
  (the same sitting) and a longer one (the same visit), since items chosen
  together say more about each other than items chosen years apart; and item
  *content* similarity (cosine of description TF-IDF, shared skills) as a
  prior that pulls items with little co-occurrence towards similar ones (as
  SSLIM and, for EASE^R, Jeunen et al. 2020 add side information).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from django.utils.translation import gettext_noop
from scipy import linalg, sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from surprise import SVD, Dataset, Reader

from core.plugins import (
    Candidates,
    ItemFeatures,
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
    signal_times,
    signal_weights,
    strongest,
    top_indices,
    unscored,
    user_item_matrix,
)

peerlearn_meta = PluginMeta(
    name=gettext_noop("Collaborative filtering"),
    version="1.0.0",
    author="PeerLearn developers",
    description=(
        gettext_noop(
            "Matrix factorisation (scikit-surprise SVD) on star ratings and EASE^R on bookings, "
            "attendance, clicks and views."
        )
    ),
    kind="recommender",
    core_versions=">=0.1,<1",
    settings=(
        SettingField(
            "ease_lambda",
            gettext_noop("EASE^R regularisation (lambda)"),
            "float",
            default=100.0,
            help_text=gettext_noop(
                "Larger values trust co-occurrence less; 100 measured best on MovieLens (with sessions)."
            ),
        ),
        SettingField(
            "ease_session_minutes",
            gettext_noop("EASE^R sitting window (minutes)"),
            "float",
            default=1.0,
            help_text=gettext_noop(
                "Two items one learner chose this far apart count 1/e of two chosen together. 0 turns it off."
            ),
        ),
        SettingField(
            "ease_session_share",
            gettext_noop("EASE^R share of co-occurrence within a sitting"),
            "float",
            default=0.5,
            help_text=gettext_noop("The rest of the co-occurrence counts every pair a learner chose alike, whenever."),
        ),
        SettingField(
            "ease_visit_minutes",
            gettext_noop("EASE^R visit window (minutes)"),
            "float",
            default=10.0,
            help_text=gettext_noop("A second, longer window counted the same way. 0 turns it off."),
        ),
        SettingField(
            "ease_visit_share",
            gettext_noop("EASE^R share of co-occurrence within a visit"),
            "float",
            default=0.2,
            help_text=gettext_noop("With the sitting share at most 1 (larger sums are scaled down to 1)."),
        ),
        SettingField(
            "ease_text_weight",
            gettext_noop("EASE^R weight of description similarity"),
            "float",
            default=8.0,
            help_text=gettext_noop(
                "Adds this times the TF-IDF cosine of two items' descriptions to their co-occurrence. 0 off."
            ),
        ),
        SettingField(
            "ease_skill_weight",
            gettext_noop("EASE^R weight of shared skills"),
            "float",
            default=4.0,
            help_text=gettext_noop(
                "Adds this times the number of skills two items share to their co-occurrence. 0 off."
            ),
        ),
        SettingField(
            "ease_max_items",
            gettext_noop("EASE^R item limit"),
            "int",
            default=10000,
            help_text=(
                gettext_noop(
                    "The most interacted items kept in the item-item model: its memory is 2 bytes times the square "
                    "(200 MB at 10,000) and fitting time grows with the cube. Sessions beyond it inherit their "
                    "mentor's score."
                )
            ),
        ),
        SettingField("ease_weight", gettext_noop("Share of the collaborative weight for EASE^R"), "float", default=1.0),
        SettingField("svd_factors", gettext_noop("SVD latent factors"), "int", default=50),
        SettingField("svd_epochs", gettext_noop("SVD training epochs"), "int", default=20),
        SettingField("svd_weight", gettext_noop("Share of the collaborative weight for SVD"), "float", default=0.25),
        SettingField("click_weight", gettext_noop("Implicit weight of a click"), "float", default=0.3),
        SettingField("view_weight", gettext_noop("Implicit weight of a view"), "float", default=0.1),
        SettingField("explained_items", gettext_noop("Items explained per request"), "int", default=50),
    ),
)

_VERBS = {"book": "booked", "attend": "booked", "rate": "rated", "click": "looked at", "view": "looked at"}
# The whole reasons this plugin gives, for the catalogue: the core shows them translated.
REASONS = {
    "booked": gettext_noop("learners who booked {because} also booked this"),
    "rated": gettext_noop("learners who rated {because} also rated this"),
    "looked at": gettext_noop("learners who looked at {because} also liked this"),
}


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


def session_gram(
    matrix: sparse.csr_matrix,
    users: Sequence[int],
    items: Sequence[str],
    seconds: Mapping[tuple[int, str], float],
    windows: Sequence[tuple[float, float]],
    block: int = 1024,
) -> np.ndarray:
    """``sum_u w_ui w_uj sum_k share_k exp(-|t_ui - t_uj| / window_k)``: co-occurrence by closeness in time.

    ``matrix`` is users x items (rows ``users``, columns ``items``), ``seconds``
    when each pair was chosen, ``windows`` (seconds, share) pairs. Each learner
    costs (their items)^2, ``block`` rows at a time so a long history never
    needs one huge temporary.
    """
    size = matrix.shape[1]
    gram = np.zeros((size, size), dtype=np.float32)
    for row, user in enumerate(users):
        lo, hi = matrix.indptr[row], matrix.indptr[row + 1]
        if hi <= lo:
            continue
        cols = matrix.indices[lo:hi]
        w = matrix.data[lo:hi].astype(np.float64)
        t = np.fromiter((seconds[(user, items[c])] for c in cols), dtype=np.float64, count=hi - lo)
        for start in range(0, len(cols), block):
            part = slice(start, start + block)
            apart = np.abs(t[part, np.newaxis] - t[np.newaxis, :])
            kernel = sum(share * np.exp(-apart / window) for window, share in windows)
            kernel *= w[part, np.newaxis] * w[np.newaxis, :]
            gram[np.ix_(cols[part], cols)] += kernel.astype(np.float32)
    return gram


def content_gram(
    items: Sequence[str], features: Sequence[ItemFeatures], text_weight: float, skill_weight: float
) -> np.ndarray:
    """``text_weight`` x TF-IDF cosine of descriptions + ``skill_weight`` x skills shared, over ``items``."""
    gram = np.zeros((len(items), len(items)), dtype=np.float32)
    by_key = {f.item: n for n, f in enumerate(features)}
    rows = np.fromiter((by_key.get(i, -1) for i in items), dtype=np.int64, count=len(items))
    known = rows >= 0
    if text_weight > 0 and known.any():
        try:  # the idf of the whole catalogue; words of a single item cannot relate two items
            tfidf = TfidfVectorizer(stop_words="english", min_df=2).fit_transform([f.text for f in features])
        except ValueError:  # no word in two items
            tfidf = None
        if tfidf is not None:
            part = tfidf[np.where(known, rows, 0)].multiply(known[:, np.newaxis]).tocsr().astype(np.float32)
            _add_products(gram, part, text_weight)
    if skill_weight > 0 and known.any():
        names: dict[str, int] = {}
        r, c = [], []
        for n, row in enumerate(rows):
            if row >= 0:
                for skill in {s.lower() for s in features[row].skills}:
                    r.append(n)
                    c.append(names.setdefault(skill, len(names)))
        if r:
            one_hot = sparse.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=(len(items), len(names)))
            _add_products(gram, one_hot, skill_weight)
    return gram


def _add_products(gram: np.ndarray, rows: sparse.csr_matrix, weight: float, block: int = 1024) -> None:
    """``gram += weight * rows @ rows.T``, ``block`` rows at a time (never a dense copy of ``rows``)."""
    right = rows.T.tocsc()
    for start in range(0, rows.shape[0], block):
        stop = min(start + block, rows.shape[0])
        gram[start:stop] += np.float32(weight) * (rows[start:stop] @ right).toarray()


class EaseRecommender(IndexedRecommender):
    key = "ease"
    family = "collaborative"
    label = "Item-to-item model on bookings and clicks (EASE^R)"
    compress_blob = False

    def __init__(
        self,
        lam: float = 100.0,
        max_items: int = 10000,
        weight: float = 1.0,
        click_weight: float = 0.3,
        view_weight: float = 0.1,
        explained_items: int = 50,
        session_minutes: float = 1.0,
        session_share: float = 0.5,
        visit_minutes: float = 10.0,
        visit_share: float = 0.2,
        text_weight: float = 8.0,
        skill_weight: float = 4.0,
    ) -> None:
        self.lam = float(lam)
        self.max_items = int(max_items)
        # (window in seconds, share of the co-occurrence) for the windows that are on; shares adding up
        # to more than 1 are scaled down to 1 (all of the co-occurrence then depends on time)
        windows = [
            (float(minutes) * 60.0, float(share))
            for minutes, share in ((session_minutes, session_share), (visit_minutes, visit_share))
            if float(minutes) > 0 and float(share) > 0
        ]
        total = sum(share for _, share in windows)
        self.windows = [(seconds, share / max(total, 1.0)) for seconds, share in windows]
        self.text_weight = max(float(text_weight), 0.0)
        self.skill_weight = max(float(skill_weight), 0.0)
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
        matrix, users, items = user_item_matrix(pairs)
        counts = np.asarray((matrix > 0).sum(axis=0)).ravel()
        if len(items) > self.max_items:
            keep = np.sort(top_indices(counts.astype(np.float64), self.max_items))
            matrix = matrix[:, keep].tocsr()
            items = [items[k] for k in keep]
        gram = (matrix.T @ matrix).toarray(order="F").astype(np.float32, order="F", copy=False)
        if self.windows:
            seconds = signal_times(data.interactions, self.signals)
            timed = session_gram(matrix, users, items, seconds, self.windows)
            gram *= np.float32(1.0 - sum(share for _, share in self.windows))
            gram += timed
            del timed
        if self.text_weight > 0 or self.skill_weight > 0:
            gram += content_gram(items, data.items, self.text_weight, self.skill_weight)
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
            reasons[candidates[pos]] = REASONS[verb]
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
            session_minutes=o["ease_session_minutes"],
            session_share=o["ease_session_share"],
            visit_minutes=o["ease_visit_minutes"],
            visit_share=o["ease_visit_share"],
            text_weight=o["ease_text_weight"],
            skill_weight=o["ease_skill_weight"],
        ),
        SurpriseSVDRecommender(n_factors=o["svd_factors"], n_epochs=o["svd_epochs"], weight=o["svd_weight"]),
    ]
