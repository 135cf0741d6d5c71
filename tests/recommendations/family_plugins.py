"""Recommender plugins that declare blend families of their own: one valid, the others rejected at load.

``streaks`` declares the family ``streaks``: it scores items by how often
they were booked or attended, and one item (set in :data:`FAVOURITE`) above
everything, so a test sees the blend follow the family's weight. It passes
``peerlearn_testing``'s recommender contract like any plugin.
"""

from __future__ import annotations

import json
from collections import Counter
from types import SimpleNamespace

import numpy as np

from core.plugins import PluginMeta, Recommender, RecommenderFamily, RecommenderScores, hookimpl

#: The item key the streaks recommender puts first (a test sets it to a real mentor).
FAVOURITE = {"item": ""}


class Streaks(Recommender):
    key = "test_streaks"
    family = "streaks"
    label = "Learning streaks"

    def fit(self, data) -> None:
        counts = Counter(i.item for i in data.interactions if i.kind in {"book", "attend"})
        if FAVOURITE["item"]:
            counts[FAVOURITE["item"]] = max(counts.values(), default=0) + 100
        self._set(dict(counts))

    def _set(self, counts: dict[str, float]) -> None:
        self.counts = counts
        self.index = {item: row for row, item in enumerate(counts)}
        self.values = np.asarray(list(counts.values()), dtype=np.float64)
        self.reasons = dict.fromkeys(counts, "keeps your learning streak going")

    def score(self, user, candidates) -> RecommenderScores:
        return RecommenderScores(scores=candidates.take(self.index, self.values), reasons=self.reasons)

    def dumps(self) -> bytes:
        return json.dumps(self.counts).encode()

    def loads(self, blob: bytes) -> None:
        self._set(json.loads(blob))


class Stray(Streaks):
    """Names a family nobody declared: it is left out and charged to its plugin."""

    key = "test_stray"
    family = "nowhere"


def _plugin(name: str, cls: type[Recommender] | None, *families: RecommenderFamily) -> SimpleNamespace:
    meta = PluginMeta(name=name, version="1.0", author="tests", description=name, kind="recommender", families=families)

    @hookimpl
    def peerlearn_recommenders(config):
        return [cls()] if cls else []

    return SimpleNamespace(peerlearn_meta=meta, peerlearn_recommenders=peerlearn_recommenders)


STREAKS = RecommenderFamily("streaks", "Learning streaks", 0.5, "Keeps a learner's streak of sessions going.")

streaks = _plugin("Streaks", Streaks, STREAKS)
clash = _plugin("Clashes with a built-in family", None, RecommenderFamily("content", "My content", 0.2))
bad_weight = _plugin("Weighs minus one", None, RecommenderFamily("negative", "Negative", -1.0))
bad_name = _plugin("Badly named family", None, RecommenderFamily("Bad Name!", "Bad", 0.1))
taken = _plugin("Declares streaks again", None, RecommenderFamily("streaks", "Streaks again", 0.1))
stray = _plugin("Names an undeclared family", Stray)
