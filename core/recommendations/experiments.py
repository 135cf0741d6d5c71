"""A/B experiments on ranking: validating variants, assigning users, and the per-variant funnel.

Assignment is a pure function of the experiment id and the user id (a hash
into 10,000 buckets), so every process and every request puts a person in
the same variant without storing anything; users whose bucket falls past
the variants' shares are the control and get the site's settings.

The report follows each variant from what it showed to what came of it:
impression -> click (of that impression) -> booking -> completed -> rating.
A booking (core.scheduling) belongs to the variant of the user's last
impression of the booked session or its mentor before the booking was made;
its review (core.catalogue) follows the booking.
"""

from __future__ import annotations

import hashlib
import math
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils.translation import gettext

from .models import CONTROL, Experiment, RecommendationEvent
from .ranker import Weights

BUCKETS = 10_000
CACHE_SECONDS = 10
Z95 = 1.959963984540054


# --- validation ----------------------------------------------------------------


def variant_errors(name: str, weights: Sequence[float | None], recommender_keys: Sequence[str]) -> dict[str, str]:
    """What is wrong with one variant, by field (empty when it is fine)."""
    errors: dict[str, str] = {}
    if (name or "").strip().lower() == CONTROL:
        errors["name"] = gettext('"%(name)s" is reserved for the users outside every variant.') % {"name": CONTROL}
    given = [w for w in weights if w is not None]
    if given:
        if any(not math.isfinite(w) or w < 0 for w in given):
            errors["weight_content"] = gettext("Weights must be finite numbers, zero or more.")
        elif sum(given) <= 0:
            errors["weight_content"] = gettext("The weight set must add up to a positive number.")
    elif not recommender_keys:
        errors["weight_content"] = gettext("Give a weight set, a list of recommenders, or both.")
    return errors


def share_error(shares: Iterable[float | None]) -> str | None:
    """The traffic shares together may take at most 100 % of users."""
    total = sum(float(s) for s in shares if s is not None)
    if total > 100.0 + 1e-9:
        return gettext("The variants' traffic shares add up to %(total)s %%; they may add up to 100 %% at most.") % {
            "total": f"{total:g}"
        }
    return None


def unknown_recommenders(keys: Iterable[str], known: Iterable[str]) -> list[str]:
    known_set = set(known)
    return sorted({k for k in keys if k not in known_set})


@dataclass(frozen=True)
class VariantPlan:
    """What the ranker needs of a variant (cheap to cache and to pickle)."""

    name: str
    share: float
    weights: Weights | None = None
    recommenders: frozenset[str] | None = None


@dataclass(frozen=True)
class ExperimentPlan:
    id: int
    name: str
    variants: tuple[VariantPlan, ...]


@dataclass(frozen=True)
class Assignment:
    experiment_id: int | None
    variant: str
    weights: Weights | None = None
    recommenders: frozenset[str] | None = None

    @property
    def is_control(self) -> bool:
        return self.variant == CONTROL


NO_EXPERIMENT = Assignment(None, "")


def bucket(experiment_id: int, user_id: int) -> int:
    """The user's bucket in ``range(BUCKETS)``: the same for the same pair, everywhere."""
    digest = hashlib.sha256(f"{experiment_id}:{user_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % BUCKETS


def choose(plan: ExperimentPlan, user_id: int) -> Assignment:
    """The variant of ``user_id``: variants take consecutive ranges of buckets, the rest is control."""
    b = bucket(plan.id, user_id)
    edge = 0.0
    for variant in plan.variants:
        edge += variant.share * BUCKETS / 100.0
        if b < round(edge):
            return Assignment(plan.id, variant.name, variant.weights, variant.recommenders)
    return Assignment(plan.id, CONTROL)


def _cache_key(site_id: int | None) -> str:
    return f"recommendations:experiment:{site_id}"


def active_plan(site_id: int | None) -> ExperimentPlan | None:
    """The site's active experiment, cached for a few seconds (dropped from the cache on save)."""
    key = _cache_key(site_id)
    cached = cache.get(key)
    if cached is not None:
        return cached or None
    experiment = Experiment.objects.filter(site_id=site_id, active=True).prefetch_related("variants").first()
    plan: ExperimentPlan | None = None
    if experiment is not None:
        plan = ExperimentPlan(
            experiment.pk,
            experiment.name,
            tuple(
                VariantPlan(
                    v.name,
                    float(v.traffic_share),
                    v.weights,
                    frozenset(v.recommender_keys) if v.recommender_keys else None,
                )
                for v in experiment.variants.all()
            ),
        )
    cache.set(key, plan or False, CACHE_SECONDS)
    return plan


def forget(site_id: int | None = None) -> None:
    """Drop the cached plan (after an experiment or its variants change)."""
    cache.delete(_cache_key(site_id))


def assign(user_id: int | None, site_id: int | None) -> Assignment:
    """The ranking ``user_id`` gets on ``site_id`` now (``NO_EXPERIMENT`` when none runs or signed out)."""
    if user_id is None:
        return NO_EXPERIMENT
    plan = active_plan(site_id)
    if plan is None:
        return NO_EXPERIMENT
    return choose(plan, user_id)


# --- the report ----------------------------------------------------------------


def wilson(successes: int, trials: int, z: float = Z95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (``None`` without trials)."""
    if trials <= 0:
        return None
    successes = min(max(successes, 0), trials)
    p = successes / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class Rate:
    label: str
    successes: int
    trials: int

    @property
    def value(self) -> float | None:
        return self.successes / self.trials if self.trials else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return wilson(self.successes, self.trials)


@dataclass
class VariantFunnel:
    variant: str
    users: int
    impressions: int
    clicks: int
    bookings: int
    completed: int
    rated: int
    items_shown: int
    catalogue_size: int

    @property
    def rates(self) -> list[Rate]:
        return [
            Rate("click-through (clicks / impressions)", self.clicks, self.impressions),
            Rate("booking (bookings / impressions)", self.bookings, self.impressions),
            Rate("completion (completed / bookings)", self.completed, self.bookings),
            Rate("rating (rated / completed)", self.rated, self.completed),
        ]

    @property
    def coverage(self) -> float | None:
        return self.items_shown / self.catalogue_size if self.catalogue_size else None


def funnel(experiment: Experiment, catalogue_size: int | None = None) -> list[VariantFunnel]:
    """Per variant (the control last): impressions, clicks, bookings, completions, ratings, coverage."""
    from core.catalogue.models import Review
    from core.scheduling.models import Booking

    from . import sources

    if catalogue_size is None:
        catalogue_size = len(sources.candidates(30))
    names = [v.name for v in experiment.variants.all()] + [CONTROL]
    impressions = RecommendationEvent.objects.filter(experiment=experiment, kind=RecommendationEvent.IMPRESSION)
    seen: dict[tuple[int, str], list[tuple[datetime, str]]] = defaultdict(list)
    impression_ids: dict[str, set] = defaultdict(set)
    shown: dict[str, set[str]] = defaultdict(set)
    users: dict[str, set[int]] = defaultdict(set)
    for user_id, item, variant, at, impression_id in impressions.values_list(
        "user_id", "item", "variant", "created_at", "impression_id"
    ).order_by("created_at", "id"):
        seen[(user_id, item)].append((at, variant))
        impression_ids[variant].add(impression_id)
        shown[variant].add(item)
        users[variant].add(user_id)
    clicks: dict[str, int] = defaultdict(int)
    for variant, impression_id in RecommendationEvent.objects.filter(
        experiment=experiment, kind=RecommendationEvent.CLICK
    ).values_list("variant", "impression_id"):
        if impression_id in impression_ids[variant]:
            clicks[variant] += 1

    booked: dict[str, int] = defaultdict(int)
    completed: dict[str, int] = defaultdict(int)
    rated: dict[str, int] = defaultdict(int)
    learners = {u for u, _ in seen}
    bookings = Booking.objects.filter(
        learner_id__in=learners,
        status__in=[Booking.CONFIRMED, Booking.COMPLETED, Booking.NO_SHOW],
    ).values_list("pk", "learner_id", "session_id", "session__mentor_id", "status", "created_at")
    reviewed = set(
        Review.objects.exclude(status=Review.REJECTED)
        .filter(booking__learner_id__in=learners)
        .values_list("booking_id", flat=True)
    )
    for pk, learner, session, mentor, status, at in bookings:
        last: tuple[datetime, str] | None = None
        for item in (sources.session_key(session), sources.mentor_key(mentor)):
            history = seen.get((learner, item))
            if not history:
                continue
            n = bisect_right([when for when, _ in history], at)
            if n and (last is None or history[n - 1][0] > last[0]):
                last = history[n - 1]
        if last is None:
            continue
        variant = last[1]
        booked[variant] += 1
        if status == Booking.COMPLETED:
            completed[variant] += 1
            if pk in reviewed:
                rated[variant] += 1
    names += sorted(set(shown) - set(names))  # variants renamed or deleted since
    return [
        VariantFunnel(
            variant=name,
            users=len(users[name]),
            impressions=len(impression_ids[name]),
            clicks=clicks[name],
            bookings=booked[name],
            completed=completed[name],
            rated=rated[name],
            items_shown=len(shown[name]),
            catalogue_size=max(catalogue_size, len(shown[name])),
        )
        for name in names
    ]
