"""Popularity with temporal decay: what many learners chose, recent choices counting more.

Each positive interaction adds its signal weight times ``0.5 ** (age / half_life)``,
so a booking from one half-life ago counts half as much as one made today. A
half-life of 0 turns decay off (a plain popularity count). It is the fallback
that always has an answer, for anonymous visitors and brand-new learners alike.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

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
from plugins.recommenders.common import dump_arrays, load_arrays, setting, signal_weights

peerlearn_meta = PluginMeta(
    name="Popularity",
    version="1.0.0",
    author="PeerLearn developers",
    description="Ranks items by how many learners chose them, older interest decaying with a half-life.",
    kind="recommender",
    core_versions=">=0.1,<1",
    settings=(
        SettingField(
            "half_life_days",
            "Half-life (days)",
            "float",
            default=30.0,
            help_text="Interest this many days old counts half. 0 turns decay off.",
        ),
        SettingField("click_weight", "Weight of a click", "float", default=0.3),
        SettingField("view_weight", "Weight of a view", "float", default=0.1),
    ),
)

_BOOKED = frozenset({"book", "attend"})


def decay_factor(age_days: float, half_life_days: float) -> float:
    """``0.5 ** (age / half_life)``; 1 when decay is off, and never above 1 for future times."""
    if half_life_days <= 0:
        return 1.0
    return float(0.5 ** (max(age_days, 0.0) / half_life_days))


class PopularityRecommender(Recommender):
    key = "popularity"
    family = "popularity"
    label = "Popularity with temporal decay"

    def __init__(self, half_life_days: float = 30.0, click_weight: float = 0.3, view_weight: float = 0.1) -> None:
        self.half_life_days = float(half_life_days)
        self.signals = signal_weights({"click": click_weight, "view": view_weight})
        self.popularity: dict[str, float] = {}
        self.bookers: dict[str, int] = {}

    def fit(self, data: TrainingData) -> None:
        popularity: dict[str, float] = defaultdict(float)
        bookers: dict[str, set[int]] = defaultdict(set)
        for it in data.interactions:
            weight = self.signals.get(it.kind, 0.0)
            if weight <= 0:
                continue
            age = (data.now - it.at).total_seconds() / 86400.0
            popularity[it.item] += weight * decay_factor(age, self.half_life_days)
            if it.kind in _BOOKED:
                bookers[it.item].add(it.user_id)
        self.popularity = dict(popularity)
        self.bookers = {item: len(users) for item, users in bookers.items()}

    def score(self, user: UserFeatures, candidates: Sequence[str]) -> RecommenderScores:
        scores = {c: self.popularity[c] for c in candidates if c in self.popularity}
        reasons = {}
        for item in scores:
            n = self.bookers.get(item, 0)
            reasons[item] = f"booked by {n} learners" if n >= 2 else "popular with learners"
        return RecommenderScores(scores=scores, reasons=reasons)

    def dumps(self) -> bytes:
        items = sorted(self.popularity)
        return dump_arrays(
            items=np.asarray(items, dtype=str),
            popularity=np.asarray([self.popularity[i] for i in items], dtype=np.float64),
            bookers=np.asarray([self.bookers.get(i, 0) for i in items], dtype=np.int64),
        )

    def loads(self, blob: bytes) -> None:
        a = load_arrays(blob)
        items = [str(x) for x in a["items"]]
        self.popularity = dict(zip(items, a["popularity"].tolist(), strict=True))
        self.bookers = {i: n for i, n in zip(items, a["bookers"].tolist(), strict=True) if n}


@hookimpl
def peerlearn_recommenders(config: PluginConfig) -> list[Recommender]:
    return [
        PopularityRecommender(
            half_life_days=setting(config, "half_life_days", 30.0),
            click_weight=setting(config, "click_weight", 0.3),
            view_weight=setting(config, "view_weight", 0.1),
        )
    ]
