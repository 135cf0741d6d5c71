"""The model code on tiny data sets whose answers are known (no database)."""

from __future__ import annotations

import math

import numpy as np
import pytest

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
