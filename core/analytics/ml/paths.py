"""Learning paths: which skill learners take next, and what they took before reaching a goal.

Fitted from each learner's sequence of skills in the order they actually
learnt them (the skills of their sessions by start time). Two questions are
answered from the same counts:

* **next step** (:meth:`SkillPathModel.next_skills`): the transitions out of
  the learner's last few skills (more recent ones weigh more), each smoothed
  towards overall popularity so that a rarely seen skill does not decide alone;
* **path to a goal** (:meth:`SkillPathModel.path_to`): the skills that a large
  enough share of the learners who reached the goal took *before* it, in the
  order they typically took them.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

# Chosen on a validation split of the offline evaluation (bench/analytics.py):
# how many of the latest skills vote, how fast their votes fade, and how many
# pseudo-counts of popularity smooth each skill's transitions.
DEFAULT_PARAMS = {"window": 3, "decay": 0.8, "alpha": 20.0}


@dataclass(frozen=True)
class PathStep:
    skill: str
    share: float  # of the learners who reached the goal, how many took this skill first
    position: float  # mean relative position before the goal (0 = first, 1 = just before)


@dataclass
class SkillPathModel:
    popular: Counter = field(default_factory=Counter)
    first: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    before: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    position_sum: dict[str, dict[str, float]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(float)))
    reached: Counter = field(default_factory=Counter)
    params: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_PARAMS))
    n_sequences: int = 0

    @classmethod
    def fit(
        cls, sequences: Iterable[Sequence[str]], params: dict[str, float] | None = None, *, precedence: bool = True
    ) -> SkillPathModel:
        """Count transitions (and, with ``precedence``, what came before each goal) in ``sequences``.

        Each sequence is one learner's skills in time order. Precedence counting
        is quadratic in a learner's distinct skills; the next-step evaluation
        leaves it out.
        """
        model = cls(params={**DEFAULT_PARAMS, **(params or {})})
        sequences = [[str(s) for s in seq] for seq in sequences]
        for seq in sequences:
            if not seq:
                continue
            model.n_sequences += 1
            for index, skill in enumerate(seq):
                if index >= 1:
                    model.popular[skill] += 1  # popularity as a *next* step
                    model.first[seq[index - 1]][skill] += 1
            if not precedence:
                continue
            # precedence: first occurrences, in order
            order: list[str] = []
            seen: set[str] = set()
            for skill in seq:
                if skill not in seen:
                    seen.add(skill)
                    order.append(skill)
            for goal_index, goal in enumerate(order):
                model.reached[goal] += 1
                if goal_index == 0:
                    continue
                for index, skill in enumerate(order[:goal_index]):
                    model.before[goal][skill] += 1
                    model.position_sum[goal][skill] += index / goal_index
        if not model.popular:
            # a platform where nobody has a second skill yet: popularity of any skill
            for seq in sequences:
                model.popular.update(seq)
        return model

    # --- next step -------------------------------------------------------------

    @staticmethod
    def _normalised(counter: Counter | None) -> dict[str, float]:
        if not counter:
            return {}
        total = sum(counter.values())
        return {key: value / total for key, value in counter.items()}

    def next_scores(self, history: Sequence[str]) -> dict[str, float]:
        """A score for every known skill as the learner's next step (higher is likelier)."""
        history = [str(s) for s in history]
        popular = self._normalised(self.popular)
        window = int(self.params["window"])
        decay = float(self.params["decay"])
        alpha = float(self.params["alpha"])
        recent = history[::-1][:window]
        if not recent:
            return dict(popular)
        scores: dict[str, float] = defaultdict(float)
        popular_share = 0.0
        for k, skill in enumerate(recent):
            weight = decay**k
            counts = self.first.get(skill) or Counter()
            total = sum(counts.values())
            for nxt, count in counts.items():
                scores[nxt] += weight * count / (total + alpha)
            if total + alpha > 0:
                popular_share += weight * alpha / (total + alpha)
            else:  # a skill nobody has moved on from yet, and no smoothing: popularity decides
                popular_share += weight
        for nxt, p in popular.items():
            scores[nxt] += popular_share * p
        return dict(scores)

    def next_skills(self, history: Sequence[str], k: int = 10, exclude: Iterable[str] = ()) -> list[str]:
        """The ``k`` likeliest next skills, best first (ties broken by popularity, then name)."""
        excluded = {str(s) for s in exclude}
        scores = self.next_scores(history)
        ranked = sorted(
            (s for s in scores if s not in excluded), key=lambda s: (-scores[s], -self.popular.get(s, 0), s)
        )
        return ranked[:k]

    def most_popular_next(self, k: int = 10, exclude: Iterable[str] = ()) -> list[str]:
        """The baseline: the skills most often taken as a next step, whatever came before."""
        excluded = {str(s) for s in exclude}
        ranked = sorted((s for s in self.popular if s not in excluded), key=lambda s: (-self.popular[s], s))
        return ranked[:k]

    # --- path to a goal ----------------------------------------------------------

    def path_to(
        self, goal: str, known: Iterable[str] = (), *, min_share: float = 0.2, max_steps: int = 6
    ) -> list[PathStep]:
        """Skills to take before ``goal``, in the order learners who reached it took them.

        A skill is kept when at least ``min_share`` of the learners who reached the
        goal took it before; skills the learner already has (``known``) are left out.
        The goal itself is not part of the list.
        """
        goal = str(goal)
        reached = self.reached.get(goal, 0)
        if not reached:
            return []
        known_set = {str(s) for s in known}
        steps = []
        for skill, count in self.before.get(goal, Counter()).items():
            share = count / reached
            if skill in known_set or skill == goal or share < min_share:
                continue
            steps.append(PathStep(skill, share, self.position_sum[goal][skill] / count))
        steps.sort(key=lambda s: (s.position, -s.share, s.skill))
        if len(steps) > max_steps:
            keep = sorted(steps, key=lambda s: (-s.share, s.position, s.skill))[:max_steps]
            steps = sorted(keep, key=lambda s: (s.position, -s.share, s.skill))
        return steps

    # --- storage -------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": "skill_path",
            "params": self.params,
            "n_sequences": self.n_sequences,
            "popular": dict(self.popular),
            "first": {a: dict(c) for a, c in self.first.items()},
            "before": {g: dict(c) for g, c in self.before.items()},
            "position_sum": {g: dict(p) for g, p in self.position_sum.items()},
            "reached": dict(self.reached),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SkillPathModel:
        if data.get("type") != "skill_path":
            raise ValueError("not a stored learning-path model")
        model = cls(params={**DEFAULT_PARAMS, **(data.get("params") or {})})
        model.n_sequences = int(data.get("n_sequences", 0))
        model.popular = Counter(data.get("popular", {}))
        for a, counts in data.get("first", {}).items():
            model.first[a] = Counter(counts)
        for g, counts in data.get("before", {}).items():
            model.before[g] = Counter(counts)
        for g, positions in data.get("position_sum", {}).items():
            model.position_sum[g] = defaultdict(float, positions)
        model.reached = Counter(data.get("reached", {}))
        return model
