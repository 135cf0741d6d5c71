"""Learning paths: for a learner and a goal skill, the skills to take first and who teaches them.

Learnt from the order in which learners on PeerLearn actually progressed: each
learner's completed (or confirmed and already started) sessions by start time,
each contributing its skills (:class:`~core.analytics.ml.paths.SkillPathModel`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from core.catalogue.models import MentorPage
from core.scheduling.models import Booking, Session
from core.taxonomy.models import Skill

from ..ml.paths import SkillPathModel
from ..models import PredictionModel
from . import store

MIN_LEARNERS = 3
MENTORS_PER_STEP = 3
SESSIONS_PER_STEP = 3


def sequences(now: datetime | None = None, *, learner_id: int | None = None) -> dict[int, list[str]]:
    """Each learner's skills (slugs) in the order they learnt them (only ``learner_id``'s when given)."""
    now = now or timezone.now()
    rows = Booking.objects.filter(Q(status=Booking.COMPLETED) | Q(status=Booking.CONFIRMED, starts_at__lte=now))
    if learner_id is not None:
        rows = rows.filter(learner_id=learner_id)
    rows = rows.order_by("learner_id", "starts_at", "id").values_list("learner_id", "session_id")
    session_skills: dict[int, list[str]] = defaultdict(list)
    ids = {session_id for _, session_id in rows}
    for session_id, slug in (
        Session.skills.through.objects.filter(session_id__in=ids)
        .order_by("skill__name")
        .values_list("session_id", "skill__slug")
    ):
        session_skills[session_id].append(slug)
    out: dict[int, list[str]] = defaultdict(list)
    for learner_id, session_id in rows:
        out[learner_id].extend(session_skills.get(session_id, []))
    return {k: v for k, v in out.items() if v}


def fit_learning_path(now: datetime | None = None) -> PredictionModel:
    started = time.perf_counter()
    seqs = sequences(now)
    if len(seqs) < MIN_LEARNERS:
        return store.save(
            PredictionModel.LEARNING_PATH,
            status=PredictionModel.INSUFFICIENT,
            n_samples=len(seqs),
            message=f"Need at least {MIN_LEARNERS} learners with sessions behind them; have {len(seqs)}.",
            fit_seconds=time.perf_counter() - started,
        )
    model = SkillPathModel.fit(list(seqs.values()))
    return store.save(
        PredictionModel.LEARNING_PATH,
        status=PredictionModel.READY,
        payload=model.to_dict(),
        metrics={"learners": len(seqs), "skills": len(model.reached)},
        n_samples=len(seqs),
        fit_seconds=time.perf_counter() - started,
    )


@dataclass
class Step:
    skill: Skill
    share: float | None  # of the learners who reached the goal, how many took this first (None: the goal)
    mentors: list[MentorPage] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    is_goal: bool = False


@dataclass
class LearningPath:
    goal: Skill
    steps: list[Step]
    known: list[Skill]
    learners_reached: int
    basis: str  # "platform" or "no_history"
    message: str
    next_skills: list[Skill] = field(default_factory=list)


def known_skills(learner) -> list[Skill]:
    """What the learner already has: skills of sessions they completed, and skills they teach."""
    done = Session.objects.filter(bookings__learner=learner, bookings__status=Booking.COMPLETED).values("skills")
    return list(Skill.objects.filter(Q(pk__in=done) | Q(skilled_users=learner)).distinct().order_by("name"))


def _with_offers(
    skill: Skill, *, exclude_user_id: int | None, now: datetime, is_goal: bool, share: float | None
) -> Step:
    from core.catalogue.services import live_mentor_pages

    mentors = (
        live_mentor_pages()
        .filter(skills=skill)
        .exclude(user_id=exclude_user_id)
        .select_related("user")
        .order_by("-rating_average", "-rating_count", "title")[:MENTORS_PER_STEP]
    )
    sessions = (
        Session.objects.filter(status=Session.SCHEDULED, starts_at__gt=now, skills=skill)
        .exclude(mentor_id=exclude_user_id)
        .select_related("mentor")
        .order_by("starts_at")[:SESSIONS_PER_STEP]
    )
    return Step(skill=skill, share=share, mentors=list(mentors), sessions=list(sessions), is_goal=is_goal)


def learning_path(learner, goal: Skill, *, now: datetime | None = None) -> LearningPath:
    """The ordered skills (then the goal) with mentors and upcoming sessions for each."""
    now = now or timezone.now()
    known = known_skills(learner)
    known_slugs = {s.slug for s in known}
    _row, model = store.loaded(PredictionModel.LEARNING_PATH, SkillPathModel.from_dict)
    reached = model.reached.get(goal.slug, 0) if model else 0
    plan = model.path_to(goal.slug, known_slugs) if model else []
    by_slug = {s.slug: s for s in Skill.objects.filter(slug__in=[p.skill for p in plan])}
    steps = [
        _with_offers(by_slug[p.skill], exclude_user_id=learner.pk, now=now, is_goal=False, share=p.share)
        for p in plan
        if p.skill in by_slug
    ]
    steps.append(_with_offers(goal, exclude_user_id=learner.pk, now=now, is_goal=True, share=None))
    if reached:
        basis = "platform"
        if len(steps) == 1:
            message = ngettext(
                "Of the %(count)d learner who reached %(goal)s, too few took the same skills first: "
                "you can start with it directly.",
                "Of the %(count)d learners who reached %(goal)s, too few took the same skills first: "
                "you can start with it directly.",
                reached,
            ) % {"count": reached, "goal": goal.name}
        else:
            message = ngettext(
                "The order in which the %(count)d learner who reached %(goal)s took these skills.",
                "The order in which the %(count)d learners who reached %(goal)s took these skills.",
                reached,
            ) % {"count": reached, "goal": goal.name}
    else:
        basis = "no_history"
        message = gettext("No learner on PeerLearn has taken %(goal)s yet: start with one of its mentors.") % {
            "goal": goal.name
        }
    history = sequences(now, learner_id=learner.pk).get(learner.pk, [])
    next_slugs = model.next_skills(history, k=5, exclude=known_slugs) if (model and history) else []
    next_by_slug = {s.slug: s for s in Skill.objects.filter(slug__in=next_slugs)}
    return LearningPath(
        goal=goal,
        steps=steps,
        known=known,
        learners_reached=reached,
        basis=basis,
        message=message,
        next_skills=[next_by_slug[s] for s in next_slugs if s in next_by_slug],
    )
