"""Demo recommendations: a little browsing history, then every recommender fitted.

Runs after the catalogue and scheduling demos, so there are mentor pages,
sessions and bookings to learn from. Idempotent: the browsing history is added
once (marked with surface ``demo``) and refitting replaces the stored models.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone
from wagtail.models import Site

from . import sources, store
from .models import RecommendationEvent

SURFACE = "demo"


def seed(context: Any) -> None:
    rng = random.Random(7)
    if not RecommendationEvent.objects.filter(surface=SURFACE).exists():
        mentors = [c for c in sources.candidates(new_mentor_days=30) if c.kind == "mentor"]
        now = timezone.now()
        events = []
        for learner in context.learners:
            wanted = {s.name for s in learner.interests.all()}
            liked = [m for m in mentors if m.skills & wanted] or mentors
            for mentor in rng.sample(liked, min(len(liked), 3)):
                at = now - timedelta(days=rng.uniform(0, 20))
                events.append(
                    RecommendationEvent(user=learner, item=mentor.key, kind="view", surface=SURFACE, created_at=at)
                )
                if rng.random() < 0.5:
                    events.append(
                        RecommendationEvent(user=learner, item=mentor.key, kind="click", surface=SURFACE, created_at=at)
                    )
        RecommendationEvent.objects.bulk_create(events)
    fitted = 0
    for site_id in Site.objects.values_list("pk", flat=True):
        fitted += sum(1 for outcome in store.refit(site_id) if outcome.ok)
    context.report.counts["recommendation events"] = RecommendationEvent.objects.filter(surface=SURFACE).count()
    context.report.counts["recommender models fitted"] = fitted
