"""Recommendations for a person, trending items, and the feedback they give.

Views call these; they gather the data (:mod:`.sources`), the fitted models
(:mod:`.store`) and the site's settings, and hand them to the pure ranker
(:mod:`.ranker`). A recommender that fails or overruns its budget while
scoring is skipped by the plugin manager and the list is made without it; so
is one whose answer breaks the ranker later (a reason that is not text): the
fault is charged to its plugin (recorded, counted by its breaker) and the
list is ranked again without it.
"""

from __future__ import annotations

import math
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.pages.cache import bump_on_commit, cached_part
from core.plugins import Candidates, Recommender, RecommenderScores, UserFeatures
from core.plugins.config import default_site_id
from core.plugins.manager import get_manager

from . import experiments, sources, store
from .families import active as active_families
from .models import RecommendationEvent, RecommendationSettings
from .ranker import BadAnswer, Candidate, RankedItem, RankRequest, RecommenderOutput, Weights, rank

MAX_LIMIT = 50
FEEDBACK_KINDS = (
    RecommendationEvent.IMPRESSION,
    RecommendationEvent.CLICK,
    RecommendationEvent.DISMISS,
    RecommendationEvent.BOOK,
)


@dataclass
class Recommendation:
    """One item of a list as the API and the templates show it."""

    item: RankedItem
    position: int
    impression_id: uuid.UUID = field(default_factory=uuid.uuid4)
    #: Placed by the sponsorship step after ranking (labelled "Sponsored"), not ranked.
    sponsored: bool = False

    @property
    def candidate(self) -> Candidate:
        return self.item.candidate


@dataclass
class RecommendationList:
    items: list[Recommendation]
    generated_at: datetime
    models: list[str]  # recommenders that answered
    personalised: bool
    experiment_id: int | None = None
    variant: str = ""  # the A/B variant the list was ranked for ("control" outside the split)


SETTINGS_SECONDS = 5.0


def site_settings(site_id: int | None) -> RecommendationSettings:
    """The site's ranking settings, re-read at most every few seconds (saved changes show within them)."""
    return sources._memoised(f"settings:{site_id}", SETTINGS_SECONDS, lambda: _read_settings(site_id))


def _read_settings(site_id: int | None) -> RecommendationSettings:
    from wagtail.models import Site

    site = Site.objects.filter(pk=site_id).first() if site_id else Site.objects.filter(is_default_site=True).first()
    if site is None:
        return RecommendationSettings()
    return RecommendationSettings.for_site(site)


def _score(rec: Recommender, user: UserFeatures, candidates: Candidates) -> RecommenderOutput:
    """One recommender's answer, aligned and checked (inside the manager's isolation: a bad answer is its failure).

    The manager then checks the output's fields against their annotations;
    what only makes sense per request (a usable weight) is checked here; the
    family was checked when the recommender was provided (:func:`store.recommenders`).
    """
    result = rec.score(user, candidates)
    if not isinstance(result, RecommenderScores):
        raise TypeError(f"score() returned {type(result).__name__}; expected RecommenderScores")
    weight = float(getattr(rec, "weight", 1.0))
    if not math.isfinite(weight) or weight < 0:
        raise ValueError(f"weight {weight!r} must be a finite number, not negative")
    return RecommenderOutput.of(rec.key, rec.family, weight, result, candidates)


def _score_all(
    site_id: int | None,
    user: UserFeatures,
    candidates: Candidates,
    families: set[str] | None,
    only: frozenset[str] | None = None,
    active: set[str] | None = None,
) -> list[tuple[str, RecommenderOutput]]:
    """Every loaded recommender's (plugin, answer), ``only`` these keys if given, each isolated by the manager.

    ``active`` are the families the site blends now: a recommender whose family
    was declared by a plugin that is now disabled here is left out quietly.
    """
    manager = get_manager()
    entries = [
        entry
        for entry in store.loaded(site_id)
        if (families is None or entry.recommender.family in families)
        and (active is None or entry.recommender.family in active)
        and (only is None or entry.recommender.key in only)
    ]
    outputs: list[tuple[str, RecommenderOutput]] = []
    with manager.gates_read_once([entry.plugin for entry in entries], site_id):
        for entry in entries:
            rec = entry.recommender
            output = manager.invoke(
                entry.plugin,
                f"score {rec.key}",
                _score,
                expect=RecommenderOutput,
                budget=store.score_budget(),
                site_id=site_id,
                rec=rec,
                user=user,
                candidates=candidates,
            )
            if output is not None:
                outputs.append((entry.plugin, output))
    return outputs


def _rank(request: RankRequest, plugins: dict[str, str], site_id: int | None) -> tuple[list[RankedItem], RankRequest]:
    """Rank; a recommender whose answer breaks the ranker is charged to its plugin and left out.

    ``plugins`` maps each output's recommender key to its plugin. Returns the
    list and the request it was ranked from (without the outputs left out).
    """
    while True:
        try:
            return rank(request), request
        except BadAnswer as exc:
            if exc.key not in plugins:
                raise
            get_manager().blame(plugins.pop(exc.key), f"score {exc.key}", exc.error, site_id=site_id)
            request = replace(request, outputs=[o for o in request.outputs if o.key != exc.key])


def recommend(
    user: Any | None,
    *,
    site_id: int | None = None,
    kinds: tuple[str, ...] = ("mentor", "session"),
    limit: int = 10,
    weights: Weights | None = None,
    families: set[str] | None = None,
    explore: bool = True,
) -> RecommendationList:
    """The hybrid list for ``user`` (``None`` or anonymous: popular and trending only).

    Without explicit ``weights``/``families`` a signed-in user in an active
    A/B experiment gets their variant's weight set and recommenders.
    """
    site_id = site_id if site_id is not None else default_site_id()
    conf = site_settings(site_id)
    limit = max(1, min(int(limit), MAX_LIMIT))
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    assignment = experiments.NO_EXPERIMENT
    if signed_in and weights is None and families is None:
        assignment = experiments.assign(user.pk, site_id)
        weights = assignment.weights
    user_id = user.pk if signed_in else None
    weights = weights or conf.declared_weights()

    def build() -> Ranking:
        learner = user if signed_in else None
        return _ranking(site_id, conf, learner, kinds, limit, weights, families, explore, assignment)

    # Kept per person and question for RECOMMENDATION_CACHE_SECONDS at most (the exploration slots,
    # trending and "new" badges move with time); their interests, skills, reviews, dismissals
    # (``taste:<id>``) and the catalogue make it stale at once. Their bookings do not: a booking's
    # weight in their history waits for the next ranking, while the seats they hold leave the list
    # at once (the ranking was the costliest part a booking made every dashboard and API answer rebuild).
    parts = [site_id, user_id, kinds, limit, weights, sorted(families or ()), families is None, explore]
    parts += [assignment.experiment_id, assignment.variant, translation.get_language()]
    tags = ["site", "listings", store.RECOMMENDATIONS_TAG, *([f"taste:{user_id}"] if signed_in else [])]
    ranking = cached_part("recommendations", parts, tags, build, expires=_expiry)
    ranked, models = ranking.ranked, ranking.models
    if signed_in and any(item.candidate.kind == "session" for item in ranked):
        held = _held_sessions(user_id)
        ranked = tuple(item for item in ranked if not _is_held(item.candidate, held))
    return RecommendationList(
        items=[Recommendation(item=r, position=n + 1) for n, r in enumerate(ranked)],
        generated_at=timezone.now(),
        models=list(models),
        personalised=signed_in,
        experiment_id=assignment.experiment_id,
        variant=assignment.variant,
    )


def _held_sessions(user_id: int) -> frozenset[int]:
    """:func:`sources.held_sessions`, kept until the person's bookings change."""
    return cached_part("held-sessions", [user_id], [f"person:{user_id}"], lambda: sources.held_sessions(user_id))


def _is_held(candidate: Candidate, held: frozenset[int]) -> bool:
    parsed = candidate.kind == "session" and sources.parse_key(candidate.key)
    return bool(parsed) and parsed[1] in held


@dataclass(frozen=True)
class Ranking:
    """What :func:`recommend` keeps per person and question: the ranked items and who answered."""

    ranked: tuple[RankedItem, ...]
    models: tuple[str, ...]
    at: float = field(default_factory=time.time)


def _expiry(ranking: Ranking) -> float:
    return ranking.at + settings.RECOMMENDATION_CACHE_SECONDS


def _ranking(
    site_id: int | None,
    conf: RecommendationSettings,
    user: Any | None,
    kinds: tuple[str, ...],
    limit: int,
    weights: Weights,
    families: set[str] | None,
    explore: bool,
    assignment: experiments.Assignment,
) -> Ranking:
    """Gather the learner's features and the catalogue, ask every recommender, rank."""
    if user is not None:
        features, exclude = sources.learner(user, conf.dismiss_days)
        user_id = user.pk
    else:
        features, exclude, user_id = UserFeatures(user_id=0), frozenset(), None
    view = sources.catalogue_view(conf.new_mentor_days, kinds)
    catalogue = view.catalogue
    active = {f.name for f in active_families(site_id)}
    answers = (
        _score_all(site_id, features, catalogue.keys, families, assignment.recommenders, active) if catalogue else []
    )
    horizon = conf.availability_horizon_days
    ranked, request = _rank(
        RankRequest(
            catalogue=catalogue,
            outputs=[output for _, output in answers],
            weights=weights,
            limit=limit,
            diversity_lambda=conf.diversity_lambda,
            exploration_share=conf.exploration_share if explore else 0.0,
            exclude=exclude,
            user_id=user_id,
            bookable=lambda batch: sources.bookable(batch, user_id, horizon),
            titles=view.titles_of,
        ),
        {output.key: plugin for plugin, output in answers},
        site_id,
    )
    return Ranking(tuple(ranked), tuple(o.key for o in request.outputs if o.speaks))


def trending(user: Any | None, *, site_id: int | None = None, limit: int = 10) -> RecommendationList:
    """What is growing now: trending recommenders first, popularity breaking ties and filling in."""
    return recommend(
        user,
        site_id=site_id,
        limit=limit,
        weights=Weights(content=0.0, collaborative=0.0, popularity=0.05, trending=1.0),
        families={"trending", "popularity"},
        explore=False,
    )


# --- feedback ------------------------------------------------------------------


class FeedbackError(Exception):
    """Feedback that cannot be recorded; ``field`` names the input at fault."""

    def __init__(self, field: str, message: str, code: str = "invalid", status: int = 400) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code
        self.status = status


def record_feedback(
    user: Any,
    *,
    impression_id: uuid.UUID,
    item: str,
    kind: str,
    surface: str = "",
    position: int | None = None,
    site_id: int | None = None,
) -> tuple[RecommendationEvent, bool]:
    """Record what ``user`` did with a recommended item; replays return the first record.

    The same impression id may carry one event of each kind (shown, clicked,
    booked...) but always for the same user and item: reusing it for another
    item or person is refused and nothing is recorded. Each event carries the
    user's A/B variant (assignment is deterministic, so it is the one the list
    was ranked for).
    """
    if kind not in FEEDBACK_KINDS:
        raise FeedbackError("event", f"Unknown event {kind!r}; expected one of {', '.join(FEEDBACK_KINDS)}.")
    if sources.parse_key(item) is None:
        raise FeedbackError("item", 'Expected an item key such as "mentor:12" or "session:7".')
    if not sources.item_exists(item, viewer=user):
        raise FeedbackError(
            "item", gettext("No mentor or session %(item)s.") % {"item": repr(item)}, code="unknown_item"
        )
    site_id = site_id if site_id is not None else default_site_id()
    assignment = experiments.assign(user.pk, site_id)
    with transaction.atomic():
        earlier = list(RecommendationEvent.objects.filter(impression_id=impression_id).select_for_update())
        for event in earlier:
            if event.user_id != user.pk or event.item != item:
                raise FeedbackError(
                    "impression_id",
                    "This impression id was already used for another item; ask for a fresh list.",
                    code="duplicate_impression",
                    status=409,
                )
        same = next((e for e in earlier if e.kind == kind), None)
        if same is not None:
            return same, False
        try:
            with transaction.atomic():
                event = RecommendationEvent.objects.create(
                    impression_id=impression_id,
                    user=user,
                    item=item,
                    kind=kind,
                    surface=surface[:32],
                    position=position,
                    site_id=site_id,
                    experiment_id=assignment.experiment_id,
                    variant=assignment.variant,
                )
        except IntegrityError:  # the same report raced in from another request
            return RecommendationEvent.objects.get(impression_id=impression_id, kind=kind), False
        if kind == RecommendationEvent.DISMISS:  # the item leaves the person's kept lists
            bump_on_commit(f"person:{user.pk}", f"taste:{user.pk}")
    return event, True
