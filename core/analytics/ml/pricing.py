"""Demand at different prices, and the price that earns the most from it.

From observations "a mentor offered ``offered`` hours of a skill at ``price``
per hour and ``booked`` of them were booked" the model learns

    P(an offered hour is booked) = sigmoid(a[skill] + d[mentor] + b[skill] * x + c * x**2),
    x = log(price / reference[skill])

with an intercept per skill (its demand against its supply), a price
sensitivity per skill shrunk towards the one shared by all skills (prices vary
too little within one skill to learn it there alone), a shared curvature
(demand may fall faster as prices climb), and a shrunk offset per mentor (how
much better or worse than the skill's average their own calendar fills). The
suggested price maximises expected revenue per offered hour,
``price * P(booked)``, searched near the mentor's current price (at most
``MAX_CHANGE`` away) and within the prices the market has tried: the curve is
only trusted near the data, so advice moves a price step by step. The
suggested *range* is every price there earning at least ``tolerance`` of the
maximum.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GRID_POINTS = 121
MENTOR_PRIOR_HOURS = 20.0  # pseudo-hours pulling a mentor's offset towards the skill's average
MIN_SLOPE = -0.05  # a fitted slope above this means price sensitivity could not be measured
MAX_CHANGE = 0.25  # one suggestion moves a price by at most this share


@dataclass(frozen=True)
class Observation:
    skill: str
    mentor: str
    price: float  # per hour, in minor units of one currency
    offered: float  # hours offered
    booked: float  # hours booked (<= offered)


@dataclass(frozen=True)
class Suggestion:
    low: float
    best: float
    high: float
    reference: float  # median price of the skill
    booking_probability: float  # predicted share of offered hours booked at ``best``
    revenue_gain: float  # expected revenue at ``best`` / at ``current`` (1.0 when no current price)
    capped: bool  # the best price is the top of what the market has tried
    sensitivity_measured: bool


def _sigmoid(x: np.ndarray | float) -> np.ndarray | float:
    return 1.0 / (1.0 + np.exp(-np.clip(x, -40, 40)))


@dataclass
class DemandModel:
    reference: dict[str, float] = field(default_factory=dict)
    intercept: dict[str, float] = field(default_factory=dict)
    mentor_offset: dict[str, float] = field(default_factory=dict)
    ratio_range: dict[str, tuple[float, float]] = field(default_factory=dict)
    slope: float = 0.0
    skill_slope: dict[str, float] = field(default_factory=dict)
    curvature: float = 0.0
    sensitivity_measured: bool = False
    n_observations: int = 0

    @classmethod
    def fit(cls, observations: Iterable[Observation], *, C: float = 10.0) -> DemandModel:
        """Fit on observations; a skill needs at least one priced observation to be known."""
        from sklearn.linear_model import LogisticRegression

        obs = [o for o in observations if o.price > 0 and o.offered > 0]
        model = cls(n_observations=len(obs))
        if not obs:
            return model
        by_skill: dict[str, list[Observation]] = defaultdict(list)
        for o in obs:
            by_skill[o.skill].append(o)
        for skill, items in by_skill.items():
            model.reference[skill] = float(np.median([o.price for o in items]))
            ratios = [o.price / model.reference[skill] for o in items]
            model.ratio_range[skill] = (float(min(ratios)), float(max(ratios)))
        skills = sorted(by_skill)
        index = {s: i for i, s in enumerate(skills)}
        n = len(skills)
        rows, labels, weights = [], [], []
        for o in obs:
            x = np.zeros(2 * n + 2)
            log_ratio = math.log(o.price / model.reference[o.skill])
            x[index[o.skill]] = 1.0
            x[n + index[o.skill]] = log_ratio  # this skill's own deviation from the shared slope
            x[-2] = log_ratio
            x[-1] = log_ratio * log_ratio  # curvature: demand may fall faster as prices climb
            booked = min(max(o.booked, 0.0), o.offered)
            for label, weight in ((1, booked), (0, o.offered - booked)):
                if weight > 0:
                    rows.append(x)
                    labels.append(label)
                    weights.append(weight)
        labels_arr = np.asarray(labels)
        if labels_arr.min() == labels_arr.max():
            # everything booked (or nothing): demand is only known by its level
            level = 4.0 if labels_arr[0] == 1 else -4.0
            model.intercept = dict.fromkeys(skills, level)
            return model
        lr = LogisticRegression(C=C, fit_intercept=False, max_iter=5000)
        lr.fit(np.asarray(rows), labels_arr, sample_weight=np.asarray(weights))
        coef = lr.coef_[0]
        model.intercept = {s: float(coef[index[s]]) for s in skills}
        model.slope = float(coef[-2])
        model.curvature = float(coef[-1])
        model.skill_slope = {s: float(coef[-2] + coef[n + index[s]]) for s in skills}
        model.sensitivity_measured = model.slope < MIN_SLOPE
        # mentor offsets: observed vs predicted bookings, shrunk towards zero
        booked_sum: dict[str, float] = defaultdict(float)
        offered_sum: dict[str, float] = defaultdict(float)
        expected_sum: dict[str, float] = defaultdict(float)
        for o in obs:
            p = float(model.probability(o.skill, o.price))
            booked_sum[o.mentor] += min(o.booked, o.offered)
            offered_sum[o.mentor] += o.offered
            expected_sum[o.mentor] += p * o.offered
        for mentor in offered_sum:
            prior = MENTOR_PRIOR_HOURS
            observed = (booked_sum[mentor] + prior * expected_sum[mentor] / offered_sum[mentor]) / (
                offered_sum[mentor] + prior
            )
            expected = expected_sum[mentor] / offered_sum[mentor]
            observed = min(max(observed, 1e-3), 1 - 1e-3)
            expected = min(max(expected, 1e-3), 1 - 1e-3)
            model.mentor_offset[mentor] = math.log(observed / (1 - observed)) - math.log(expected / (1 - expected))
        return model

    def slope_of(self, skill: str) -> float:
        return self.skill_slope.get(skill, self.slope)

    def knows(self, skill: str) -> bool:
        return skill in self.reference

    def probability(self, skill: str, price: float, mentor: str | None = None) -> float:
        """Predicted share of offered hours booked at ``price`` (per hour)."""
        ref = self.reference[skill]
        x = math.log(max(price, 1e-9) / ref)
        logit = self.intercept[skill] + self.slope_of(skill) * x + self.curvature * x * x
        if mentor is not None:
            logit += self.mentor_offset.get(mentor, 0.0)
        return float(_sigmoid(logit))

    def suggest(
        self,
        skill: str,
        *,
        mentor: str | None = None,
        current: float | None = None,
        tolerance: float = 0.95,
        max_change: float = MAX_CHANGE,
    ) -> Suggestion:
        """The revenue-maximising price per hour near ``current`` (or the skill's median), and its range.

        The search stays within ``max_change`` of the anchor price and within the
        prices the skill's market has tried: a demand curve is only trusted near
        the data, so advice moves a price step by step rather than jumping.
        """
        if not self.knows(skill):
            raise KeyError(skill)
        ref = self.reference[skill]
        anchor = (current or ref) / ref
        tried_lo, tried_hi = self.ratio_range[skill]
        lo = max(anchor * (1 - max_change), min(tried_lo * 0.9, anchor))
        hi = min(anchor * (1 + max_change), max(tried_hi * 1.1, anchor))
        if hi <= lo:
            hi = lo * 1.0001
        ratios = np.exp(np.linspace(math.log(lo), math.log(hi), GRID_POINTS))
        x = np.log(ratios)
        logits = (
            self.intercept[skill]
            + self.slope_of(skill) * x
            + self.curvature * x * x
            + self.mentor_offset.get(mentor or "", 0.0)
        )
        probs = _sigmoid(logits)
        revenue = ratios * ref * probs
        best_index = int(np.argmax(revenue))
        good_set = set(np.nonzero(revenue >= tolerance * revenue[best_index])[0].tolist())
        left = right = best_index  # the contiguous run of near-optimal prices around the best
        while left - 1 in good_set:
            left -= 1
        while right + 1 in good_set:
            right += 1
        gain = 1.0
        if current:
            now = current * self.probability(skill, current, mentor)
            gain = float(revenue[best_index] / now) if now > 0 else float("inf")
        return Suggestion(
            low=float(ratios[left] * ref),
            best=float(ratios[best_index] * ref),
            high=float(ratios[right] * ref),
            reference=ref,
            booking_probability=float(probs[best_index]),
            revenue_gain=gain,
            capped=best_index == GRID_POINTS - 1 and hi < anchor * (1 + max_change) - 1e-9,
            sensitivity_measured=self.sensitivity_measured,
        )

    # --- storage -------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "demand",
            "reference": self.reference,
            "intercept": self.intercept,
            "mentor_offset": self.mentor_offset,
            "ratio_range": {k: list(v) for k, v in self.ratio_range.items()},
            "slope": self.slope,
            "skill_slope": self.skill_slope,
            "curvature": self.curvature,
            "sensitivity_measured": self.sensitivity_measured,
            "n_observations": self.n_observations,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DemandModel:
        if data.get("type") != "demand":
            raise ValueError("not a stored demand model")
        return cls(
            reference={k: float(v) for k, v in data["reference"].items()},
            intercept={k: float(v) for k, v in data["intercept"].items()},
            mentor_offset={k: float(v) for k, v in data.get("mentor_offset", {}).items()},
            ratio_range={k: (float(v[0]), float(v[1])) for k, v in data["ratio_range"].items()},
            slope=float(data.get("slope", 0.0)),
            skill_slope={k: float(v) for k, v in data.get("skill_slope", {}).items()},
            curvature=float(data.get("curvature", 0.0)),
            sensitivity_measured=bool(data.get("sensitivity_measured")),
            n_observations=int(data.get("n_observations", 0)),
        )
