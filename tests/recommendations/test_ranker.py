"""The hybrid ranker on its own: normalisation, weights, filtering, MMR, exploration, explanations."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.plugins import RecommenderScores
from core.recommendations.ranker import (
    Candidate,
    Catalogue,
    RankRequest,
    RecommenderOutput,
    Weights,
    blend,
    exploration_slots,
    family_shares,
    item_similarity,
    mmr,
    normalise,
    rank,
    raw_vector,
    top_rows,
)


def out(key, family, scores, weight=1.0, reasons=None, because=None, keys=None):
    """An answer given as a dict, aligned with ``keys`` (default: the dict's own keys, in order)."""
    keys = list(scores) if keys is None else keys
    return RecommenderOutput.of(key, family, weight, RecommenderScores(scores, reasons or {}, because or {}), keys)


def request(candidates, outputs, **options):
    """A RankRequest over ``candidates`` with dict ``outputs`` (key, family, scores, options) aligned to it."""
    catalogue = Catalogue.of(candidates)
    aligned = [out(*o[:3], **{**(o[3] if len(o) > 3 else {}), "keys": catalogue.keys}) for o in outputs]
    return RankRequest(catalogue=catalogue, outputs=aligned, **options)


def cand(key, skills=(), owner=None, **extra):
    return Candidate(
        key=key, kind=key.split(":")[0], title=key.upper(), skills=frozenset(skills), owner_user_id=owner, **extra
    )


def test_normalise_is_min_max_over_scored_items_and_zero_for_the_rest():
    values = np.array([2.0, 4.0, math.nan, 3.0])
    assert normalise(values) == pytest.approx([0.0, 1.0, 0.0, 0.5])
    assert normalise(np.array([5.0, 5.0, math.nan])) == pytest.approx([1.0, 1.0, 0.0])  # ties all count
    assert normalise(np.array([math.nan, math.nan])) == pytest.approx([0.0, 0.0])


def test_raw_vector_aligns_dicts_and_checks_arrays():
    keys = ["a", "b", "c"]
    assert raw_vector(keys, {"c": 2.0, "a": 1.0, "z": 9.0}) == pytest.approx([1.0, math.nan, 2.0], nan_ok=True)
    given = np.array([1.0, np.inf, 3.0], dtype=np.float32)
    aligned = raw_vector(keys, given)
    assert aligned.dtype == np.float64 and aligned == pytest.approx([1.0, math.nan, 3.0], nan_ok=True)
    assert math.isinf(given[1])  # a copy: the recommender's own array is left alone
    with pytest.raises(ValueError, match="one number per candidate"):
        raw_vector(keys, np.zeros(2))
    with pytest.raises(TypeError):
        RecommenderOutput("x", "content", 1.0, RecommenderScores({"a": 1.0}))  # must be aligned first


def test_blend_weights_families_and_splits_a_family_by_recommender_weight():
    keys = ["a", "b"]
    outputs = [
        out("content", "content", {"a": 1.0, "b": 0.0}, keys=keys),
        out("ease", "collaborative", {"a": 0.0, "b": 10.0}, weight=1.0, keys=keys),
        out("svd", "collaborative", np.array([5.0, 1.0]), weight=0.25, keys=keys),  # arrays and dicts alike
        out("popularity", "popularity", {"a": 3.0, "b": 1.0}, keys=keys),
        out("trending", "trending", np.full(2, np.nan), keys=keys),  # says nothing: its weight is not used
    ]
    weights = Weights(content=0.4, collaborative=0.3, popularity=0.2, trending=0.1)
    shares = family_shares(outputs, weights)
    assert shares == pytest.approx({"content": 0.4, "ease": 0.24, "svd": 0.06, "popularity": 0.2})
    result = blend(outputs, weights)
    assert result.total == pytest.approx([0.4 + 0.06 + 0.2, 0.24])
    assert result.parts["ease"] == pytest.approx([0.0, 0.24])


def test_a_declared_family_is_blended_by_its_own_weight_and_an_absent_one_weighs_nothing():
    keys = ["a", "b"]
    outputs = [
        out("content", "content", {"a": 1.0, "b": 0.0}, keys=keys),
        out("streaks", "streaks", {"a": 0.0, "b": 1.0}, keys=keys),
        out("orphan", "orphaned", {"a": 0.0, "b": 1.0}, keys=keys),  # its family's plugin is gone
    ]
    weights = Weights(content=0.4, collaborative=0, popularity=0, trending=0, declared={"streaks": 1.2})
    assert weights.of("streaks") == 1.2 and weights.of("orphaned") == 0.0 and weights.of("content") == 0.4
    assert weights.as_dict() == {"content": 0.4, "collaborative": 0, "popularity": 0, "trending": 0, "streaks": 1.2}
    assert family_shares(outputs, weights) == pytest.approx({"content": 0.4, "streaks": 1.2, "orphan": 0.0})
    result = blend(outputs, weights)
    assert result.total == pytest.approx([0.4, 1.2]) and "orphan" not in result.parts
    heavier = blend(outputs, Weights(0.4, 0, 0, 0, declared={"streaks": 0.1}))
    assert heavier.total == pytest.approx([0.4, 0.1])
    Weights(0, 0, 0, 0, declared={"streaks": 1.0}).validate()  # a declared family alone may carry the blend
    with pytest.raises(ValueError):
        Weights(declared={"streaks": -1.0}).validate()
    assert hash(weights) == hash(Weights(0.4, 0, 0, 0, declared={"other": 3.0}))  # still hashable


def test_a_session_inherits_part_of_its_mentors_score():
    catalogue = Catalogue.of([cand("session:5", parent="mentor:1"), cand("session:9")])
    assert list(catalogue.keys) == ["session:5", "session:9", "mentor:1"]  # the parent is scored too
    assert catalogue.parents.tolist() == [2, -1, -1]
    scores = {"mentor:1": 4.0, "mentor:2": 2.0, "session:9": 2.0}
    outputs = [out("popularity", "popularity", scores, keys=catalogue.keys)]
    result = blend(outputs, Weights(0, 0, 1, 0), catalogue.parents)
    # scored: session 9 (2) and mentor 1 (4): mentor 1 normalises to 1, session 9 to 0; session 5 inherits 0.8
    assert result.total[:2] == pytest.approx([0.8 * 1.0, 0.0])


def test_top_rows_is_a_stable_descending_order_without_sorting_everything():
    values = np.array([1.0, 3.0, 3.0, 0.0, 3.0, 2.0, -np.inf])
    assert top_rows(values, 2).tolist() == [1, 2]  # ties by row
    assert top_rows(values, 4).tolist() == [1, 2, 4, 5]
    assert top_rows(values, 10).tolist() == np.argsort(-values, kind="stable").tolist()
    rng = np.random.default_rng(1)
    many = rng.integers(0, 5, 300).astype(float)
    for n in (1, 7, 50, 299):
        assert top_rows(many, n).tolist() == np.argsort(-many, kind="stable")[:n].tolist()


def test_catalogue_masks_excluded_and_own_items():
    catalogue = Catalogue.of([cand("mentor:1", owner=1), cand("session:2", owner=1), cand("mentor:3", owner=3)])
    assert catalogue.allowed(frozenset(), None).tolist() == [True, True, True]
    assert catalogue.allowed(frozenset({"mentor:3", "mentor:99"}), 1).tolist() == [False, False, False]
    assert catalogue.allowed(frozenset({"mentor:3"}), 7).tolist() == [True, True, False]


def test_weights_must_be_positive_somewhere():
    with pytest.raises(ValueError):
        Weights(0, 0, 0, 0).validate()
    with pytest.raises(ValueError):
        Weights(-1, 1, 0, 0).validate()
    Weights().validate()


def test_rank_filters_unbookable_own_and_excluded_items_best_first():
    candidates = [cand(f"mentor:{n}", owner=n) for n in range(1, 7)]
    scores = {f"mentor:{n}": float(n) for n in range(1, 7)}
    asked = []

    def bookable(batch):
        asked.append([c.key for c in batch])
        return {c.key for c in batch if c.key != "mentor:6"}

    ranked = rank(
        request(
            candidates,
            [("popularity", "popularity", scores)],
            weights=Weights(),
            limit=2,
            diversity_lambda=1.0,
            exclude=frozenset({"mentor:4"}),
            user_id=5,
            bookable=bookable,
            pool_factor=1,
        )
    )
    assert [r.candidate.key for r in ranked] == ["mentor:3", "mentor:2"]
    assert asked[0][0] == "mentor:6"  # checked best first, in one batch


def test_mmr_trades_relevance_for_variety():
    a = cand("mentor:1", {"Python", "Django"}, owner=1)
    b = cand("session:2", {"Python", "Django"}, owner=1)  # same mentor as a
    c = cand("mentor:3", {"Guitar"}, owner=3)
    pool = [(a, 1.0), (b, 0.9), (c, 0.5)]
    assert [x.key for x, _ in mmr(pool, 3, 1.0)] == ["mentor:1", "session:2", "mentor:3"]
    # lambda 0.7: b scores 0.7*0.9 - 0.3*1 = 0.33, c scores 0.7*0.5 - 0 = 0.35
    assert [x.key for x, _ in mmr(pool, 3, 0.7)] == ["mentor:1", "mentor:3", "session:2"]
    assert item_similarity(a, c) == 0.0 and item_similarity(a, b) == 1.0


def test_exploration_gives_new_mentors_a_share_of_the_slots():
    assert exploration_slots(10, 0.1) == 1 and exploration_slots(10, 0.2) == 2
    assert exploration_slots(10, 0.0) == 0 and exploration_slots(1, 0.5) == 0 and exploration_slots(4, 0.1) == 1
    old = [cand(f"mentor:{n}", {"Python"}, owner=n) for n in range(1, 10)]
    new = [cand("mentor:50", {"Python"}, owner=50, is_new=True), cand("mentor:51", {"Guitar"}, owner=51, is_new=True)]
    scores = {c.key: float(20 - n) for n, c in enumerate(old)}
    content = {"mentor:50": 1.0, "mentor:51": 0.1}
    ranked = rank(
        request(
            old + new,
            [("popularity", "popularity", scores), ("content", "content", content)],
            weights=Weights(content=0.01, collaborative=0, popularity=1, trending=0),
            limit=4,
            diversity_lambda=1.0,
            exploration_share=0.25,
        )
    )
    keys = [r.candidate.key for r in ranked]
    assert keys == ["mentor:1", "mentor:50", "mentor:2", "mentor:3"]  # the content-closest new mentor, 2nd of 4
    assert ranked[1].exploration and not ranked[0].exploration


def test_the_strongest_contributor_explains_and_because_names_items():
    outputs = [
        (
            "ease",
            "collaborative",
            {"mentor:2": 5.0, "mentor:3": 1.0},
            {
                "reasons": {"mentor:2": "learners who booked {because} also booked this"},
                "because": {"mentor:2": ["session:7"]},
            },
        ),
        (
            "popularity",
            "popularity",
            {"mentor:2": 1.0, "mentor:3": 3.0},
            {"reasons": {"mentor:2": "popular with learners", "mentor:3": "popular with learners"}},
        ),
    ]
    asked = []

    def titles(keys):
        asked.append(set(keys))
        return {"session:7": "Django forms"}

    ranked = rank(
        request(
            [cand("mentor:2"), cand("mentor:3"), cand("session:8", parent="mentor:3")],
            outputs,
            weights=Weights(content=0, collaborative=0.6, popularity=0.4, trending=0),
            limit=3,
            diversity_lambda=1.0,
            titles=titles,
        )
    )
    assert asked == [{"session:7"}]  # one look-up, only for what the shown items name
    by_key = {r.candidate.key: r for r in ranked}
    assert by_key["mentor:2"].explanation == "Learners who booked Django forms also booked this"
    assert by_key["mentor:3"].explanation == "Popular with learners"
    assert by_key["session:8"].explanation == "Popular with learners"  # its mentor's reason
    assert by_key["mentor:2"].parts == pytest.approx({"ease": 0.6})


def test_a_list_comes_back_with_no_recommender_at_all():
    ranked = rank(request([cand("mentor:1"), cand("mentor:2")], [], weights=Weights(), limit=5))
    assert [r.candidate.key for r in ranked] == ["mentor:1", "mentor:2"]
    assert all(r.explanation == "" for r in ranked)
