"""The recommender contract, run against every registered recommender plugin.

A third-party recommender installed in the environment is picked up from the
``peerlearn.plugins`` entry points and must pass the same cases.
"""

from __future__ import annotations

import importlib.metadata
import math
from collections.abc import Mapping

import numpy as np
import pytest

from core.plugins import (
    ENTRY_POINT_GROUP,
    Candidates,
    PluginConfig,
    PluginMeta,
    Recommender,
    RecommenderScores,
    TrainingData,
)
from core.recommendations.ranker import raw_vector

from .fixtures import CANDIDATES, NOW, learner, scored, training_data


def _recommender_plugins():
    found = []
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
        except ImportError:  # another kind of plugin whose module is not importable here
            continue
        meta = getattr(obj, "peerlearn_meta", None)
        if isinstance(meta, PluginMeta) and meta.kind == "recommender":
            found.append((ep.name, obj))
    return sorted(found, key=lambda pair: pair[0])


PLUGINS = _recommender_plugins()


def _recommenders(name, obj) -> list[Recommender]:
    meta = obj.peerlearn_meta
    config = PluginConfig(plugin=name, site_id=None, values={f.name: f.initial() for f in meta.settings})
    return list(obj.peerlearn_recommenders(config=config))


def test_the_built_in_recommender_plugins_are_registered():
    names = {name for name, _ in PLUGINS}
    assert {
        "recommender_content",
        "recommender_collaborative",
        "recommender_popularity",
        "recommender_trending",
    } <= names


@pytest.mark.parametrize(("name", "obj"), PLUGINS, ids=[name for name, _ in PLUGINS])
def test_recommender_contract(name, obj):
    recs = _recommenders(name, obj)
    assert recs, f"{name} provides no recommender"
    data = training_data()
    for rec in recs:
        assert isinstance(rec, Recommender)
        assert rec.family in {"content", "collaborative", "popularity", "trending"}
        assert isinstance(rec.key, str) and rec.key and isinstance(rec.label, str) and rec.label
        assert isinstance(rec.weight, int | float) and rec.weight >= 0
        rec.fit(data)
        user = learner(100, interests=frozenset({"Python"}), languages=frozenset({"en"}))
        candidates = Candidates([*CANDIDATES, "mentor:999"])  # one the model never saw
        result = rec.score(user, candidates)
        assert isinstance(result, RecommenderScores)
        check_answer(candidates, result)
        assert math.isnan(result.scores[-1]), "an item the model never saw has no score"
        assert scored(candidates, result), f"{rec.key} scores nothing for a learner with history and interests"

        subset = Candidates(CANDIDATES[:2])
        part = rec.score(user, subset)
        check_answer(subset, part)
        assert scored(subset, part) == pytest.approx(
            {k: v for k, v in scored(candidates, result).items() if k in subset}
        )
        check_answer(Candidates([]), rec.score(user, Candidates([])))

        blob = rec.dumps()
        assert isinstance(blob, bytes) and blob
        fresh = next(r for r in _recommenders(name, obj) if r.key == rec.key)
        fresh.loads(blob)
        again = fresh.score(user, candidates)
        assert scored(candidates, again) == pytest.approx(scored(candidates, result))
        assert {c: again.reasons[c] for c in candidates if c in again.reasons} == {
            c: result.reasons[c] for c in candidates if c in result.reasons
        }


def check_answer(candidates: Candidates, result: RecommenderScores) -> None:
    """Scores the core can align (an array of one float per candidate, or an older plugin's dict of finite
    floats over candidates); reasons only where there is a score; ``because`` with its marker."""
    if isinstance(result.scores, Mapping):
        assert set(result.scores) <= set(candidates), "scores only for the candidates given"
        assert all(isinstance(v, float) and math.isfinite(v) for v in result.scores.values())
    else:
        assert isinstance(result.scores, np.ndarray) and np.issubdtype(result.scores.dtype, np.floating)
        assert not np.isinf(result.scores).any(), "finite scores, or NaN for none"
    scores = raw_vector(candidates, result.scores)  # the core's own check: aligned with the candidates
    with_score = {c for c, v in zip(candidates, scores, strict=True) if not math.isnan(v)}
    explained = {c for c in candidates if c in result.reasons}
    assert explained <= with_score, "a reason only for a scored candidate"
    assert all(isinstance(result.reasons[c], str) and result.reasons[c] for c in explained)
    for item, because in result.because.items():
        assert item in result.reasons and "{because}" in result.reasons[item]
        assert all(isinstance(k, str) for k in because)


@pytest.mark.parametrize(("name", "obj"), PLUGINS, ids=[name for name, _ in PLUGINS])
def test_recommender_copes_with_no_data(name, obj):
    for rec in _recommenders(name, obj):
        rec.fit(TrainingData(interactions=[], items=[], users=[], now=NOW))
        result = rec.score(learner(1, history=()), CANDIDATES)
        check_answer(CANDIDATES, result)
        fresh = next(r for r in _recommenders(name, obj) if r.key == rec.key)
        fresh.loads(rec.dumps())
        assert scored(CANDIDATES, fresh.score(learner(1, history=()), CANDIDATES)) == scored(CANDIDATES, result)
