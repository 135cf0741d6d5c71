"""Putting sponsored mentors into ranked lists: mentor search (page and API) and recommendations.

Runs per request *after* ranking (and after any cache of the ranked list):
it picks running, targeted campaigns of mentors the viewer can book and who
are not on the list already, slots them with :func:`.slotting.interleave`
(at most one in every five) and counts each slot shown as one impression.
Responses that carry sponsored slots are therefore personal and counted:
views mark them uncacheable (:func:`mark_uncacheable`).
"""

from __future__ import annotations

import dataclasses
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from . import services
from .slotting import interleave, sponsored_room

logger = logging.getLogger("peerlearn.sponsorship")

SPONSORED_LABEL = "Sponsored"


@dataclass(frozen=True)
class Placed:
    """One result as shown: organic, or a sponsored slot with its impression id and click URL."""

    item: Any
    sponsored: bool = False
    impression_id: uuid.UUID | None = None

    @property
    def click_url(self) -> str:
        return reverse("sponsorship:click", args=[self.impression_id]) if self.impression_id else ""


def _viewer_id(viewer) -> int | None:
    return viewer.pk if getattr(viewer, "is_authenticated", False) else None


def _bookable(mentor_ids: Sequence[int]) -> set[int]:
    """Mentors with free time within the recommendation horizon (the recommender's own bookability test)."""
    from core.recommendations import sources
    from core.recommendations.services import site_settings

    horizon = site_settings(None).availability_horizon_days
    return set(mentor_ids) & sources.free_mentors(horizon)


def _record(chosen_slots, viewer, surface: str) -> list[Placed]:
    placed: list[Placed] = []
    for position, slot in enumerate(chosen_slots, 1):
        if not slot.sponsored:
            placed.append(Placed(slot.item))
            continue
        campaign, item = slot.item
        impression = services.record_impression(campaign, surface=surface, viewer=viewer, position=position)
        if impression is not None:  # the budget ran out meanwhile: the slot is left out
            placed.append(Placed(item, sponsored=True, impression_id=impression))
    return placed


def place_search(organic: Sequence[Any], filters: Any, viewer, *, surface: str = "search") -> list[Placed]:
    """Mentor pages of one search page, with sponsored mentors that match the same filters."""
    from core.catalogue.search import search_mentors

    organic = list(organic)
    plain = [Placed(page) for page in organic]
    if not organic or filters is None:
        return plain
    try:
        viewer_id = _viewer_id(viewer)
        skills = list(filters.skills)
        exclude = {page.user_id for page in organic} | ({viewer_id} if viewer_id else set())
        campaigns = services.candidates({s.slug for s in skills}, {s.category for s in skills if s.category}, exclude)
        if not campaigns:
            return plain
        pages = {p.user_id: p for p in search_mentors(filters).filter(user_id__in=[c.mentor_id for c in campaigns])}
        bookable = _bookable(list(pages))
        chosen = [(c, pages[c.mentor_id]) for c in campaigns if c.mentor_id in pages and c.mentor_id in bookable]
        chosen = chosen[: sponsored_room(len(organic))]
        return _record(interleave(organic, chosen), viewer, surface)
    except Exception:  # sponsorship is an extra: the search must still answer
        logger.exception("Sponsored slots for %s could not be placed", surface)
        return plain


def place_recommendations(result, viewer, *, surface: str = "recommendations"):
    """The recommendation list with sponsored mentors in marked slots (positions renumbered)."""
    from core.recommendations import sources
    from core.recommendations.ranker import RankedItem
    from core.recommendations.services import Recommendation, site_settings
    from core.taxonomy.models import Skill

    if result is None or not result.items:
        return result
    try:
        if not services.any_running():
            return result
        conf = site_settings(None)
        viewer_id = _viewer_id(viewer)
        names = set().union(*(r.candidate.skills for r in result.items))
        skills = list(Skill.objects.filter(name__in=names))
        shown = {r.candidate.owner_user_id for r in result.items if r.candidate.owner_user_id}
        exclude = shown | ({viewer_id} if viewer_id else set())
        campaigns = services.candidates({s.slug for s in skills}, {s.category for s in skills if s.category}, exclude)
        if not campaigns:
            return result
        catalogue = sources.catalogue_view(conf.new_mentor_days, ("mentor",)).catalogue
        mentors = {c.owner_user_id: c for c in catalogue.items if c.kind == "mentor"}
        bookable = _bookable([c.mentor_id for c in campaigns if c.mentor_id in mentors])
        chosen = [(c, mentors[c.mentor_id]) for c in campaigns if c.mentor_id in bookable]
        chosen = chosen[: sponsored_room(len(result.items))]
        placed = _record(interleave(result.items, chosen), viewer, surface)
    except Exception:
        logger.exception("Sponsored slots for %s could not be placed", surface)
        return result
    items = []
    for position, slot in enumerate(placed, 1):
        if slot.sponsored:
            ranked = RankedItem(candidate=slot.item, score=0.0, parts={}, explanation=SPONSORED_LABEL)
            items.append(
                Recommendation(item=ranked, position=position, impression_id=slot.impression_id, sponsored=True)
            )
        else:
            items.append(dataclasses.replace(slot.item, position=position))
    return dataclasses.replace(result, items=items)


def mark_uncacheable(response: HttpResponse, placed: Sequence[Placed] | None = None) -> HttpResponse:
    """Sponsored slots are counted per view: keep such a response out of every cache (``private``, ``no-store``)."""
    if placed is None or any(p.sponsored for p in placed):
        add_never_cache_headers(response)
    return response
