"""Content-based recommender: what an item is about against what the learner wants.

Two signals, blended by settings:

* Jaccard similarity between the learner's skill profile (the interests chosen
  at sign-up plus the skills of items in their history) and an item's skills;
* cosine similarity of TF-IDF vectors over the items' descriptions, the
  learner's profile being the weighted mean of their history items plus their
  interests read as a query.

Needs no interactions at all, so it serves a brand-new learner (from their
interests) and a brand-new mentor (from their skills and description).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from core.plugins import (
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
    dump_arrays,
    dump_csr,
    history_vector,
    human_list,
    item_phrase,
    load_arrays,
    load_csr,
    setting,
    signal_weights,
    top_indices,
)

peerlearn_meta = PluginMeta(
    name="Content similarity",
    version="1.0.0",
    author="PeerLearn developers",
    description="Jaccard similarity of skills and TF-IDF similarity of descriptions between learners and items.",
    kind="recommender",
    core_versions=">=0.1,<1",
    settings=(
        SettingField("jaccard_weight", "Weight of skill overlap (Jaccard)", "float", default=0.6),
        SettingField("tfidf_weight", "Weight of description similarity (TF-IDF)", "float", default=0.4),
        SettingField(
            "language_penalty",
            "Score factor when learner and item share no language",
            "float",
            default=0.5,
            help_text="1 ignores languages; 0 hides items in languages the learner does not speak.",
        ),
        SettingField(
            "profile_share",
            "Share of a learner's history a skill needs to join their profile",
            "float",
            default=0.3,
            help_text="Relative to their most frequent skill; interests chosen at sign-up always count.",
        ),
        SettingField("max_features", "TF-IDF vocabulary size", "int", default=50000),
        SettingField("explained_items", "Items explained per request", "int", default=50),
    ),
)

_TOKEN_PATTERN = r"(?u)\b\w[\w+#.-]*\w\b|\b\w\b"


def _text_vectorizer(vocabulary: dict[str, int] | None = None, max_features: int | None = None) -> CountVectorizer:
    options = {"lowercase": True, "stop_words": "english", "token_pattern": _TOKEN_PATTERN}
    if vocabulary is not None:
        return CountVectorizer(vocabulary=vocabulary, **options)
    return TfidfVectorizer(sublinear_tf=True, max_features=max_features, **options)


class ContentRecommender(Recommender):
    key = "content"
    family = "content"
    label = "Content similarity (skills and descriptions)"

    def __init__(
        self,
        jaccard_weight: float = 0.6,
        tfidf_weight: float = 0.4,
        language_penalty: float = 0.5,
        profile_share: float = 0.3,
        max_features: int = 50000,
        explained_items: int = 50,
    ) -> None:
        self.jaccard_weight = float(jaccard_weight)
        self.tfidf_weight = float(tfidf_weight)
        self.language_penalty = float(language_penalty)
        self.profile_share = float(profile_share)
        self.max_features = int(max_features)
        self.explained_items = int(explained_items)
        self.signals = signal_weights()
        self._set_state([], [], sparse.csr_matrix((0, 0)), [], np.zeros(0), sparse.csr_matrix((0, 0)), [])

    def _set_state(self, items, skill_names, skills, terms, idf, tfidf, languages) -> None:
        self.items: list[str] = list(items)
        self.index = {item: n for n, item in enumerate(self.items)}
        self.skill_names: list[str] = list(skill_names)  # display names, vocabulary order
        self.skill_index = {name.lower(): n for n, name in enumerate(self.skill_names)}
        self.skills = skills.tocsr().astype(np.float32)  # items x skills, binary
        self.skill_counts = np.asarray(self.skills.sum(axis=1)).ravel()
        self.terms: list[str] = list(terms)
        self.idf = np.asarray(idf, dtype=np.float32)
        self.tfidf = tfidf.tocsr().astype(np.float32)  # items x terms, rows L2-normalised
        self.languages: list[frozenset[str]] = list(languages)
        self._query = _text_vectorizer({t: n for n, t in enumerate(self.terms)}) if self.terms else None

    # --- fitting -----------------------------------------------------------

    def fit(self, data: TrainingData) -> None:
        items = [f.item for f in data.items]
        names: dict[str, str] = {}
        for feature in data.items:
            for skill in sorted(feature.skills):
                names.setdefault(skill.lower(), skill)
        skill_names = [names[k] for k in sorted(names)]
        sidx = {name.lower(): n for n, name in enumerate(skill_names)}
        rows, cols = [], []
        for row, feature in enumerate(data.items):
            for col in {sidx[s.lower()] for s in feature.skills}:
                rows.append(row)
                cols.append(col)
        skills = sparse.csr_matrix(
            (np.ones(len(rows), dtype=np.float32), (rows, cols)), shape=(len(items), len(skill_names))
        )
        texts = [f"{f.text} {' '.join(sorted(f.skills))}" for f in data.items]
        terms: list[str] = []
        idf = np.zeros(0, dtype=np.float32)
        tfidf = sparse.csr_matrix((len(items), 0), dtype=np.float32)
        if any(t.strip() for t in texts):
            vectorizer = _text_vectorizer(max_features=self.max_features)
            try:
                tfidf = vectorizer.fit_transform(texts)
            except ValueError:  # only stop words: no vocabulary
                pass
            else:
                terms = list(vectorizer.get_feature_names_out())
                idf = vectorizer.idf_
        languages = [frozenset(x.lower() for x in f.languages) for f in data.items]
        self._set_state(items, skill_names, skills, terms, idf, tfidf, languages)

    # --- scoring -----------------------------------------------------------

    def _query_vector(self, words: Sequence[str]) -> np.ndarray | None:
        if self._query is None or not words:
            return None
        counts = self._query.transform([" ".join(words)]).astype(np.float32)
        if counts.nnz == 0:
            return None
        counts.data = 1.0 + np.log(counts.data)  # sublinear tf, as in fitting
        vector = np.asarray(counts.multiply(self.idf).todense()).ravel()
        return vector / (np.linalg.norm(vector) or 1.0)

    def score(self, user: UserFeatures, candidates: Sequence[str]) -> RecommenderScores:
        known = [(c, self.index[c]) for c in candidates if c in self.index]
        if not known or not self.items:
            return RecommenderScores(scores={})
        keys = [c for c, _ in known]
        cand = np.fromiter((i for _, i in known), dtype=np.int64, count=len(known))
        hist_idx, hist_w = history_vector(user.history, self.index, self.signals)

        interests = {s.lower(): s for s in user.interests}
        profile = dict(interests)
        if hist_idx.size:
            # The skills that make up a real share of the history, not every skill ever touched:
            # a union of everything would make the profile match nothing in particular.
            mass = np.asarray(self.skills[hist_idx].T @ hist_w).ravel()
            if mass.any():
                strong = np.nonzero(mass >= self.profile_share * mass.max())[0]
                for col in strong:
                    profile.setdefault(self.skill_names[col].lower(), self.skill_names[col])
        total = np.zeros(len(keys), dtype=np.float32)
        jaccard = np.zeros(len(keys), dtype=np.float32)
        if profile and self.skill_names:
            in_vocab = [self.skill_index[s] for s in profile if s in self.skill_index]
            user_vec = np.zeros(len(self.skill_names), dtype=np.float32)
            user_vec[in_vocab] = 1.0
            inter = (self.skills @ user_vec)[cand]
            union = self.skill_counts[cand] + len(profile) - inter
            jaccard = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
            total += self.jaccard_weight * jaccard

        cosine = np.zeros(len(keys), dtype=np.float32)
        text_profile = self._query_vector(list(interests.values()))
        if hist_idx.size and self.terms:
            mean = np.asarray(self.tfidf[hist_idx].T @ hist_w).ravel()
            norm = np.linalg.norm(mean)
            if norm > 0:
                mean /= norm
                text_profile = mean if text_profile is None else (text_profile + mean) / 2.0
        if text_profile is not None:
            cosine = (self.tfidf @ text_profile)[cand]
            total += self.tfidf_weight * cosine

        if user.languages and self.language_penalty != 1.0:
            spoken = {x.lower() for x in user.languages}
            mismatch = np.fromiter(
                (bool(self.languages[i]) and not (self.languages[i] & spoken) for i in cand),
                dtype=bool,
                count=len(cand),
            )
            total[mismatch] *= self.language_penalty

        if not total.any():
            return RecommenderScores(scores={})
        scores = {k: float(v) for k, v in zip(keys, total, strict=True) if v > 0}
        reasons, because = self._explain(keys, cand, total, jaccard, interests, hist_idx)
        return RecommenderScores(scores=scores, reasons=reasons, because=because)

    def _explain(self, keys, cand, total, jaccard, interests, hist_idx):
        reasons: dict[str, str] = {}
        because: dict[str, list[str]] = {}
        top = [int(p) for p in top_indices(total, self.explained_items) if total[p] > 0]
        if not top:
            return reasons, because
        rows = cand[top]
        # history x top-items similarity in one product, for "similar to X" reasons
        similar = None
        if hist_idx.size:
            similar = (self.tfidf[hist_idx] @ self.tfidf[rows].T).toarray()
            similar += (self.skills[hist_idx] @ self.skills[rows].T).toarray()
            similar[hist_idx[:, np.newaxis] == rows[np.newaxis, :]] = 0.0  # never "similar to itself"
        for n, pos in enumerate(top):
            key = keys[pos]
            shared = []
            if jaccard[pos] > 0 and interests:
                cols = self.skills[cand[pos]].indices
                shared = sorted(self.skill_names[c] for c in cols if self.skill_names[c].lower() in interests)
            if shared:
                reasons[key] = f"{item_phrase(key)} {human_list(shared)}, which you listed"
            elif similar is not None and similar[:, n].max() > 0:
                reasons[key] = "similar to {because}"
                because[key] = [self.items[hist_idx[int(np.argmax(similar[:, n]))]]]
        return reasons, because

    # --- persistence -------------------------------------------------------

    def dumps(self) -> bytes:
        return dump_arrays(
            items=np.asarray(self.items, dtype=str),
            skill_names=np.asarray(self.skill_names, dtype=str),
            terms=np.asarray(self.terms, dtype=str),
            idf=self.idf,
            languages=np.asarray([",".join(sorted(x)) for x in self.languages], dtype=str),
            **dump_csr("skills", self.skills),
            **dump_csr("tfidf", self.tfidf),
        )

    def loads(self, blob: bytes) -> None:
        a = load_arrays(blob)
        self._set_state(
            [str(x) for x in a["items"]],
            [str(x) for x in a["skill_names"]],
            load_csr("skills", a),
            [str(x) for x in a["terms"]],
            a["idf"],
            load_csr("tfidf", a),
            [frozenset(x for x in str(s).split(",") if x) for s in a["languages"]],
        )


@hookimpl
def peerlearn_recommenders(config: PluginConfig) -> list[Recommender]:
    return [
        ContentRecommender(
            jaccard_weight=setting(config, "jaccard_weight", 0.6),
            tfidf_weight=setting(config, "tfidf_weight", 0.4),
            language_penalty=setting(config, "language_penalty", 0.5),
            profile_share=setting(config, "profile_share", 0.3),
            max_features=setting(config, "max_features", 50000),
            explained_items=setting(config, "explained_items", 50),
        )
    ]
