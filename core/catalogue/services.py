"""Catalogue domain logic: prices of mentors, who teaches what, upcoming sessions by subject."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from .models import MentorPage


def live_mentor_pages() -> QuerySet[MentorPage]:
    """Mentor pages the public can reach: published, not behind a view restriction, under a
    published index page, and belonging to an active account that is still a mentor."""
    from .models import MentorIndexPage

    under_live_index = Q(pk__in=[])
    for path in MentorIndexPage.objects.live().values_list("path", flat=True):
        under_live_index |= Q(path__startswith=path)
    return MentorPage.objects.live().public().filter(under_live_index, user__is_active=True, user__is_mentor=True)


def mentor_rate(user: Any) -> tuple[int, str] | None:
    """The hourly rate of a mentor's *live* page as ``(minor units, currency)``.

    ``None`` when the mentor has no published page or has not priced it (rate 0): callers
    pricing a 1:1 slot then treat it as not bookable for money (or free, as they decide).
    """
    user_id = getattr(user, "pk", user)
    row = live_mentor_pages().filter(user_id=user_id).values_list("hourly_rate_minor", "currency").first()
    if row is None or not row[0]:
        return None
    return int(row[0]), row[1]


def rate_label(amount_minor: int, currency: str) -> str:
    """How a price reads on a page: "25.00 USD per hour", or "Free" when unpriced."""
    from core.scheduling.currency import format_money

    text = format_money(amount_minor, currency)
    return text if not amount_minor else gettext("%(price)s / hour") % {"price": text}


def mentors_with_skills(skill_ids: Iterable[int]) -> QuerySet[MentorPage]:
    """Live mentor pages teaching any of the skills, best rated first."""
    return (
        live_mentor_pages()
        .filter(skills__in=list(skill_ids))
        .distinct()
        .select_related("user", "photo")
        .prefetch_related("skills")
        .order_by("-rating_average", "-rating_count", "title")
    )


def upcoming_sessions(
    *, mentor_ids: Iterable[int] | None = None, skill_ids: Iterable[int] | None = None, limit: int = 10
) -> list[Any]:
    """Published sessions still to come, soonest first, each annotated with ``seats_taken``.

    Only sessions a mentor published are listed: a 1:1 session made by booking a free slot is
    private to its learner.
    """
    from core.scheduling.models import Booking, Session

    queryset = Session.objects.filter(
        status=Session.SCHEDULED, origin=Session.PUBLISHED, starts_at__gte=timezone.now()
    ).annotate(seats_taken=Count("bookings", filter=Q(bookings__status__in=Booking.ACTIVE_STATUSES), distinct=True))
    if mentor_ids is not None:
        queryset = queryset.filter(mentor_id__in=list(mentor_ids))
    if skill_ids is not None:
        queryset = queryset.filter(skills__in=list(skill_ids)).distinct()
    return list(queryset.select_related("mentor").prefetch_related("skills").order_by("starts_at", "id")[:limit])


def skills_by_category() -> list[dict[str, Any]]:
    """Every skill grouped by category (uncategorised last), each with its count of live mentors."""
    from core.taxonomy.models import Skill

    live_ids = live_mentor_pages().values("id")
    skills = Skill.objects.annotate(
        mentor_count=Count("mentor_pages", filter=Q(mentor_pages__in=live_ids), distinct=True)
    ).order_by("category", "name")
    groups: dict[str, list[Skill]] = {}
    for skill in skills:
        groups.setdefault(skill.category or "Other", []).append(skill)
    ordered = sorted(groups.items(), key=lambda item: (item[0] == "Other", item[0].lower()))
    topic_for = _topic_urls_by_skill()
    return [
        {
            "name": name,
            "skills": items,
            "mentor_count": sum(skill.mentor_count for skill in items),
            # The heading links to the topic page covering most of the category, else to a search of it.
            "url": _best_topic_url(items, topic_for) or "/mentors/?skill=" + ",".join(s.slug for s in items),
        }
        for name, items in ordered
    ]


def live_topics() -> list[Any]:
    """Published topic pages, by title: the entry points the navigation and the directory link to."""
    from .models import TopicPage

    return list(TopicPage.objects.live().public().order_by("title"))


def _topic_urls_by_skill() -> dict[int, list[str]]:
    urls: dict[int, list[str]] = {}
    for topic in live_topics():
        url = topic.get_url()
        if not url:
            continue
        for skill_id in topic.skills.values_list("id", flat=True):
            urls.setdefault(skill_id, []).append(url)
    return urls


def _best_topic_url(skills: list[Any], topic_for: dict[int, list[str]]) -> str | None:
    votes: dict[str, int] = {}
    for skill in skills:
        for url in topic_for.get(skill.pk, []):
            votes[url] = votes.get(url, 0) + 1
    return max(votes, key=lambda url: votes[url]) if votes else None
