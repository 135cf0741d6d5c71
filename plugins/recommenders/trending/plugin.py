"""Trending: items whose interest grew in the recent window against the one before.

With ``r`` the weighted interest in the last ``window_days`` and ``p`` in the
window before it, the score is ``(r - p) / sqrt(p + prior)``: growth measured
in units of the noise one expects of a count of ``p``, so going from 10 to 30
bookings beats going from 0 to 1. Only items that grew and have at least
``min_recent`` recent interest are scored.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import timedelta

import numpy as np

from core.plugins import PluginConfig, PluginMeta, Reason, Recommender, SettingField, TrainingData, hookimpl
from plugins.recommenders.common import VectorRecommender, gettext_noop, ngettext_noop, settings, signal_weights

# The reasons this plugin gives, for the catalogue: the core shows them translated.
POPULAR_THIS_WEEK = gettext_noop("popular this week")
TRENDING = ngettext_noop("trending over the last {count} day", "trending over the last {count} days")

peerlearn_meta = PluginMeta(
    name=gettext_noop("Trending"),
    version="1.0.0",
    author="PeerLearn developers",
    description=gettext_noop("Ranks items by the growth of interest in the last period against the period before."),
    kind="recommender",
    core_versions=">=0.1,<1",
    settings=(
        SettingField("window_days", gettext_noop("Period (days)"), "int", default=7),
        SettingField("min_recent", gettext_noop("Least recent interest to count as trending"), "float", default=2.0),
        SettingField(
            "prior",
            gettext_noop("Smoothing of the previous period"),
            "float",
            default=1.0,
            help_text=gettext_noop("Damps growth from nothing."),
        ),
        SettingField("click_weight", gettext_noop("Weight of a click"), "float", default=0.3),
        SettingField("view_weight", gettext_noop("Weight of a view"), "float", default=0.1),
    ),
)


def growth_score(recent: float, previous: float, prior: float) -> float:
    """``(recent - previous) / sqrt(previous + prior)``, or 0 without growth."""
    if recent <= previous:
        return 0.0
    return (recent - previous) / math.sqrt(previous + max(prior, 1e-9))


class TrendingRecommender(VectorRecommender):
    """Scores are the fitted growth of the items that grew, the same for every learner."""

    key = "trending"
    family = "trending"
    label = "Trending (growth of recent interest)"

    def __init__(
        self,
        window_days: int = 7,
        min_recent: float = 2.0,
        prior: float = 1.0,
        click_weight: float = 0.3,
        view_weight: float = 0.1,
    ) -> None:
        self.window_days = max(int(window_days), 1)
        self.min_recent = float(min_recent)
        self.prior = float(prior)
        self.signals = signal_weights({"click": click_weight, "view": view_weight})
        super().__init__()

    def fit(self, data: TrainingData) -> None:
        window = timedelta(days=self.window_days)
        recent: dict[str, float] = defaultdict(float)
        previous: dict[str, float] = defaultdict(float)
        for it in data.interactions:
            weight = self.signals.get(it.kind, 0.0)
            if weight <= 0 or it.at > data.now:
                continue
            age = data.now - it.at
            if age < window:
                recent[it.item] += weight
            elif age < 2 * window:
                previous[it.item] += weight
        trend: dict[str, float] = {}
        for item, r in recent.items():
            if r >= self.min_recent:
                value = growth_score(r, previous.get(item, 0.0), self.prior)
                if value > 0:
                    trend[item] = value
        items = sorted(trend)
        self._set_vector(items, np.asarray([trend[i] for i in items], dtype=np.float64))

    def reason(self, row: int) -> str | Reason:
        return POPULAR_THIS_WEEK if self.window_days == 7 else Reason(*TRENDING, count=self.window_days)

    def state(self) -> dict[str, np.ndarray]:
        return {"trend": self.values}

    def restore(self, items: list[str], arrays) -> None:
        self._set_vector(items, arrays["trend"])


@hookimpl
def peerlearn_recommenders(config: PluginConfig) -> list[Recommender]:
    return [TrendingRecommender(**settings(config, peerlearn_meta))]
