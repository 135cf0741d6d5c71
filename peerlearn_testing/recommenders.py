"""The recommender contract: what every recommender plugin must do, whatever its algorithm.

Run it against a plugin by subclassing :class:`RecommenderContract` in a test
module that defines the fixture ``peerlearn_plugin`` (the plugin's entry-point
name). No database is needed: the recommender is fitted on a small synthetic
platform (:mod:`.recommender_data`), scored, serialised and loaded again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pytest

from core.plugins import BUILTIN_FAMILIES, Candidates, Recommender, RecommenderFamily, RecommenderScores, TrainingData
from core.recommendations.ranker import raw_vector

from . import plugins
from .recommender_data import CANDIDATES, NOW, learner, scored, training_data

#: The built-in families (kept for suites that imported it; a plugin may also declare its own).
FAMILIES = set(BUILTIN_FAMILIES)


def declared_families(name: str) -> tuple[RecommenderFamily, ...]:
    """The families the plugin declares in its ``PluginMeta.families`` (often none)."""
    return tuple(plugins.load(name).peerlearn_meta.families)


def recommenders_of(name: str) -> list[Recommender]:
    """The recommenders the plugin provides with its default settings (a fresh list each call)."""
    obj = plugins.load(name)
    return list(obj.peerlearn_recommenders(config=plugins.default_config(name, obj)))


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
    assert all(_reason_text(result.reasons[c]) for c in explained), "reasons are text or a Reason with a message"
    for item, because in result.because.items():
        assert item in result.reasons and "{because}" in _reason_text(result.reasons[item])
        assert all(isinstance(k, str) for k in because)


def _reason_text(reason) -> str:
    """The English of a reason: a plain message, or a :class:`~core.plugins.Reason`'s (both forms)."""
    from core.plugins import Reason

    if isinstance(reason, Reason):
        assert isinstance(reason.message, str) and isinstance(reason.plural, str)
        assert not reason.plural or isinstance(reason.count, int), "a plural reason has a count"
        return reason.message + reason.plural
    assert isinstance(reason, str)
    return reason


class RecommenderContract:
    """Subclass in a test module that defines the ``peerlearn_plugin`` fixture."""

    def test_recommender_contract(self, peerlearn_plugin: str) -> None:
        recs = recommenders_of(peerlearn_plugin)
        assert recs, f"{peerlearn_plugin} provides no recommender"
        data = training_data()
        own = {family.name for family in declared_families(peerlearn_plugin)}
        for rec in recs:
            assert isinstance(rec, Recommender)
            assert rec.family in FAMILIES | own, (
                f"{rec.key}'s family {rec.family!r} is neither built in ({', '.join(BUILTIN_FAMILIES)}) "
                "nor declared in the plugin's PluginMeta.families"
            )
            assert isinstance(rec.key, str) and rec.key and isinstance(rec.label, str) and rec.label
            assert isinstance(rec.weight, int | float) and rec.weight >= 0
            rec.fit(data)
            user = learner(100, interests=frozenset({"Python"}), languages=frozenset({"en"}))
            candidates = Candidates([*CANDIDATES, "mentor:999"])  # one the model never saw
            result = rec.score(user, candidates)
            assert isinstance(result, RecommenderScores)
            check_answer(candidates, result)
            assert math.isnan(raw_vector(candidates, result.scores)[-1]), "an item the model never saw has no score"
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
            fresh = next(r for r in recommenders_of(peerlearn_plugin) if r.key == rec.key)
            fresh.loads(blob)
            again = fresh.score(user, candidates)
            assert scored(candidates, again) == pytest.approx(scored(candidates, result))
            assert {c: again.reasons[c] for c in candidates if c in again.reasons} == {
                c: result.reasons[c] for c in candidates if c in result.reasons
            }

    def test_declared_families_are_valid(self, peerlearn_plugin: str) -> None:
        """Each family the plugin declares passes the checks the core makes at load, and is used."""
        declared = declared_families(peerlearn_plugin)
        names = [family.name for family in declared]
        assert len(names) == len(set(names)), f"a family is declared twice: {names}"
        for family in declared:
            assert isinstance(family, RecommenderFamily), f"{family!r} is not a core.plugins.RecommenderFamily"
            assert family.problem() == "", family.problem()
        used = {rec.family for rec in recommenders_of(peerlearn_plugin)}
        unused = set(names) - used
        assert not unused, f"declared but no recommender of the plugin names it: {', '.join(sorted(unused))}"

    def test_recommender_copes_with_no_data(self, peerlearn_plugin: str) -> None:
        for rec in recommenders_of(peerlearn_plugin):
            rec.fit(TrainingData(interactions=[], items=[], users=[], now=NOW))
            result = rec.score(learner(1, history=()), CANDIDATES)
            check_answer(CANDIDATES, result)
            fresh = next(r for r in recommenders_of(peerlearn_plugin) if r.key == rec.key)
            fresh.loads(rec.dumps())
            assert scored(CANDIDATES, fresh.score(learner(1, history=()), CANDIDATES)) == scored(CANDIDATES, result)
