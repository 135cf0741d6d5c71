"""The model code on tiny data sets whose answers are known (no database)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from core.analytics.ml.boosting import DEFAULT_PARAMS, BoostedModel
from core.analytics.ml.linear import LogisticModel, NotEnoughData
from core.analytics.ml.paths import SkillPathModel
from core.analytics.ml.pricing import DemandModel, Observation
from core.analytics.ml.scoring import hit_rate, precision_at_fraction, roc_auc


def test_roc_auc_by_hand():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]) == 0.75  # 3 of 4 pairs ordered right
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5  # a tie counts half
    assert roc_auc([1, 1, 0], [0.9, 0.8, 0.1]) == 1.0
    assert math.isnan(roc_auc([1, 1], [0.2, 0.3]))


def test_precision_at_a_fraction_and_hit_rate():
    y = [1, 0, 1, 0, 0, 0, 0, 0, 0, 1]
    scores = [0.9, 0.8, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.2]
    assert precision_at_fraction(y, scores, 0.1) == 1.0  # the single top case
    assert precision_at_fraction(y, scores, 0.3) == pytest.approx(2 / 3)
    assert hit_rate(["a", "b", "c"], [["a", "x"], ["x", "y"], ["y", "c"]], 2) == pytest.approx(2 / 3)
    assert hit_rate(["c"], [["y", "z", "c"]], 2) == 0.0


def _churn_like(n: int = 60, seed: int = 3):
    rng = np.random.default_rng(seed)
    idle = rng.uniform(0, 100, n)  # days since the last booking: the more, the likelier to leave
    noise = rng.normal(0, 1, n)
    y = (idle + rng.normal(0, 15, n) > 50).astype(int)
    return np.column_stack([idle, noise]), y


def test_logistic_orders_by_the_informative_feature_and_explains_it():
    X, y = _churn_like()
    model = LogisticModel.fit(X, y, ["idle_days", "noise"])
    low, high = model.predict_proba([[5.0, 0.0], [95.0, 0.0]])
    assert low < 0.2 < 0.8 < high
    reasons = model.explain([95.0, 0.0], top=2)
    assert reasons[0].feature == "idle_days" and reasons[0].contribution > 0
    assert [c.feature for c in model.explain([5.0, 0.0], direction=-1)][:1] == ["idle_days"]
    copy = LogisticModel.from_dict(model.to_dict())
    assert np.allclose(copy.predict_proba(X), model.predict_proba(X))


def test_logistic_contributions_add_up_to_the_log_odds():
    X, y = _churn_like()
    model = LogisticModel.fit(X, y, ["idle_days", "noise"])
    parts, base = model.contributions(X)
    p = model.predict_proba(X)
    assert np.allclose(1 / (1 + np.exp(-(parts.sum(axis=1) + base))), p)


def _interaction(n: int = 2000, seed: int = 5):
    """Learners leave when idle for long *and* nothing is booked ahead: either alone does little."""
    rng = np.random.default_rng(seed)
    idle = rng.uniform(0, 120, n)
    booked_ahead = rng.integers(0, 2, n).astype(float)
    noise = rng.normal(0, 1, n)
    risk = np.where((idle > 60) & (booked_ahead == 0), 0.9, 0.1)
    return np.column_stack([idle, booked_ahead, noise]), (rng.random(n) < risk).astype(int)


NAMES = ["idle_days", "booked_ahead", "noise"]


def test_boosted_trees_learn_an_interaction_and_explain_it():
    X, y = _interaction()
    model = BoostedModel.fit(X, y, NAMES)
    gone, idle_but_booked, active, active_unbooked = model.predict_proba(
        [[100.0, 0.0, 0.0], [100.0, 1.0, 0.0], [10.0, 1.0, 0.0], [10.0, 0.0, 0.0]]
    )
    assert gone > 0.7 and max(idle_but_booked, active, active_unbooked) < 0.3
    # per-person reasons: the two real causes, never the noise, and they add up to the log-odds
    reasons = model.explain([100.0, 0.0, 0.0], top=3)
    assert {c.feature for c in reasons[:2]} == {"idle_days", "booked_ahead"}
    assert all(c.contribution > 0 for c in reasons[:2])
    assert model.explain([100.0, 1.0, 0.0], top=1, direction=-1)[0].feature == "booked_ahead"
    parts, base = model.contributions(X[:50])
    assert np.allclose(parts.sum(axis=1) + base, model.decision_function(X[:50]))
    assert np.abs(parts[:, 2]).mean() < 0.2 * np.abs(parts[:, :2]).mean()  # the noise matters far less
    # stored as plain JSON, and the copy scores the same
    copy = BoostedModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert np.allclose(copy.predict_proba(X), model.predict_proba(X))
    with pytest.raises(ValueError):
        LogisticModel.from_dict(model.to_dict())


def test_boosted_trees_score_as_scikit_learn_does_with_missing_values():
    from sklearn.ensemble import HistGradientBoostingClassifier

    X, y = _interaction(n=1500, seed=9)
    X[::5, 0] = np.nan  # idle unknown for some
    model = BoostedModel.fit(X, y, NAMES, seed=3)
    reference = HistGradientBoostingClassifier(
        **DEFAULT_PARAMS, early_stopping=True, validation_fraction=0.1, n_iter_no_change=20, random_state=3
    ).fit(X, y)
    assert len(model.trees) == reference.n_iter_
    assert np.allclose(model.decision_function(X), reference.decision_function(X))


def test_boosted_trees_on_a_tiny_set_and_bad_input():
    X, y = _churn_like()  # 60 rows: no rows to spare for early stopping
    model = BoostedModel.fit(X, y, ["idle_days", "noise"])
    low, high = model.predict_proba([[5.0, 0.0], [95.0, 0.0]])
    assert low < 0.3 < 0.7 < high
    assert model.explain([95.0, 0.0], top=1)[0].feature == "idle_days"
    with pytest.raises(NotEnoughData):
        BoostedModel.fit([[1.0], [2.0], [3.0]], [0, 0, 0], ["x"])
    with pytest.raises(ValueError):
        BoostedModel.fit(X, y, ["only_one_name"])
    with pytest.raises(ValueError):
        model.predict_proba([[1.0, 2.0, 3.0]])


def test_logistic_refuses_one_sided_data():
    with pytest.raises(NotEnoughData):
        LogisticModel.fit([[1.0], [2.0], [3.0]], [1, 1, 1], ["x"])
    with pytest.raises(ValueError):
        LogisticModel.fit([[1.0, 2.0]], [1], ["x"])


def test_skill_paths_follow_the_order_learners_took():
    sequences = [
        ["python", "django", "deploy"],
        ["python", "sql", "django", "deploy"],
        ["python", "django", "deploy", "docker"],
        ["sql", "python", "django"],
        ["guitar"],
    ]
    model = SkillPathModel.fit(sequences)
    # all 3 who reached deploy took python then django first; 1 of 3 took sql, in between
    steps = model.path_to("deploy")
    assert [s.skill for s in steps] == ["python", "sql", "django"]
    assert [s.share for s in steps] == [1.0, pytest.approx(1 / 3), 1.0]
    assert steps[0].position < steps[1].position < steps[2].position
    # with a higher bar sql (a third of them) drops out
    assert [s.skill for s in model.path_to("deploy", min_share=0.5)] == ["python", "django"]
    assert [s.skill for s in model.path_to("deploy", known=["python", "sql"])] == ["django"]
    assert model.path_to("cooking") == []
    assert model.next_skills(["python"], k=1) == ["django"]
    assert model.next_skills(["django"], k=1) == ["deploy"]
    assert model.most_popular_next(k=1) == ["django"]
    assert "python" not in model.next_skills(["sql"], k=5, exclude=["python"])
    copy = SkillPathModel.from_dict(model.to_dict())
    assert copy.path_to("deploy") == steps and copy.next_skills(["python"], 3) == model.next_skills(["python"], 3)


def _market(seed: int = 0) -> list[Observation]:
    """Two skills with known demand: 'busy' sells out at any tried price, 'picky' books far less when dearer."""
    rng = np.random.default_rng(seed)
    out = []
    for skill, ref, curve in (
        ("busy", 4000.0, lambda p: 0.9),
        ("picky", 4000.0, lambda p: max(0.0, min(0.95, 1.6 - p / 4000.0))),
    ):
        for m in range(8):
            base = ref * (0.7 + 0.08 * m)
            for week in range(20):
                price = base * (1.0 + 0.1 * ((week % 3) - 1))
                booked = rng.binomial(10, curve(price))
                out.append(Observation(skill, f"{skill}{m}", price, 10, booked))
    return out


def test_demand_model_moves_prices_towards_more_revenue():
    model = DemandModel.fit(_market())
    assert model.sensitivity_measured
    busy = model.suggest("busy", current=4000.0)
    picky = model.suggest("picky", current=6000.0)
    # a skill that sells out: raise; an over-priced picky one: lower; never more than 25 % at once
    assert 4000.0 < busy.best <= 5000.0 + 1e-6
    assert 4500.0 - 1e-6 <= picky.best < 6000.0
    assert busy.low <= busy.best <= busy.high
    assert picky.revenue_gain > 1.0
    assert model.probability("picky", 3000.0) > model.probability("picky", 6000.0)
    copy = DemandModel.from_dict(model.to_dict())
    assert copy.suggest("picky", current=6000.0) == picky
    with pytest.raises(KeyError):
        model.suggest("unknown")


def test_demand_model_without_data():
    empty = DemandModel.fit([])
    assert not empty.knows("anything") and empty.n_observations == 0
    full = DemandModel.fit([Observation("s", "m", 100.0, 10, 10), Observation("s", "n", 120.0, 10, 10)])
    assert full.knows("s") and not full.sensitivity_measured

