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


# --- the offline evaluation's OULAD cohort: nothing after the cut-off day ------------------------


def _write(path, rows: list[dict]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _tiny_oulad(folder, late_rows: list[dict]):
    demographics = {
        "gender": "F",
        "region": "Wales",
        "highest_education": "A Level",
        "imd_band": "20-30%",
        "age_band": "0-35",
        "disability": "N",
    }
    students = {  # id -> (presentation, unregistration day, final result)
        "1": ("2013J", "", "Pass"),
        "2": ("2013J", "150", "Withdrawn"),
        "3": ("2013J", "", "Fail"),
        "4": ("2013J", "30", "Withdrawn"),
        "5": ("2014J", "", "Pass"),
        "6": ("2014J", "110", "Withdrawn"),
        "7": ("2014J", "-5", "Withdrawn"),  # left before the course began
    }
    _write(
        folder / "courses.csv",
        [
            {"code_module": "AAA", "code_presentation": p, "module_presentation_length": "200"}
            for p in ("2013J", "2014J")
        ],
    )
    _write(
        folder / "assessments.csv",
        [
            {
                "code_module": "AAA",
                "code_presentation": p,
                "id_assessment": f"{p[:4]}{n}",
                "assessment_type": kind,
                "date": day,
                "weight": w,
            }
            for p in ("2013J", "2014J")
            for n, kind, day, w in ((1, "TMA", "20", "40"), (2, "TMA", "100", "60"), (3, "Exam", "", "100"))
        ],
    )
    _write(
        folder / "studentInfo.csv",
        [
            {
                "code_module": "AAA",
                "code_presentation": p,
                "id_student": s,
                **demographics,
                "num_of_prev_attempts": "0",
                "studied_credits": "60",
                "final_result": result,
            }
            for s, (p, _, result) in students.items()
        ],
    )
    _write(
        folder / "studentRegistration.csv",
        [
            {
                "code_module": "AAA",
                "code_presentation": p,
                "id_student": s,
                "date_registration": "-20",
                "date_unregistration": unreg,
            }
            for s, (p, unreg, _) in students.items()
        ],
    )
    on_time = [
        {"id_assessment": a, "id_student": s, "date_submitted": day, "is_banked": "0", "score": score}
        for a, s, day, score in (
            ("20131", "1", "18", "80"),
            ("20131", "3", "25", "35"),
            ("20141", "5", "19", "70"),
            ("20141", "6", "20", "50"),
        )
    ]
    _write(folder / "studentAssessment.csv", on_time + late_rows)


def test_oulad_cohort_uses_only_what_is_known_by_the_cut_off(tmp_path):
    from bench.analytics import LEVER_GROUPS, load_oulad, read_oulad

    plain, later = tmp_path / "plain", tmp_path / "later"
    plain.mkdir()
    later.mkdir()
    _tiny_oulad(plain, [])
    # the same data plus what happened after day 60: a second assessment, and a late first one
    _tiny_oulad(
        later,
        [
            {"id_assessment": "20132", "id_student": "1", "date_submitted": "98", "is_banked": "0", "score": "10"},
            {"id_assessment": "20131", "id_student": "2", "date_submitted": "70", "is_banked": "0", "score": "90"},
        ],
    )
    day60, day60_later = load_oulad(read_oulad(plain), 60), load_oulad(read_oulad(later), 60)
    all_groups = list(LEVER_GROUPS)
    assert np.array_equal(day60.matrix(all_groups)[0], day60_later.matrix(all_groups)[0])
    # student 7 left before the start; student 4 left on day 30, so is no longer registered on day 60
    assert len(day60.withdrew) == 6
    assert day60.still_registered.tolist() == [True, True, True, False, True, True]
    assert day60.train.tolist() == [True] * 4 + [False] * 2
    X, names = day60.matrix(all_groups)
    row = dict(zip(names, X[1], strict=True))  # student 2: missed the only assessment due by day 60
    assert row["assessments_due"] == 1 and row["assessments_missed"] == 1 and row["first_due_missed"] == 1
    assert row["missed_what_most_did"] == pytest.approx(2 / 4)  # 2 of the 4 who started had sent it in
    assert row["course_left_share"] == pytest.approx(1 / 4)
    # by day 120 the later facts are known, and change the rows
    day120 = load_oulad(read_oulad(later), 120)
    assert not np.array_equal(day120.matrix(all_groups)[0], load_oulad(read_oulad(plain), 120).matrix(all_groups)[0])
    assert day120.still_registered.tolist() == [True, True, True, False, True, False]


def _synthetic_cohort(seed: int = 1):
    """Withdrawal driven by one lever column (late submissions vs the cohort); everything else is noise."""
    from bench.analytics import LEVER_NAMES, Cohort

    rng = np.random.default_rng(seed)
    n = 2500  # at least 1000 rows in each fit, so the boosted trees stop early
    course = np.asarray(["AAA-2013B"] * 1000 + ["AAA-2013J"] * 1000 + ["AAA-2014J"] * 500)
    levers = rng.normal(0, 1, (n, len(LEVER_NAMES)))
    lateness = levers[:, LEVER_NAMES.index("submission_day_vs_cohort")]
    withdrew = (lateness + rng.normal(0, 0.7, n) > 1.0).astype(int)
    D = np.eye(2)[rng.integers(0, 2, n)]
    return Cohort(
        features=["noise_a", "noise_b"],
        demo_features=["gender=F", "gender=M"],
        X=np.hstack([rng.normal(0, 1, (n, 2)), D]),
        D=D,
        withdrew=withdrew,
        passed=1 - withdrew,
        course=course,
        train=np.char.startswith(course, "AAA-2013"),
        still_registered=np.ones(n, dtype=bool),
        levers=levers,
        cutoff=60,
    )


def test_churn_choice_finds_the_useful_features_and_never_looks_at_the_test_year():
    from bench.analytics import _churn_scores, choose_churn_model

    cohort = _synthetic_cohort()
    choice = choose_churn_model(cohort, seed=7)
    assert choice.groups[:1] == ["timeliness"] and choice.kind == "logistic"
    assert all(len(aucs) == 2 for aucs in choice.validation.values())
    scores = _churn_scores(cohort, cohort.still_registered, choice, seed=7)
    assert scores["model"]["roc_auc"] > 0.85 > 0.6 > scores["baseline"]["roc_auc"]
    # shuffling the 2014 outcomes changes the test figures, never the choice
    shuffled = _synthetic_cohort()
    test = ~shuffled.train
    shuffled.withdrew[test] = np.random.default_rng(0).permutation(shuffled.withdrew[test])
    again = choose_churn_model(shuffled, seed=7)
    assert (again.kind, again.groups, again.validation) == (choice.kind, choice.groups, choice.validation)
