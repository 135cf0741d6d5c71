"""Popularity with temporal decay: what many learners chose, recent choices counting more.

Each positive interaction adds its signal weight times ``0.5 ** (age / half_life)``,
so a booking from one half-life ago counts half as much as one made today. A
half-life of 0 turns decay off (a plain popularity count). It is the fallback
that always has an answer, for anonymous visitors and brand-new learners alike.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from core.plugins import PluginConfig, PluginMeta, Reason, Recommender, SettingField, TrainingData, hookimpl
from plugins.recommenders.common import VectorRecommender, gettext_noop, ngettext_noop, settings, signal_weights

# The reasons this plugin gives, for the catalogue: the core shows them translated.
BOOKED_BY = ngettext_noop("booked by {count} learner", "booked by {count} learners")
POPULAR = gettext_noop("popular with learners")

peerlearn_meta = PluginMeta(
    name=gettext_noop("Popularity"),
    version="1.0.0",
    author="PeerLearn developers",
    description=gettext_noop("Ranks items by how many learners chose them, older interest decaying with a half-life."),
    kind="recommender",
    core_versions=">=0.1,<1",
    settings=(
        SettingField(
            "half_life_days",
            gettext_noop("Half-life (days)"),
            "float",
            default=30.0,
            help_text=gettext_noop("Interest this many days old counts half. 0 turns decay off."),
        ),
        SettingField("click_weight", gettext_noop("Weight of a click"), "float", default=0.3),
        SettingField("view_weight", gettext_noop("Weight of a view"), "float", default=0.1),
    ),
)

_BOOKED = frozenset({"book", "attend"})


def decay_factor(age_days: float, half_life_days: float) -> float:
    """``0.5 ** (age / half_life)``; 1 when decay is off, and never above 1 for future times."""
    if half_life_days <= 0:
        return 1.0
    return float(0.5 ** (max(age_days, 0.0) / half_life_days))


class PopularityRecommender(VectorRecommender):
    """Scores are the fitted popularity of each item, the same for every learner."""

    key = "popularity"
    family = "popularity"
    label = "Popularity with temporal decay"

    def __init__(self, half_life_days: float = 30.0, click_weight: float = 0.3, view_weight: float = 0.1) -> None:
        self.half_life_days = float(half_life_days)
        self.signals = signal_weights({"click": click_weight, "view": view_weight})
        self.bookers = np.zeros(0, dtype=np.int64)
        super().__init__()

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
        items = sorted(popularity)
        self.bookers = np.asarray([len(bookers.get(i, ())) for i in items], dtype=np.int64)
        self._set_vector(items, np.asarray([popularity[i] for i in items], dtype=np.float64))

    def reason(self, row: int) -> str | Reason:
        n = int(self.bookers[row])
        return Reason(*BOOKED_BY, count=n) if n >= 2 else POPULAR

    def state(self) -> dict[str, np.ndarray]:
        return {"popularity": self.values, "bookers": self.bookers}

    def restore(self, items: list[str], arrays) -> None:
        self.bookers = arrays["bookers"].astype(np.int64)
        self._set_vector(items, arrays["popularity"])


@hookimpl
def peerlearn_recommenders(config: PluginConfig) -> list[Recommender]:
    return [PopularityRecommender(**settings(config, peerlearn_meta))]
