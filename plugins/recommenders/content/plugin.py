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

from collections.abc import Callable, Sequence

import numpy as np
from django.utils.translation import gettext_noop
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from core.plugins import (
    Candidates,
    PluginConfig,
    PluginMeta,
    Reason,
    Recommender,
    RecommenderScores,
    SettingField,
    TrainingData,
    UserFeatures,
    hookimpl,
)
from plugins.recommenders.common import (
    IndexedRecommender,
    dump_csr,
    history_vector,
    listed_reason,
    load_csr,
    settings,
    signal_weights,
    strongest,
    unscored,
)

peerlearn_meta = PluginMeta(
    name=gettext_noop("Content similarity"),
    version="1.0.0",
    author="PeerLearn developers",
    description=gettext_noop(
        "Jaccard similarity of skills and TF-IDF similarity of descriptions between learners and items."
    ),
    kind="recommender",
    core_versions=">=0.1,<1",
    settings=(
        SettingField("jaccard_weight", gettext_noop("Weight of skill overlap (Jaccard)"), "float", default=0.6),
        SettingField("tfidf_weight", gettext_noop("Weight of description similarity (TF-IDF)"), "float", default=0.4),
        SettingField(
            "language_penalty",
            gettext_noop("Score factor when learner and item share no language"),
            "float",
            default=0.5,
            help_text=gettext_noop("1 ignores languages; 0 hides items in languages the learner does not speak."),
        ),
        SettingField(
            "profile_share",
            gettext_noop("Share of a learner's history a skill needs to join their profile"),
            "float",
            default=0.3,
            help_text=gettext_noop("Relative to their most frequent skill; interests chosen at sign-up always count."),
        ),
        SettingField("max_features", gettext_noop("TF-IDF vocabulary size"), "int", default=50000),
        SettingField("explained_items", gettext_noop("Items explained per request"), "int", default=50),
    ),
)

_TOKEN_PATTERN = r"(?u)\b\w[\w+#.-]*\w\b|\b\w\b"
_TEXT_OPTIONS = {"lowercase": True, "stop_words": "english", "token_pattern": _TOKEN_PATTERN}
_QUERY_MEMO = 4096  # interest phrases whose terms are remembered (the skill taxonomy is far smaller)


def _analyser() -> Callable[[str], list[str]]:
    """The tokeniser the TF-IDF vocabulary was fitted with (lower case, English stop words dropped)."""
    return CountVectorizer(**_TEXT_OPTIONS).build_analyzer()


class ContentRecommender(IndexedRecommender):
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
        self._set_items(items)
        self.skill_names: list[str] = list(skill_names)  # display names, vocabulary order
        self.skill_index = {name.lower(): n for n, name in enumerate(self.skill_names)}
        self.skills = skills.tocsr().astype(np.float32)  # items x skills, binary
        self.skill_counts = np.asarray(self.skills.sum(axis=1)).ravel()
        self.terms: list[str] = list(terms)
        self.term_index = {t: n for n, t in enumerate(self.terms)}
        self.idf = np.asarray(idf, dtype=np.float32)
        self.tfidf = tfidf.tocsr().astype(np.float32)  # items x terms, rows L2-normalised
        self.languages: list[frozenset[str]] = list(languages)
        # items x languages, so "shares no language with the learner" is one sparse product per request
        names = sorted({x for langs in self.languages for x in langs})
        self.language_index = {x: n for n, x in enumerate(names)}
        pairs = [(row, self.language_index[x]) for row, langs in enumerate(self.languages) for x in langs]
        self.language_matrix = sparse.csr_matrix(
            (np.ones(len(pairs), dtype=np.float32), ([r for r, _ in pairs], [c for _, c in pairs])),
            shape=(len(self.items), len(names)),
        )
        self.has_language = np.fromiter((bool(x) for x in self.languages), dtype=bool, count=len(self.languages))
        self._analyse = _analyser() if self.terms else None
        self._phrase_terms: dict[str, list[int]] = {}

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
            vectorizer = TfidfVectorizer(sublinear_tf=True, max_features=self.max_features, **_TEXT_OPTIONS)
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

    def _terms_of(self, phrase: str) -> list[int]:
        """Vocabulary ids of a phrase's tokens, remembered (interests repeat across learners)."""
        ids = self._phrase_terms.get(phrase)
        if ids is None:
            assert self._analyse is not None
            ids = [self.term_index[t] for t in self._analyse(phrase) if t in self.term_index]
            if len(self._phrase_terms) < _QUERY_MEMO:
                self._phrase_terms[phrase] = ids
        return ids

    def _query_vector(self, words: Sequence[str]) -> np.ndarray | None:
        """The TF-IDF vector of ``words`` read as one query (sublinear tf, the fitted idf, L2-normalised)."""
        if self._analyse is None or not words:
            return None
        ids, counts = np.unique(
            np.asarray([t for w in words for t in self._terms_of(w)], dtype=np.intp), return_counts=True
        )
        if not len(ids):
            return None
        vector = np.zeros(len(self.terms), dtype=np.float32)
        vector[ids] = (1.0 + np.log(counts.astype(np.float32))) * self.idf[ids]
        return vector / (np.linalg.norm(vector) or 1.0)

    def score(self, user: UserFeatures, candidates: Candidates) -> RecommenderScores:
        if not self.items:
            return unscored(candidates)
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
        # everything below is over the model's own items, aligned with the candidates at the end
        total = np.zeros(len(self.items), dtype=np.float32)
        jaccard = np.zeros(len(self.items), dtype=np.float32)
        if profile and self.skill_names:
            in_vocab = [self.skill_index[s] for s in profile if s in self.skill_index]
            user_vec = np.zeros(len(self.skill_names), dtype=np.float32)
            user_vec[in_vocab] = 1.0
            inter = self.skills @ user_vec
            union = self.skill_counts + len(profile) - inter
            jaccard = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
            total += self.jaccard_weight * jaccard

        text_profile = self._query_vector(list(interests.values()))
        if hist_idx.size and self.terms:
            mean = np.asarray(self.tfidf[hist_idx].T @ hist_w).ravel()
            norm = np.linalg.norm(mean)
            if norm > 0:
                mean /= norm
                text_profile = mean if text_profile is None else (text_profile + mean) / 2.0
        if text_profile is not None:
            total += self.tfidf_weight * (self.tfidf @ text_profile)

        if user.languages and self.language_penalty != 1.0:
            spoken = np.zeros(len(self.language_index), dtype=np.float32)
            spoken[
                [self.language_index[x] for x in {x.lower() for x in user.languages} if x in self.language_index]
            ] = 1
            total[self.has_language & ~(self.language_matrix @ spoken > 0)] *= self.language_penalty

        scores = candidates.take(self.index, np.where(total > 0, total, np.nan))
        reasons, because = self._explain(candidates, scores, jaccard, interests, hist_idx)
        return RecommenderScores(scores=scores, reasons=reasons, because=because)

    def _explain(self, candidates, scores, jaccard, interests, hist_idx):
        """Reasons for the strongest items: the listed interests they cover, else the history item most like them."""
        reasons: dict[str, str | Reason] = {}
        because: dict[str, list[str]] = {}
        top = strongest(scores, self.explained_items, above=0.0)
        indptr, indices = self.skills.indptr, self.skills.indices
        unexplained: list[tuple[str, int]] = []
        for pos, row in zip(top.tolist(), candidates.rows(self.index)[top].tolist(), strict=True):
            key = candidates[pos]
            shared = []
            if jaccard[row] > 0 and interests:
                cols = indices[indptr[row] : indptr[row + 1]]
                shared = sorted(self.skill_names[c] for c in cols if self.skill_names[c].lower() in interests)
            if shared:
                reasons[key] = listed_reason(key, shared)
            elif hist_idx.size:
                unexplained.append((key, row))
        if unexplained:
            # history x items similarity in one product, for "similar to X" reasons
            rows = np.fromiter((row for _, row in unexplained), dtype=np.intp, count=len(unexplained))
            similar = (self.tfidf[hist_idx] @ self.tfidf[rows].T).toarray()
            similar += (self.skills[hist_idx] @ self.skills[rows].T).toarray()
            similar[hist_idx[:, np.newaxis] == rows[np.newaxis, :]] = 0.0  # never "similar to itself"
            closest = np.argmax(similar, axis=0)
            for n, (key, _) in enumerate(unexplained):
                if similar[closest[n], n] > 0:
                    reasons[key] = gettext_noop("similar to {because}")
                    because[key] = [self.items[hist_idx[closest[n]]]]
        return reasons, because

    # --- persistence -------------------------------------------------------

    def state(self) -> dict[str, np.ndarray]:
        return {
            "skill_names": np.asarray(self.skill_names, dtype=str),
            "terms": np.asarray(self.terms, dtype=str),
            "idf": self.idf,
            "languages": np.asarray([",".join(sorted(x)) for x in self.languages], dtype=str),
            **dump_csr("skills", self.skills),
            **dump_csr("tfidf", self.tfidf),
        }

    def restore(self, items: list[str], arrays) -> None:
        a = arrays
        self._set_state(
            items,
            [str(x) for x in a["skill_names"]],
            load_csr("skills", a),
            [str(x) for x in a["terms"]],
            a["idf"],
            load_csr("tfidf", a),
            [frozenset(x for x in str(s).split(",") if x) for s in a["languages"]],
        )


@hookimpl
def peerlearn_recommenders(config: PluginConfig) -> list[Recommender]:
    return [ContentRecommender(**settings(config, peerlearn_meta))]
