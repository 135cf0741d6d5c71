"""Recommender plugins that fail while scoring: one raises, one overruns its time budget, one answers misaligned,
two give reasons that are not text (one where the manager's check sees it, one past the entries it samples)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import numpy as np

from core.plugins import PluginMeta, Recommender, RecommenderScores, hookimpl


class _Stored(Recommender):
    family = "content"
    label = "Broken on purpose"

    def fit(self, data) -> None:
        self.items = [i.item for i in data.items]

    def dumps(self) -> bytes:
        return b"ok"

    def loads(self, blob: bytes) -> None:
        self.items = []


class Raising(_Stored):
    key = "test_raises"

    def score(self, user, candidates) -> RecommenderScores:
        raise RuntimeError("this recommender always fails")


release = threading.Event()


class Hanging(_Stored):
    key = "test_hangs"

    def score(self, user, candidates) -> RecommenderScores:
        release.wait(5)
        return RecommenderScores(scores=dict.fromkeys(candidates, 1.0))


class Misaligned(_Stored):
    key = "test_misaligned"

    def score(self, user, candidates) -> RecommenderScores:
        return RecommenderScores(scores=np.ones(len(candidates) + 1))  # one score too many


class GarbageReason(_Stored):
    """Scores everything top and weighs heavily, so its reason is the one the ranker reads first."""

    key = "test_garbage_reason"
    weight = 100.0

    def score(self, user, candidates) -> RecommenderScores:
        return RecommenderScores(scores=np.ones(len(candidates)), reasons=dict.fromkeys(candidates, 42))


class LateGarbageReason(GarbageReason):
    """Valid reasons first, so only the ranker, reading the shown items' reasons, meets the bad ones."""

    key = "test_late_garbage_reason"

    def score(self, user, candidates) -> RecommenderScores:
        padding = {f"mentor:{n}": "fine" for n in range(-200, 0)}
        return RecommenderScores(
            scores=np.ones(len(candidates)), reasons={**padding, **dict.fromkeys(candidates, ["not", "text"])}
        )


def _plugin(name: str, cls: type[Recommender]) -> SimpleNamespace:
    meta = PluginMeta(name=name, version="1.0", author="tests", description=name, kind="recommender")

    @hookimpl
    def peerlearn_recommenders(config):
        return [cls()]

    return SimpleNamespace(peerlearn_meta=meta, peerlearn_recommenders=peerlearn_recommenders)


raising = _plugin("Raises while scoring", Raising)
hanging = _plugin("Hangs while scoring", Hanging)
misaligned = _plugin("Answers one score too many", Misaligned)
garbage_reason = _plugin("Gives numbers as reasons", GarbageReason)
late_garbage_reason = _plugin("Gives lists as reasons, past the sampled entries", LateGarbageReason)
