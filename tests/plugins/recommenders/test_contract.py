"""The recommender contract, run against every registered recommender plugin.

A third-party recommender installed in the environment is picked up from the
``peerlearn.plugins`` entry points and must pass the same cases.
"""

from __future__ import annotations

import importlib.metadata
import math

import pytest

from core.plugins import ENTRY_POINT_GROUP, PluginConfig, PluginMeta, Recommender, RecommenderScores, TrainingData

from .fixtures import CANDIDATES, NOW, learner, training_data


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
        candidates = CANDIDATES + ["mentor:999"]  # one the model never saw
        result = rec.score(user, candidates)
        assert isinstance(result, RecommenderScores)
        assert set(result.scores) <= set(candidates), "scores only for the candidates given"
        assert all(isinstance(v, float) and math.isfinite(v) for v in result.scores.values())
        assert set(result.reasons) <= set(result.scores)
        assert all(isinstance(r, str) and r for r in result.reasons.values())
        for item, because in result.because.items():
            assert item in result.reasons and "{because}" in result.reasons[item]
            assert all(isinstance(k, str) for k in because)

        subset = CANDIDATES[:2]
        assert set(rec.score(user, subset).scores) <= set(subset)
        assert rec.score(user, []).scores == {}

        blob = rec.dumps()
        assert isinstance(blob, bytes) and blob
        fresh = next(r for r in _recommenders(name, obj) if r.key == rec.key)
        fresh.loads(blob)
        again = fresh.score(user, candidates)
        assert again.scores == pytest.approx(result.scores)
        assert dict(again.reasons) == dict(result.reasons)


@pytest.mark.parametrize(("name", "obj"), PLUGINS, ids=[name for name, _ in PLUGINS])
def test_recommender_copes_with_no_data(name, obj):
    for rec in _recommenders(name, obj):
        rec.fit(TrainingData(interactions=[], items=[], users=[], now=NOW))
        result = rec.score(learner(1, history=()), CANDIDATES)
        assert all(math.isfinite(v) for v in result.scores.values())
        fresh = next(r for r in _recommenders(name, obj) if r.key == rec.key)
        fresh.loads(rec.dumps())
        assert fresh.score(learner(1, history=()), CANDIDATES).scores == result.scores
