"""Offline evaluation of the analytics models, each against a simple baseline measured in the same run.

    python -m bench.analytics [--oulad PATH] [--movielens PATH] [--json OUT] [--cutoff 60] [--curve 30,60,90]
    python -m bench.analytics --speed [--events 100000]     # the event log's and the dashboard's cost

Defaults: ``../shared/data/oulad`` and ``../shared/data/ml-latest-small`` beside the checkout.
Prints a table and writes ``{"<task>": {"model": {...}, "baseline": {...}, "notes": {...}}}`` to ``--json``.

Tasks (the model code is the product's own, from ``core/analytics/ml``):

* ``churn``: withdrawal on OULAD. Students still registered on the cut-off day
  (``--cutoff``, default 60) are scored with only what is known by then
  (assessments submitted and their scores, registration day, demographics,
  module); positive = withdrew later. Trained on the 2013 presentations,
  tested on the 2014 ones (a new year's cohort, as the product meets its
  future learners). Everything is chosen on 2013 alone, on two validation
  splits (fit 2013B, score 2013J; a random quarter of 2013): groups of further
  features (``LEVER_GROUPS``: timeliness against deadlines and the cohort,
  scores against the cohort, TMA/CMA and weights, course length and early
  leavers) are added to the logistic regression with reasons
  (``ml.linear.LogisticModel``) while each adds at least ``MIN_GAIN`` of mean
  validation AUC; then boosted trees with reasons (``ml.boosting.BoostedModel``)
  replace it only if they beat it by as much. The 2014 figures of the
  candidates not chosen are in the notes, for comparison. Baseline: the
  logistic regression on demographics only. Metrics: ROC AUC and precision
  among the top 10 % by score. ``*_incl_early_withdrawals`` repeats both for
  every student registered at the start of the course, including those who
  withdrew before the cut-off (their silence is then part of what is
  "known"): easier, and reported so the two readings are not confused. The
  notes' ``curve_by_cutoff_day`` repeats the chosen model at each ``--curve``
  day.
* ``session_success``: the same students, success = final result Pass or
  Distinction. Baseline: the base rate of the student's module presentation
  in training (a constant per course; a single constant would have AUC 0.5).
* ``learning_path``: MovieLens ratings ordered by time per user; a movie's
  "skill" is its full genre combination (951 of them, e.g.
  ``Action|Adventure|Sci-Fi``). Each user's last rating is the next step to
  predict from everything before it; training counts use only what precedes
  each user's last two ratings, the second-to-last served to choose the
  model's parameters. Metric: hit rate at 10 (the next skill among the 10
  suggestions). Baseline: the 10 most popular next steps.
* ``pricing``: a simulated market with known demand curves (logistic-free on
  purpose: a booking probability linear in price, different per skill, times
  a hidden mentor quality). Mentors start at scattered prices and vary them a
  little week to week for half a year; the demand model is fitted on that
  history and suggests each mentor a price. Metric: true expected revenue at
  the suggested prices over revenue at the starting prices
  (``revenue_ratio``; the baseline, keeping the starting prices, is 1.0 by
  construction). Averaged over ``--pricing-runs`` markets.

``--speed`` measures the product instead, on a scratch SQLite database (or
``DATABASE_URL``): what ``record()`` costs a request (one event, and a request
logging five), the batched write, and building the dashboard's 90-day report
over ``--events`` synthetic events.

Data: OULAD (Kuzilek J., Hlosta M., Zdrahal Z. Open University Learning
Analytics dataset. Scientific Data 4, 170171 (2017), doi:10.1038/sdata.2017.171,
CC BY 4.0; used as distributed in ../shared, without studentVle.csv and with
studentAssessment.csv re-exported without quotes). MovieLens ml-latest-small
(GroupLens research licence: benchmarks and tests only).
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.analytics.ml.boosting import BoostedModel
from core.analytics.ml.linear import LogisticModel
from core.analytics.ml.paths import DEFAULT_PARAMS, SkillPathModel
from core.analytics.ml.pricing import DemandModel, Observation
from core.analytics.ml.scoring import hit_rate, precision_at_fraction, roc_auc

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OULAD = ROOT.parent / "shared" / "data" / "oulad"
DEFAULT_MOVIELENS = ROOT.parent / "shared" / "data" / "ml-latest-small"
DEMOGRAPHICS = ["gender", "region", "highest_education", "imd_band", "age_band", "disability"]


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- OULAD --------------------------------------------------------------------------


@dataclass
class OuladTables:
    """The OULAD files, read once: cohorts at several cut-off days are built from them."""

    info: list[dict[str, str]]
    registration: dict[tuple[str, str, str], dict[str, str]]
    assessments: dict[str, dict[str, str]]
    submissions: list[dict[str, str]]
    length: dict[tuple[str, str], int]  # module presentation -> days


def read_oulad(path: Path) -> OuladTables:
    return OuladTables(
        info=read_csv(path / "studentInfo.csv"),
        registration={
            (r["code_module"], r["code_presentation"], r["id_student"]): r
            for r in read_csv(path / "studentRegistration.csv")
        },
        assessments={r["id_assessment"]: r for r in read_csv(path / "assessments.csv")},
        submissions=read_csv(path / "studentAssessment.csv"),
        length={
            (r["code_module"], r["code_presentation"]): int(r["module_presentation_length"])
            for r in read_csv(path / "courses.csv")
        },
    )


# More features known by the cut-off, in groups that the churn task adds one at a time while
# they help on validation (``choose_churn_model``). Cohort measures compare a student with the
# other students of the same presentation, by the same day.
LEVER_GROUPS: dict[str, list[str]] = {
    "timeliness": [
        "first_due_missed",
        "missed_vs_cohort",  # share of due assessments the cohort's rates expected, minus those done
        "missed_what_most_did",  # the highest cohort submission rate among the assessments missed
        "submission_day_vs_cohort",  # mean days after the median submitter of the same assessment
        "submitted_ahead",  # assessments not yet due, already submitted
        "least_days_early",
    ],
    "scores": ["mean_score_z", "worst_score_z", "latest_score_z", "fails", "score_trend", "grade_so_far"],
    "assessment_kinds": ["tma_missed", "cma_missed", "weight_share_missed", "banked"],
    "course": ["course_length", "starts_in_february", "course_left_share"],
}
LEVER_NAMES = [name for names in LEVER_GROUPS.values() for name in names]


@dataclass
class Cohort:
    """One row per student and module presentation, with features known by the cut-off."""

    features: list[str]
    demo_features: list[str]
    X: np.ndarray  # features then demo_features
    D: np.ndarray
    withdrew: np.ndarray
    passed: np.ndarray
    course: np.ndarray
    train: np.ndarray  # 2013 presentations
    still_registered: np.ndarray  # not withdrawn by the cut-off
    levers: np.ndarray  # one column per LEVER_NAMES
    cutoff: int

    def matrix(self, groups: list[str]) -> tuple[np.ndarray, list[str]]:
        """``X`` with the lever columns of ``groups`` appended, and the column names."""
        names = [n for g in groups for n in LEVER_GROUPS[g]]
        columns = [LEVER_NAMES.index(n) for n in names]
        return np.hstack([self.X, self.levers[:, columns]]), self.features + self.demo_features + names


def load_oulad(source: Path | OuladTables, cutoff: int) -> Cohort:
    t = source if isinstance(source, OuladTables) else read_oulad(source)
    info, registration, assessments = t.info, t.registration, t.assessments
    submitted: dict[tuple[str, str, str], list[tuple[dict, dict]]] = defaultdict(list)
    for row in t.submissions:
        a = assessments[row["id_assessment"]]
        if row["date_submitted"] and int(row["date_submitted"]) <= cutoff:
            submitted[(a["code_module"], a["code_presentation"], row["id_student"])].append((row, a))
    due_by_course: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for a in assessments.values():
        if a["date"] and a["assessment_type"] != "Exam" and int(a["date"]) <= cutoff:
            due_by_course[(a["code_module"], a["code_presentation"])].append(a)
    for items in due_by_course.values():
        items.sort(key=lambda a: int(a["date"]))
    # each assessment's scores, submissions and submission days among those who sat it by the cut-off
    scores_by_assessment: dict[str, list[float]] = defaultdict(list)
    days_by_assessment: dict[str, list[int]] = defaultdict(list)
    for items in submitted.values():
        for row, a in items:
            if row["score"]:
                scores_by_assessment[a["id_assessment"]].append(float(row["score"]))
            if row["is_banked"] != "1":
                days_by_assessment[a["id_assessment"]].append(int(row["date_submitted"]))
    mean_score = {k: float(np.mean(v)) for k, v in scores_by_assessment.items()}
    score_spread = {k: float(np.std(v)) + 1.0 for k, v in scores_by_assessment.items()}
    median_day = {k: float(np.median(v)) for k, v in days_by_assessment.items()}
    submissions_of = {k: len(v) for k, v in days_by_assessment.items()}
    started: dict[tuple[str, str], int] = defaultdict(int)
    left: dict[tuple[str, str], int] = defaultdict(int)
    for key, reg in registration.items():
        unreg = reg["date_unregistration"]
        if not (unreg and int(unreg) <= 0):
            started[key[:2]] += 1
            left[key[:2]] += bool(unreg and int(unreg) <= cutoff)
    vocab = {c: sorted({r[c] for r in info}) for c in DEMOGRAPHICS}
    modules = sorted({r["code_module"] for r in info})
    names = [
        "assessments_due",
        "assessments_missed",
        "share_missed",
        "nothing_due_yet",
        "last_due_missed",
        "mean_score",
        "no_score_yet",
        "mean_score_vs_cohort",
        "worst_score_vs_cohort",
        "latest_score_vs_cohort",
        "late_submissions",
        "mean_days_early",
        "days_since_last_submission",
        "registration_day",
        "late_registration",
        "previous_attempts",
        "studied_credits",
        *[f"module_{m}" for m in modules],
    ]
    demo_names = [f"{c}={v}" for c in DEMOGRAPHICS for v in vocab[c]]
    X, D, L, withdrew, passed, course, train, still = [], [], [], [], [], [], [], []
    for s in info:
        key = (s["code_module"], s["code_presentation"], s["id_student"])
        reg = registration[key]
        unreg = reg["date_unregistration"]
        if unreg and int(unreg) <= 0:
            continue  # left before the course began: never a learner of it
        still.append(not (unreg and int(unreg) <= cutoff))
        withdrew.append(s["final_result"] == "Withdrawn")
        passed.append(s["final_result"] in ("Pass", "Distinction"))
        course.append(f"{s['code_module']}-{s['code_presentation']}")
        train.append(s["code_presentation"].startswith("2013"))
        due = due_by_course[key[:2]]
        subs = submitted.get(key, [])
        done = {a["id_assessment"]: row for row, a in subs}
        missed = [a for a in due if a["id_assessment"] not in done]
        scored = [(row, a) for row, a in subs if row["score"]]
        rel = [float(row["score"]) - mean_score[a["id_assessment"]] for row, a in scored]
        latest = max(scored, key=lambda ra: int(ra[1]["date"] or 0), default=None)
        early = [int(a["date"]) - int(row["date_submitted"]) for row, a in subs if a["date"]]
        last_day = max((int(row["date_submitted"]) for row, _ in subs), default=None)
        reg_day = float(reg["date_registration"] or 0)
        X.append(
            [
                len(due),
                len(missed),
                len(missed) / len(due) if due else 0.0,
                1.0 if not due else 0.0,
                1.0 if due and due[-1]["id_assessment"] not in done else 0.0,
                float(np.mean([float(r["score"]) for r, _ in scored])) if scored else 0.0,
                0.0 if scored else 1.0,
                float(np.mean(rel)) if rel else 0.0,
                float(min(rel)) if rel else 0.0,
                (float(latest[0]["score"]) - mean_score[latest[1]["id_assessment"]]) if latest else 0.0,
                sum(1 for row, a in subs if a["date"] and int(row["date_submitted"]) > int(a["date"])),
                float(np.mean(early)) if early else 0.0,
                float(cutoff - last_day) if last_day is not None else float(cutoff + 30),
                reg_day,
                1.0 if reg_day > -10 else 0.0,
                float(s["num_of_prev_attempts"]),
                math.log1p(float(s["studied_credits"])),
                *[1.0 if s["code_module"] == m else 0.0 for m in modules],
            ]
        )
        D.append([1.0 if s[c] == v else 0.0 for c in DEMOGRAPHICS for v in vocab[c]])
        # --- levers
        n_started = started[key[:2]]
        rate = {a["id_assessment"]: submissions_of.get(a["id_assessment"], 0) / n_started for a in due}
        own = [(row, a) for row, a in subs if row["is_banked"] != "1"]
        z = [
            (float(row["score"]) - mean_score[a["id_assessment"]]) / score_spread[a["id_assessment"]]
            for row, a in scored
        ]
        by_date = sorted(scored, key=lambda ra: int(ra[1]["date"] or 0))
        weight_due = sum(float(a["weight"]) for a in due)
        levers = {
            "first_due_missed": 1.0 if due and due[0]["id_assessment"] not in done else 0.0,
            "missed_vs_cohort": (sum(rate.values()) - (len(due) - len(missed))) / len(due) if due else 0.0,
            "missed_what_most_did": max((rate[a["id_assessment"]] for a in missed), default=0.0),
            "submission_day_vs_cohort": float(
                np.mean([int(row["date_submitted"]) - median_day[a["id_assessment"]] for row, a in own])
            )
            if own
            else 0.0,
            "submitted_ahead": float(sum(1 for _, a in subs if a["date"] and int(a["date"]) > cutoff)),
            "least_days_early": float(min(early)) if early else 0.0,
            "mean_score_z": float(np.mean(z)) if z else 0.0,
            "worst_score_z": float(min(z)) if z else 0.0,
            "latest_score_z": z[scored.index(latest)] if latest else 0.0,
            "fails": float(sum(1 for row, _ in scored if float(row["score"]) < 40)),
            "score_trend": float(by_date[-1][0]["score"]) - float(by_date[0][0]["score"]) if len(by_date) > 1 else 0.0,
            "grade_so_far": sum(
                float(a["weight"]) * float(done[a["id_assessment"]]["score"] or 0)
                for a in due
                if a["id_assessment"] in done
            )
            / weight_due
            if weight_due
            else 0.0,
            "tma_missed": float(sum(1 for a in missed if a["assessment_type"] == "TMA")),
            "cma_missed": float(sum(1 for a in missed if a["assessment_type"] == "CMA")),
            "weight_share_missed": sum(float(a["weight"]) for a in missed) / weight_due if weight_due else 0.0,
            "banked": float(sum(1 for row, _ in subs if row["is_banked"] == "1")),
            "course_length": float(t.length[key[:2]]),
            "starts_in_february": 1.0 if key[1].endswith("B") else 0.0,
            "course_left_share": left[key[:2]] / n_started,
        }
        L.append([levers[n] for n in LEVER_NAMES])
    return Cohort(
        features=names,
        demo_features=demo_names,
        X=np.hstack([np.asarray(X), np.asarray(D)]),
        D=np.asarray(D),
        withdrew=np.asarray(withdrew, dtype=int),
        passed=np.asarray(passed, dtype=int),
        course=np.asarray(course),
        train=np.asarray(train),
        still_registered=np.asarray(still),
        levers=np.asarray(L, dtype=float),
        cutoff=cutoff,
    )


# --- churn: choosing on 2013 only, then one test on 2014 ----------------------------------------

MIN_GAIN = 0.005  # mean validation AUC a feature group or a model must add to be kept (noise is about 0.01)
CURVE_DAYS = (30, 60, 90, 120, 150)
ChurnModel = LogisticModel | BoostedModel


@dataclass
class ChurnChoice:
    kind: str  # "logistic" or "boosted_trees"
    groups: list[str]  # lever groups added to the assessment features
    validation: dict[str, list[float]]  # every candidate tried -> AUC on each validation split

    @property
    def label(self) -> str:
        return f"{self.kind} on {'+'.join(['assessments', *self.groups])}"


def _fit_churn(kind: str, X: np.ndarray, y: np.ndarray, names: list[str], seed: int) -> ChurnModel:
    if kind == "logistic":
        return LogisticModel.fit(X, y, names)
    return BoostedModel.fit(X, y, names, seed=seed)


def validation_splits(cohort: Cohort, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(fit, score) row masks inside the 2013 training rows: the next cohort, and a random quarter."""
    rows = cohort.train & cohort.still_registered
    february = np.char.endswith(cohort.course.astype(str), "2013B")
    quarter = np.random.default_rng(seed).random(len(rows)) < 0.25
    return {
        "2013B->2013J": (rows & february, rows & ~february),
        "random_quarter_of_2013": (rows & ~quarter, rows & quarter),
    }


def choose_churn_model(cohort: Cohort, seed: int) -> ChurnChoice:
    """Add lever groups to the logistic model while they help, then try boosted trees; 2013 rows only."""
    splits = validation_splits(cohort, seed)
    y = cohort.withdrew
    tried: dict[str, list[float]] = {}

    def score(kind: str, groups: list[str]) -> float:
        X, names = cohort.matrix(groups)
        aucs = [
            roc_auc(y[v], _fit_churn(kind, X[f], y[f], names, seed).predict_proba(X[v])) for f, v in splits.values()
        ]
        tried[ChurnChoice(kind, groups, {}).label] = [round(a, 4) for a in aucs]
        return float(np.mean(aucs))

    groups: list[str] = []
    best = score("logistic", groups)
    while remaining := [g for g in LEVER_GROUPS if g not in groups]:
        trials = {g: score("logistic", [*groups, g]) for g in remaining}
        pick = max(trials, key=lambda g: trials[g])
        if trials[pick] < best + MIN_GAIN:
            break
        groups, best = [*groups, pick], trials[pick]
    choice = ChurnChoice("logistic", groups, tried)
    for candidate in dict.fromkeys([tuple(groups), tuple(LEVER_GROUPS)]):
        boosted = score("boosted_trees", list(candidate))
        if boosted >= best + MIN_GAIN:
            choice, best = ChurnChoice("boosted_trees", list(candidate), tried), boosted
    return choice


def _churn_scores(cohort: Cohort, rows: np.ndarray, choice: ChurnChoice, seed: int) -> dict:
    tr = cohort.train & rows
    te = ~cohort.train & rows
    y = cohort.withdrew
    X, names = cohort.matrix(choice.groups)
    full = _fit_churn(choice.kind, X[tr], y[tr], names, seed)
    demo = LogisticModel.fit(cohort.D[tr], y[tr], cohort.demo_features)
    p_full = full.predict_proba(X[te])
    p_demo = demo.predict_proba(cohort.D[te])
    return {
        "model": {"roc_auc": roc_auc(y[te], p_full), "precision@10%": precision_at_fraction(y[te], p_full, 0.10)},
        "baseline": {"roc_auc": roc_auc(y[te], p_demo), "precision@10%": precision_at_fraction(y[te], p_demo, 0.10)},
        "n_train": int(tr.sum()),
        "n_test": int(te.sum()),
        "positives_test": float(y[te].mean()),
        "model_obj": full,
        "X_train": X[tr],
        "X_test": X[te],
        "p_test": p_full,
    }


def _curve_point(scores: dict) -> dict[str, float]:
    return {
        "roc_auc": round(scores["model"]["roc_auc"], 4),
        "baseline_roc_auc": round(scores["baseline"]["roc_auc"], 4),
        "precision@10%": round(scores["model"]["precision@10%"], 4),
        "baseline_precision@10%": round(scores["baseline"]["precision@10%"], 4),
        "n_test": scores["n_test"],
        "withdrawal_rate_test": round(scores["positives_test"], 4),
    }


def bench_churn(cohort: Cohort, tables: OuladTables, seed: int, curve_days: tuple[int, ...] = CURVE_DAYS) -> dict:
    choice = choose_churn_model(cohort, seed)
    strict = _churn_scores(cohort, cohort.still_registered, choice, seed)
    everyone = _churn_scores(cohort, np.ones(len(cohort.withdrew), dtype=bool), choice, seed)
    result = {"model": dict(strict["model"]), "baseline": dict(strict["baseline"])}
    for side in ("model", "baseline"):
        for metric, value in everyone[side].items():
            result[side][f"{metric}_incl_early_withdrawals"] = value
    model: ChurnModel = strict["model_obj"]
    parts, _ = model.contributions(strict["X_train"])
    weight = np.abs(parts).mean(axis=0)
    top = np.argsort(-weight)[:5]
    riskiest = int(np.argmax(strict["p_test"]))
    # the other candidates on the test set, for comparison only: the choice above saw 2013 rows alone
    others = {}
    for kind, groups in (
        ("logistic", []),
        ("logistic", list(LEVER_GROUPS)),
        ("boosted_trees", choice.groups),
        ("boosted_trees", list(LEVER_GROUPS)),
    ):
        other = ChurnChoice(kind, groups, {})
        if other.label != choice.label:
            others[other.label] = round(
                _churn_scores(cohort, cohort.still_registered, other, seed)["model"]["roc_auc"], 4
            )
    # who the model confuses withdrawers with: students who stay to the end and fail look alike by the cut-off
    te = ~cohort.train & cohort.still_registered
    y, passed = cohort.withdrew[te], cohort.passed[te]
    passers = (y == 1) | (passed == 1)  # withdrew, or passed
    failers = passed == 0  # withdrew, or stayed and failed
    against = {
        "pass_or_distinction": round(roc_auc(y[passers], strict["p_test"][passers]), 4),
        "fail": round(roc_auc(y[failers], strict["p_test"][failers]), 4),
    }
    curve = {}
    for day in curve_days:
        at_day = cohort if day == cohort.cutoff else load_oulad(tables, day)
        curve[f"day {day}"] = _curve_point(_churn_scores(at_day, at_day.still_registered, choice, seed))
    result["notes"] = {
        "cutoff_day": cohort.cutoff,
        "n_train": strict["n_train"],
        "n_test": strict["n_test"],
        "withdrawal_rate_test": round(strict["positives_test"], 4),
        "chosen_on_validation": choice.label,
        "validation_roc_auc": choice.validation,
        "test_roc_auc_of_candidates_not_chosen": others,
        "test_roc_auc_withdrawn_against_only": against,
        "strongest_features": [f"{model.features[i]} (mean |log-odds| {weight[i]:.2f})" for i in top],
        "riskiest_test_student_reasons": [
            f"{c.feature} = {c.value:g} ({c.contribution:+.2f})" for c in model.explain(strict["X_test"][riskiest])
        ],
        "curve_by_cutoff_day": curve,
    }
    return result


def bench_session_success(cohort: Cohort) -> dict:
    rows = cohort.still_registered
    tr = cohort.train & rows
    te = ~cohort.train & rows
    y = cohort.passed
    model = LogisticModel.fit(cohort.X[tr], y[tr], cohort.features + cohort.demo_features)
    p = model.predict_proba(cohort.X[te])
    # base rate of the same module (presentation letters differ across years: key on the module)
    module = np.asarray([c.split("-")[0] for c in cohort.course])
    rates = {m: float(y[tr & (module == m)].mean()) for m in set(module[tr])}
    overall = float(y[tr].mean())
    base = np.asarray([rates.get(m, overall) for m in module[te]])
    return {
        "model": {"roc_auc": roc_auc(y[te], p), "brier": float(np.mean((p - y[te]) ** 2))},
        "baseline": {"roc_auc": roc_auc(y[te], base), "brier": float(np.mean((base - y[te]) ** 2))},
        "notes": {
            "n_train": int(tr.sum()),
            "n_test": int(te.sum()),
            "success_rate_test": round(float(y[te].mean()), 4),
        },
    }


# --- MovieLens: learning path as next-step prediction ------------------------------------


def load_sequences(path: Path) -> list[list[str]]:
    genres = {r["movieId"]: r["genres"] for r in read_csv(path / "movies.csv")}
    by_user: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for r in read_csv(path / "ratings.csv"):
        by_user[r["userId"]].append((int(r["timestamp"]), int(r["movieId"]), genres[r["movieId"]]))
    return [[g for _, _, g in sorted(items)] for _, items in sorted(by_user.items(), key=lambda kv: int(kv[0]))]


def _hit_rates(model: SkillPathModel, cases: list[tuple[list[str], str]], k: int = 10) -> tuple[float, float]:
    truths = [truth for _, truth in cases]
    ranked = [model.next_skills(history, k) for history, _ in cases]
    popular = model.most_popular_next(k)
    return hit_rate(truths, ranked, k), hit_rate(truths, [popular] * len(cases), k)


def bench_learning_path(sequences: list[list[str]]) -> dict:
    usable = [s for s in sequences if len(s) >= 3]
    # parameters chosen on the second-to-last step, with counts from what precedes it
    train = [s[:-2] for s in usable]
    validation = [(s[:-2], s[-2]) for s in usable]
    best_params, best_score = dict(DEFAULT_PARAMS), -1.0
    for window in (1, 3, 5, 10):
        for alpha in (0.0, 5.0, 10.0, 20.0):
            params = {"window": window, "decay": 0.8, "alpha": alpha}
            score, _ = _hit_rates(SkillPathModel.fit(train, params, precedence=False), validation)
            if score > best_score + 1e-12:
                best_params, best_score = params, score
    model = SkillPathModel.fit(train, best_params, precedence=False)
    test = [(s[:-1], s[-1]) for s in usable]
    model_hr, base_hr = _hit_rates(model, test)
    default_hr, _ = _hit_rates(SkillPathModel.fit(train, precedence=False), test)
    return {
        "model": {"hit_rate@10": model_hr},
        "baseline": {"hit_rate@10": base_hr},
        "notes": {
            "users": len(usable),
            "skills": len({x for s in sequences for x in s}),
            "chosen_params": best_params,
            "validation_hit_rate@10": round(best_score, 4),
            "hit_rate@10_with_shipped_defaults": round(default_hr, 4),
        },
    }


# --- Pricing on a simulated market ------------------------------------------------------


def simulate_market(rng: np.random.Generator, skills: int = 8, mentors_per_skill: int = 12, weeks: int = 26):
    """A market whose demand curves are known: P(booked) = clip(level * (1 - price / choke), 0, 0.95) * quality."""
    market = []
    for s in range(skills):
        reference = float(rng.uniform(2000, 8000))  # minor units per hour
        level = float(rng.uniform(0.5, 1.0))
        choke = reference * float(rng.uniform(1.6, 3.0))  # nobody books at or above this price
        for m in range(mentors_per_skill):
            market.append(
                {
                    "skill": f"skill{s}",
                    "mentor": f"s{s}m{m}",
                    "start": reference * float(np.exp(rng.normal(0.0, 0.35))),
                    "quality": float(rng.uniform(0.6, 1.2)),
                    "level": level,
                    "choke": choke,
                }
            )
    return market


def true_probability(mentor: dict, price: float) -> float:
    return float(
        np.clip(mentor["level"] * (1.0 - price / mentor["choke"]), 0.0, 0.95) * min(mentor["quality"], 1.0 / 0.95)
    )


def bench_pricing(runs: int, seed: int) -> dict:
    ratios, oracle, capped, measured = [], [], 0, 0
    total = 0
    for run in range(runs):
        rng = np.random.default_rng(seed + run)
        market = simulate_market(rng)
        observations = []
        for mentor in market:
            price = mentor["start"]
            for _week in range(26):
                if rng.random() < 0.3:  # now and then a mentor tries another price
                    price = mentor["start"] * float(np.exp(rng.normal(0.0, 0.15)))
                offered = 10
                booked = int(rng.binomial(offered, true_probability(mentor, price)))
                observations.append(Observation(mentor["skill"], mentor["mentor"], price, offered, booked))
        model = DemandModel.fit(observations)
        measured += int(model.sensitivity_measured)
        revenue_start = revenue_suggested = revenue_oracle = 0.0
        for mentor in market:
            suggestion = model.suggest(mentor["skill"], mentor=mentor["mentor"], current=mentor["start"])
            capped += int(suggestion.capped)
            total += 1
            revenue_start += mentor["start"] * true_probability(mentor, mentor["start"])
            revenue_suggested += suggestion.best * true_probability(mentor, suggestion.best)
            optimum = mentor["choke"] / 2  # the known curve's best price
            revenue_oracle += optimum * true_probability(mentor, optimum)
        ratios.append(revenue_suggested / revenue_start)
        oracle.append(revenue_oracle / revenue_start)
    return {
        "model": {"revenue_ratio": float(np.mean(ratios))},
        "baseline": {"revenue_ratio": 1.0},
        "notes": {
            "markets": runs,
            "revenue_ratio_min": round(float(min(ratios)), 4),
            "revenue_ratio_max": round(float(max(ratios)), 4),
            "revenue_ratio_of_the_true_optimum": round(float(np.mean(oracle)), 4),
            "suggestions_at_top_of_tried_range": f"{capped}/{total}",
            "markets_with_measured_price_sensitivity": f"{measured}/{runs}",
        },
    }


# --- speed of the event log and the report ----------------------------------------------------


def bench_speed(n_events: int, seed: int) -> None:
    """Time record() inside a request, the batched write, and a 90-day report over ``n_events`` events."""
    import os
    import random
    import shutil
    import tempfile
    from datetime import UTC, datetime, timedelta

    scratch = tempfile.mkdtemp(prefix="peerlearn-analytics-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.test")
    os.environ.setdefault("SQLITE_PATH", os.path.join(scratch, "bench.sqlite3"))
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import connection

    # The test settings point SQLite at the scratch file only when no DATABASE_URL is set.
    call_command("migrate", verbosity=0)
    from core.analytics.models import Event
    from core.analytics.services import events
    from core.analytics.services.metrics import ReportRequest, build_report, cached_report
    from core.taxonomy.models import Skill

    skills = [Skill.objects.get_or_create(name=f"Bench skill {i}")[0].pk for i in range(20)]
    rng = random.Random(seed)
    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']})")

    # record() inside a request: the request pays only the buffer append; the INSERT comes at its end.
    per_request = events.BATCH_SIZE - 1
    requests_done = 40
    appending = writing = 0.0
    for r in range(requests_done):
        request_started.send(sender=None)
        t0 = time.perf_counter()
        for i in range(per_request):
            events.record("search.performed", user_id=r * 1000 + i, skill_ids=[skills[i % 20]], q="python")
        appending += time.perf_counter() - t0
        t0 = time.perf_counter()
        request_finished.send(sender=None)
        writing += time.perf_counter() - t0
    n = requests_done * per_request
    t0 = time.perf_counter()
    for _ in range(200):
        request_started.send(sender=None)
        for i in range(5):
            events.record("mentor.viewed", mentor_id=i, skill_ids=[skills[i]])
        request_finished.send(sender=None)
    five_per_request = (time.perf_counter() - t0) / 200
    t0 = time.perf_counter()
    for i in range(500):
        events.record("mentor.viewed", mentor_id=i)  # outside a request: written at once
    unbuffered = (time.perf_counter() - t0) / 500
    print(f"record() inside a request: {appending / n * 1e6:.1f} µs per event (buffered, no I/O)")
    print(f"write at the end of a request of {per_request} events: {writing / requests_done * 1e3:.1f} ms")
    print(f"a request logging 5 events, record() and its one INSERT: {five_per_request * 1e3:.2f} ms")
    print(f"record() outside any request (written at once): {unbuffered * 1e3:.2f} ms per event")

    now = datetime.now(UTC)
    names = [
        "booking.created",
        "booking.confirmed",
        "booking.completed",
        "search.performed",
        "mentor.viewed",
        "user.signed_up",
        "review.submitted",
    ]
    batch = []
    for _ in range(n_events):
        name = rng.choice(names)
        data = {"rating": rng.randint(1, 5)} if name == "review.submitted" else {"old_status": "confirmed"}
        batch.append(
            events.build(
                name,
                occurred_at=now - timedelta(seconds=rng.uniform(0, 90 * 86400)),
                user_id=rng.randint(1, 5000),
                skill_ids=rng.sample(skills, 2),
                **data,
            )
        )
    t0 = time.perf_counter()
    Event.objects.bulk_create(batch, batch_size=2000)
    print(f"bulk write of {n_events} events: {time.perf_counter() - t0:.1f} s")
    req = ReportRequest(start=(now - timedelta(days=89)).date(), end=now.date(), granularity="day")
    for label, r in (
        ("all skills", req),
        ("one skill", ReportRequest(req.start, req.end, "week", Skill.objects.get(pk=skills[0]))),
    ):
        t0 = time.perf_counter()
        build_report(r)
        print(f"90-day report over {Event.objects.count()} events, {label}: {time.perf_counter() - t0:.2f} s")
    cached_report(req)  # fills the cache
    t0 = time.perf_counter()
    cached_report(req)
    print(f"the same report again, from the cache: {(time.perf_counter() - t0) * 1e3:.1f} ms")
    if connection.vendor == "sqlite":
        connection.close()
        shutil.rmtree(scratch, ignore_errors=True)


# --- main -----------------------------------------------------------------------------------


def _days(text: str) -> list[int]:
    try:
        days = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated whole days, e.g. 30,60,90") from None
    if not days or min(days) < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: expected at least one day, none negative")
    return days


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--oulad", type=Path, default=DEFAULT_OULAD)
    parser.add_argument("--movielens", type=Path, default=DEFAULT_MOVIELENS)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--cutoff", type=int, default=60, help="day of the course by which features are known")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--curve",
        type=_days,
        default=list(CURVE_DAYS),
        help="cut-off days for the churn curve, comma-separated (default %(default)s)",
    )
    parser.add_argument("--pricing-runs", type=int, default=20)
    parser.add_argument("--speed", action="store_true", help="time the event log and the report instead")
    parser.add_argument("--events", type=int, default=100_000, help="synthetic events for --speed")
    args = parser.parse_args(argv)
    if args.speed:
        bench_speed(args.events, args.seed)
        return 0
    for label, path, probe in (
        ("--oulad", args.oulad, "studentInfo.csv"),
        ("--movielens", args.movielens, "ratings.csv"),
    ):
        if not (path / probe).is_file():
            parser.error(f"{label} {path}: no {probe} there")

    results: dict[str, dict] = {}
    timings: dict[str, float] = {}
    start = time.perf_counter()
    tables = read_oulad(args.oulad)
    cohort = load_oulad(tables, args.cutoff)
    load_time = time.perf_counter() - start
    for task, fn in (
        ("churn", lambda: bench_churn(cohort, tables, args.seed, tuple(args.curve))),
        ("session_success", lambda: bench_session_success(cohort)),
        ("learning_path", lambda: bench_learning_path(load_sequences(args.movielens))),
        ("pricing", lambda: bench_pricing(args.pricing_runs, args.seed)),
    ):
        t0 = time.perf_counter()
        results[task] = fn()
        timings[task] = time.perf_counter() - t0 + (load_time if task == "churn" else 0.0)

    print(f"{'task':<17} {'metric':<36} {'model':>8} {'baseline':>9} {'seconds':>8}")
    print("-" * 82)
    for task, result in results.items():
        first = True
        for metric, value in result["model"].items():
            base = result["baseline"].get(metric)
            base_text = f"{base:9.3f}" if base is not None else f"{'':>9}"
            seconds = f"{timings[task]:8.1f}" if first else ""
            print(f"{task if first else '':<17} {metric:<36} {value:8.3f} {base_text} {seconds}")
            first = False
    print()
    for task, result in results.items():
        for key, value in result.get("notes", {}).items():
            if isinstance(value, dict) and value and all(isinstance(v, dict | list) for v in value.values()):
                print(f"{task}.{key}:")
                for label, entry in value.items():
                    text = ", ".join(f"{k} {v}" for k, v in entry.items()) if isinstance(entry, dict) else entry
                    print(f"    {label}: {text}")
            else:
                print(f"{task}.{key}: {value}")

    if args.json:
        out = {task: {k: r[k] for k in ("model", "baseline", "notes") if k in r} for task, r in results.items()}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
