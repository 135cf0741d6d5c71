"""Each built-in recommender on a small fixture whose answers are worked out by hand."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from surprise import SVD, Dataset, Reader

from core.plugins import Candidates, Interaction, ItemFeatures, TrainingData, UserFeatures
from peerlearn_testing.recommender_data import CANDIDATES, ITEMS, NOW, days_ago, learner, scored, training_data
from plugins.recommenders.collaborative.plugin import (
    EaseRecommender,
    SurpriseSVDRecommender,
    content_gram,
    ease_weights,
    session_gram,
)
from plugins.recommenders.common import signal_times, signal_weights, user_item_matrix
from plugins.recommenders.content.plugin import ContentRecommender
from plugins.recommenders.popularity.plugin import PopularityRecommender, decay_factor
from plugins.recommenders.trending.plugin import TrendingRecommender, growth_score


def english(reason) -> str:
    """A reason as the core shows it to an English reader (a Reason is translated and filled there)."""
    from django.utils import translation

    from core.recommendations.ranker import render_reason

    with translation.override("en"):
        return reason if isinstance(reason, str) else render_reason(reason)


def answer(rec, user, keys):
    """What ``rec`` scores of ``keys`` as a dict, and its full answer."""
    candidates = Candidates(keys)
    result = rec.score(user, candidates)
    assert result.scores.shape == (len(keys),)
    return scored(candidates, result), result


# --- content ------------------------------------------------------------------


def test_jaccard_ranks_the_mentor_sharing_the_learners_interests_first():
    rec = ContentRecommender(jaccard_weight=1.0, tfidf_weight=0.0)
    rec.fit(training_data())
    user = UserFeatures(user_id=1, interests=frozenset({"Python", "Django"}))
    scores, result = answer(rec, user, CANDIDATES)
    # |{Python, Django} & skills| / |union|: mentor 1 2/2, mentor 2 1/3, session 10 1/2, others 0.
    assert scores == pytest.approx({"mentor:1": 1.0, "mentor:2": 1 / 3, "session:10": 0.5})
    assert english(result.reasons["mentor:1"]) == "teaches Django and Python, which you listed"
    assert english(result.reasons["session:10"]) == "covers Django, which you listed"


def test_tfidf_cosine_matches_a_hand_computation():
    items = [
        ItemFeatures("mentor:1", text="guitar lessons"),
        ItemFeatures("mentor:2", text="piano lessons"),
        ItemFeatures("mentor:3", text="guitar guitar theory"),
    ]
    rec = ContentRecommender(jaccard_weight=0.0, tfidf_weight=1.0)
    rec.fit(TrainingData(interactions=[], items=items, users=[], now=NOW))
    scores, _ = answer(
        rec, UserFeatures(user_id=1, interests=frozenset({"Guitar"})), ["mentor:1", "mentor:2", "mentor:3"]
    )
    # smooth idf = ln((1 + n) / (1 + df)) + 1, sublinear tf = 1 + ln(tf), rows L2-normalised;
    # the query "guitar" is the unit vector on "guitar", so the cosine is each row's guitar weight.
    idf_shared, idf_single = math.log(4 / 3) + 1, math.log(4 / 2) + 1
    first = idf_shared / math.hypot(idf_shared, idf_shared)
    tf = 1 + math.log(2)
    third = tf * idf_shared / math.hypot(tf * idf_shared, idf_single)
    assert scores == pytest.approx({"mentor:1": first, "mentor:3": third}, rel=1e-5)


def test_history_builds_a_profile_and_names_the_similar_item():
    rec = ContentRecommender(jaccard_weight=1.0, tfidf_weight=0.0)
    rec.fit(training_data())
    user = UserFeatures(user_id=7, history=(Interaction(7, "mentor:1", "book", NOW),))
    scores, result = answer(rec, user, ["mentor:1", "mentor:2", "session:10", "mentor:3"])
    assert "mentor:3" not in scores
    assert "mentor:1" not in result.because  # an item is never "similar to" itself
    assert result.reasons["session:10"] == "similar to {because}"
    assert result.because["session:10"] == ["mentor:1"]


def test_language_penalty_lowers_items_in_languages_the_learner_does_not_speak():
    rec = ContentRecommender(jaccard_weight=1.0, tfidf_weight=0.0, language_penalty=0.5)
    rec.fit(training_data())
    user = UserFeatures(user_id=1, interests=frozenset({"Guitar", "Spanish"}), languages=frozenset({"en"}))
    scores, _ = answer(rec, user, ["mentor:3", "mentor:4"])
    assert scores["mentor:3"] == pytest.approx(0.5 * 0.5)  # Jaccard 1/2, speaks only "es"
    assert scores["mentor:4"] == pytest.approx(0.5)


# --- popularity ----------------------------------------------------------------


def test_decay_halves_per_half_life():
    assert decay_factor(0, 10) == 1.0
    assert decay_factor(10, 10) == pytest.approx(0.5)
    assert decay_factor(20, 10) == pytest.approx(0.25)
    assert decay_factor(300, 0) == 1.0  # decay off
    assert decay_factor(-5, 10) == 1.0  # a clock skewed into the future never counts more


def test_popularity_sums_decayed_signals():
    rows = [
        Interaction(1, "mentor:1", "book", NOW),
        Interaction(2, "mentor:1", "book", days_ago(10)),
        Interaction(3, "mentor:2", "click", NOW),
        Interaction(4, "mentor:2", "dismiss", NOW),
        Interaction(5, "mentor:2", "impression", NOW),
    ]
    rec = PopularityRecommender(half_life_days=10)
    rec.fit(TrainingData(interactions=rows, items=ITEMS, users=[], now=NOW))
    scores, result = answer(rec, UserFeatures(user_id=9), ["mentor:1", "mentor:2", "mentor:3"])
    assert scores == pytest.approx({"mentor:1": 1.5, "mentor:2": 0.3})
    assert result.scores == pytest.approx([1.5, 0.3, math.nan], nan_ok=True)  # aligned; never seen: NaN
    assert english(result.reasons["mentor:1"]) == "booked by 2 learners"
    assert result.reasons["mentor:2"] == "popular with learners"


# --- trending ------------------------------------------------------------------


def test_trending_scores_growth_against_the_previous_period():
    rows = []
    for n in range(3):  # A: 3 recent, 1 previous
        rows.append(Interaction(n, "mentor:1", "book", days_ago(1 + n)))
    rows.append(Interaction(9, "mentor:1", "book", days_ago(10)))
    rows.append(Interaction(1, "mentor:2", "book", days_ago(1)))  # B: 1 recent, below the minimum of 2
    for n in range(2):  # C: 2 recent, 4 previous: shrinking
        rows.append(Interaction(n, "mentor:3", "book", days_ago(2)))
    for n in range(4):
        rows.append(Interaction(n, "mentor:3", "book", days_ago(8 + n)))
    rows.append(Interaction(5, "mentor:4", "book", days_ago(20)))  # D: older than both periods
    rec = TrendingRecommender(window_days=7, min_recent=2, prior=1)
    rec.fit(TrainingData(interactions=rows, items=ITEMS, users=[], now=NOW))
    scores, result = answer(rec, UserFeatures(user_id=1), CANDIDATES)
    assert scores == pytest.approx({"mentor:1": (3 - 1) / math.sqrt(1 + 1)})
    assert result.reasons == {"mentor:1": "popular this week"}
    assert growth_score(1, 0, 1) < growth_score(30, 10, 1)  # 10 -> 30 beats 0 -> 1
    assert english(TrendingRecommender(window_days=3).reason(0)) == "trending over the last 3 days"


# --- collaborative -------------------------------------------------------------


def test_ease_weights_match_the_closed_form_by_hand():
    # X = [[1, 1], [1, 0]] -> G = [[2, 1], [1, 1]]; with lambda 1, P = inv([[3, 1], [1, 2]]) = [[2, -1], [-1, 3]] / 5
    # B_ij = -P_ij / P_jj: B_01 = (1/5) / (3/5) = 1/3, B_10 = (1/5) / (2/5) = 1/2, diagonal 0.
    b = ease_weights(np.array([[2.0, 1.0], [1.0, 1.0]]), 1.0)
    assert b == pytest.approx(np.array([[0.0, 1 / 3], [1 / 2, 0.0]]), abs=1e-6)


def test_ease_scores_from_live_history_and_explains_with_the_item():
    rows = [
        Interaction(1, "mentor:1", "book", NOW),
        Interaction(1, "mentor:2", "book", NOW),
        Interaction(2, "mentor:1", "book", NOW),
    ]
    rec = EaseRecommender(lam=1.0, session_minutes=0, visit_minutes=0, text_weight=0, skill_weight=0)  # plain
    rec.fit(TrainingData(interactions=rows, items=ITEMS, users=[], now=NOW))
    # A learner the model never saw, who just booked mentor 1:
    user = UserFeatures(user_id=50, history=(Interaction(50, "mentor:1", "book", NOW),))
    scores, result = answer(rec, user, ["mentor:2", "mentor:3"])
    assert scores == pytest.approx({"mentor:2": 1 / 3}, rel=1e-3)  # B is kept at half precision
    assert result.reasons["mentor:2"] == "learners who booked {because} also booked this"
    assert result.because["mentor:2"] == ["mentor:1"]
    assert answer(rec, UserFeatures(user_id=51), ["mentor:2"])[0] == {}  # no history, no opinion


def test_signal_times_are_those_of_the_strongest_signal():
    rows = [
        Interaction(1, "mentor:1", "view", NOW),
        Interaction(1, "mentor:1", "book", NOW - timedelta(hours=2)),
        Interaction(1, "mentor:1", "click", NOW - timedelta(hours=1)),
        Interaction(1, "mentor:2", "rate", NOW - timedelta(days=2), 2.0),
        Interaction(1, "mentor:2", "rate", NOW - timedelta(days=1), 4.0),  # a tie: the latest counts
        Interaction(1, "mentor:3", "impression", NOW),  # weight 0: no signal
    ]
    seconds = signal_times(rows, signal_weights())
    assert seconds == {
        (1, "mentor:1"): (NOW - timedelta(hours=2)).timestamp(),
        (1, "mentor:2"): (NOW - timedelta(days=1)).timestamp(),
    }


def test_session_gram_counts_a_pair_by_how_close_in_time_it_was_chosen():
    # Learner 1 booked A and B a minute apart; learner 2 booked A, and C a day later.
    rows = [
        Interaction(1, "mentor:1", "book", NOW),
        Interaction(1, "mentor:2", "book", NOW + timedelta(minutes=1)),
        Interaction(2, "mentor:1", "book", NOW),
        Interaction(2, "mentor:3", "click", NOW + timedelta(days=1)),
    ]
    weights = signal_weights()
    pairs = {(it.user_id, it.item): weights[it.kind] for it in rows}
    matrix, users, items = user_item_matrix(pairs)
    seconds = signal_times(rows, weights)
    gram = session_gram(matrix, users, items, seconds, [(60.0, 1.0)], block=1)
    a, b, c = (items.index(k) for k in ("mentor:1", "mentor:2", "mentor:3"))
    assert gram[a, b] == pytest.approx(math.exp(-1)) and gram[b, a] == pytest.approx(math.exp(-1))
    assert gram[a, c] == pytest.approx(0.0, abs=1e-12)
    # The diagonal is the plain co-occurrence one: the squared signal weights (a click is 0.3).
    assert np.diag(gram) == pytest.approx([2.0, 1.0, 0.09])
    assert gram == pytest.approx(session_gram(matrix, users, items, seconds, [(60.0, 1.0)]))
    # Two windows add up, each with its share: a minute apart is e^-1 of the first and e^-0.1 of the second.
    both = session_gram(matrix, users, items, seconds, [(60.0, 0.5), (600.0, 0.2)])
    assert both[a, b] == pytest.approx(0.5 * math.exp(-1) + 0.2 * math.exp(-0.1))
    assert np.diag(both) == pytest.approx(0.7 * np.array([2.0, 1.0, 0.09]))


def test_content_gram_adds_description_cosine_and_shared_skills():
    items = [
        ItemFeatures("mentor:1", frozenset({"Guitar", "Theory"}), "guitar lessons"),
        ItemFeatures("mentor:2", frozenset({"guitar"}), "piano lessons"),
        ItemFeatures("mentor:3", frozenset(), "guitar theory"),
    ]
    gram = content_gram(["mentor:1", "mentor:2", "mentor:3", "mentor:9"], items, text_weight=2.0, skill_weight=0.5)
    # Only words in at least two items count: guitar (1, 3) and lessons (1, 2), with the same idf. Item 1 is
    # (1, 1) / sqrt 2, item 2 (0, 1), item 3 (1, 0): cosine 1/sqrt 2 between 1 and either, 0 between 2 and 3.
    # Skills (case-insensitive): 1 and 2 share "guitar".
    half = 1 / math.sqrt(2)
    expected = np.array(
        [
            [2.0 + 0.5 * 2, 2.0 * half + 0.5, 2.0 * half, 0.0],
            [2.0 * half + 0.5, 2.0 + 0.5, 0.0, 0.0],
            [2.0 * half, 0.0, 2.0, 0.0],
            [0.0, 0.0, 0.0, 0.0],  # an item without features adds nothing
        ]
    )
    assert gram == pytest.approx(expected, abs=1e-6)
    assert not content_gram(["mentor:1"], items, text_weight=0.0, skill_weight=0.0).any()


def test_sessions_tell_ease_which_of_two_equally_co_booked_items_goes_with_one():
    # Every learner booked mentor 1 with both 2 and 3; mentor 2 in the same sitting, mentor 3 months apart.
    rows = []
    for user in range(1, 6):
        start = NOW - timedelta(days=30 * user)
        rows.append(Interaction(user, "mentor:1", "book", start))
        rows.append(Interaction(user, "mentor:2", "book", start + timedelta(minutes=2)))
        rows.append(Interaction(user, "mentor:3", "book", start + timedelta(days=90)))
    data = TrainingData(interactions=rows, items=ITEMS, users=[], now=NOW)
    user = UserFeatures(user_id=50, history=(Interaction(50, "mentor:1", "book", NOW),))
    plain = EaseRecommender(lam=1.0, session_minutes=0, visit_minutes=0, text_weight=0, skill_weight=0)
    plain.fit(data)
    pair = Candidates(["mentor:2", "mentor:3"])
    scores = plain.score(user, pair).scores
    assert scores[0] == pytest.approx(scores[1])
    timed = EaseRecommender(lam=1.0, session_minutes=5, visit_minutes=0, text_weight=0, skill_weight=0)
    timed.fit(data)
    scores = timed.score(user, pair).scores
    assert scores[0] > scores[1]


def test_ease_scales_session_shares_adding_up_to_more_than_one_down_to_one():
    rec = EaseRecommender(session_minutes=2, session_share=1.5, visit_minutes=30, visit_share=0.5)
    assert np.array(rec.windows) == pytest.approx(np.array([[120.0, 0.75], [1800.0, 0.25]]))
    # A window that is off has no share; shares below 1 are kept as they are.
    assert EaseRecommender(session_share=0.8, visit_share=0.3, visit_minutes=0).windows == [(60.0, 0.8)]
    assert np.array(EaseRecommender().windows) == pytest.approx(np.array([[60.0, 0.5], [600.0, 0.2]]))


def test_ease_keeps_the_most_interacted_items_within_its_limit():
    rec = EaseRecommender(lam=1.0, max_items=2)
    rec.fit(training_data())
    assert len(rec.items) == 2 and set(rec.items) == {"mentor:1", "mentor:2"}
    assert rec.b.shape == (2, 2) and rec.b.dtype == np.float16
    # an item beyond the limit has no score of its own (a session then inherits its mentor's)
    scores, _ = answer(rec, learner(100), ["mentor:1", "mentor:2", "mentor:3"])
    assert set(scores) == {"mentor:1", "mentor:2"}


def test_ease_weights_fill_both_triangles_of_a_larger_matrix():
    rng = np.random.default_rng(5)
    x = (rng.random((300, 700)) < 0.05).astype(np.float64)  # wider than one block of the in-place mirroring
    gram = x.T @ x
    p = np.linalg.inv(gram + 10.0 * np.eye(700))
    expected = -p / np.diag(p)[np.newaxis, :]
    np.fill_diagonal(expected, 0.0)
    b = ease_weights(gram, 10.0)
    assert b.dtype == np.float32 and b.flags.c_contiguous
    assert np.abs(b - expected).max() < 1e-4
    fortran = np.asfortranarray(gram, dtype=np.float32)
    assert np.abs(ease_weights(fortran, 10.0, overwrite=True) - expected).max() < 1e-4


def test_svd_scores_all_candidates_at_once_exactly_as_surprise_predicts():
    data = training_data()
    rec = SurpriseSVDRecommender(n_factors=4, n_epochs=30, seed=3)
    rec.fit(data)
    scores, _ = answer(rec, UserFeatures(user_id=100), CANDIDATES)

    latest = {}
    for it in sorted(data.interactions, key=lambda i: i.at):
        if it.kind == "rate":
            latest[(it.user_id, it.item)] = it.value
    raw = [(u, i, v, None) for (u, i), v in sorted(latest.items())]
    trainset = Dataset(Reader(rating_scale=(min(latest.values()), max(latest.values())))).construct_trainset(raw)
    algo = SVD(n_factors=4, n_epochs=30, random_state=3)
    algo.fit(trainset)
    rated = {item for _, item, _, _ in raw}
    expected = {i: algo.predict(100, i, clip=False).est for i in CANDIDATES if i in rated}
    assert set(scores) == set(expected)
    assert scores == pytest.approx(expected, rel=1e-4)
    assert answer(rec, UserFeatures(user_id=12345), CANDIDATES)[0] == {}  # unknown learner


def test_dismissal_cancels_a_users_positive_signal():
    rows = [Interaction(1, "mentor:1", "click", NOW), Interaction(1, "mentor:1", "dismiss", NOW + timedelta(1))]
    rec = PopularityRecommender(half_life_days=0)
    rec.fit(TrainingData(interactions=rows, items=ITEMS, users=[], now=NOW))
    assert answer(rec, UserFeatures(user_id=2), ["mentor:1"])[0] == pytest.approx({"mentor:1": 0.3})
    ease = EaseRecommender(lam=1.0)
    ease.fit(TrainingData(interactions=rows, items=ITEMS, users=[], now=NOW))
    assert ease.items == []


def test_learner_fixture_history_is_the_learners_own():
    assert all(i.user_id == 101 for i in learner(101).history)
