"""``{% load recommendations %}{% recommended_for_you %}`` and ``{% trending_now %}`` for any page.

Both render nothing rather than break the page they sit on if anything goes wrong.
"""

from __future__ import annotations

import logging

from django import template
from django.utils.translation import gettext
from wagtail.models import Site

from core.pages.kept_pages import fresh_per_answer
from core.sponsorship.placement import place_recommendations

from .. import services

register = template.Library()
logger = logging.getLogger("peerlearn.recommendations")


def _site_id(request) -> int | None:
    if request is None:
        return None
    site = Site.find_for_request(request)
    return site.pk if site else None


def _block(context, kind: str, limit: int, surface: str) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    try:
        if kind == "trending":
            result = services.trending(user, site_id=_site_id(request), limit=limit)
        else:
            result = services.recommend(user, site_id=_site_id(request), limit=limit)
        result = place_recommendations(result, user, surface=surface)
        if request is not None and result is not None and any(r.sponsored for r in result.items):
            request.sponsored_slots_shown = True  # SponsoredNoCacheMiddleware keeps the page out of caches
        for rec in result.items if result is not None else ():
            fresh_per_answer(request, str(rec.impression_id))  # a kept page reports its own impressions
    except Exception:  # recommendations are an extra: the page must still render
        logger.exception("Recommendations for %s could not be made", surface)
        result = None
    signed_in = bool(user and user.is_authenticated)
    if kind == "trending":
        title = gettext("Trending")
    else:
        title = gettext("Recommended for you") if signed_in else gettext("Popular on PeerLearn")
    return {
        "result": result,
        "title": title,
        "section_id": f"recs-{kind}-{surface}",
        "surface": surface,
        "signed_in": signed_in,
        "request": request,
    }


@register.inclusion_tag("recommendations/includes/list.html", takes_context=True)
def recommended_for_you(context, limit: int = 6, surface: str = "home") -> dict:
    """The signed-in learner's hybrid list (popular items for visitors), with explanations."""
    return _block(context, "for_you", int(limit), surface)


@register.inclusion_tag("recommendations/includes/list.html", takes_context=True)
def trending_now(context, limit: int = 6, surface: str = "home") -> dict:
    """What is growing now on the platform."""
    return _block(context, "trending", int(limit), surface)
