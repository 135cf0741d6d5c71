"""A mentor's own numbers: earnings, utilisation, ratings, demand for their skills, upcoming bookings."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from core.catalogue.models import Review
from core.payments.models import LedgerEntry
from core.scheduling.models import Booking
from core.scheduling.services.availability import zone_of
from core.taxonomy.models import Skill

from ..models import PredictionModel
from . import store
from .metrics import Period, _add_months, mentor_hours
from .pricing import SkillDemand, mentor_currency, skill_demand
from .success import success_for_bookings

MONTHS = 6


@dataclass
class MentorSummary:
    months: list[date]
    earnings: dict[str, list[int]]  # currency -> per month (earnings net of reversals)
    earnings_total: dict[str, int]
    utilisation: list[dict[str, Any]]  # last 4 and 12 weeks: booked, offered, share
    rating_average: float | None
    rating_count: int
    rating_histogram: list[tuple[int, int]]  # (stars, count), 5 first
    recent_reviews: list[Review]
    demand: list[SkillDemand]
    upcoming: list[dict[str, Any]] = field(default_factory=list)  # booking + success prediction
    currency: str = ""
    success_ready: bool = False


def mentor_summary(user, now: datetime | None = None) -> MentorSummary:
    """Everything the mentor's analytics page shows (their own data only)."""
    now = now or timezone.now()
    zone = zone_of(user)
    local_now = timezone.localtime(now, zone)
    this_month = date(local_now.year, local_now.month, 1)
    months = [_add_months(this_month, k - MONTHS + 1) for k in range(MONTHS)]
    start = datetime.combine(months[0], time.min, tzinfo=zone)
    earnings: dict[str, list[int]] = defaultdict(lambda: [0] * MONTHS)
    # By the month the session takes place (in the mentor's zone), whenever it was paid or refunded:
    # a 29 November session paid on 2 December is November's earning.
    rows = (
        LedgerEntry.objects.filter(mentor=user, kind__in=[LedgerEntry.MENTOR_EARNING, LedgerEntry.EARNING_REVERSAL])
        .annotate(month_of=Coalesce("booking__starts_at", "created_at"))
        .filter(month_of__gte=start)
        .values_list("month_of", "currency", "amount_minor")
    )
    for moment, currency, amount in rows:
        local = timezone.localtime(moment, zone)
        index = (local.year - months[0].year) * 12 + local.month - months[0].month
        if 0 <= index < MONTHS:
            earnings[currency][index] += amount
    totals = {
        row["currency"]: int(row["total"] or 0)
        for row in LedgerEntry.objects.filter(
            mentor=user, kind__in=[LedgerEntry.MENTOR_EARNING, LedgerEntry.EARNING_REVERSAL]
        )
        .values("currency")
        .annotate(total=Sum("amount_minor"))
    }
    windows = []
    for weeks in (4, 12):
        period = Period(now - timedelta(weeks=weeks), now)
        booked, offered = mentor_hours([period], mentor_ids=[user.pk]).get(user.pk, ([0.0], [0.0]))
        windows.append(
            {
                "weeks": weeks,
                "booked": round(booked[0], 1),
                "offered": round(offered[0], 1),
                "share": booked[0] / offered[0] if offered[0] else None,
            }
        )
    reviews = Review.objects.filter(mentor=user, status=Review.APPROVED)
    counts = Counter(reviews.values_list("rating", flat=True))
    rating_count = sum(counts.values())
    currency = mentor_currency(user)
    skills = Skill.objects.filter(Q(mentor_pages__user=user) | Q(skilled_users=user)).distinct().order_by("name")
    upcoming = list(
        Booking.objects.filter(session__mentor=user, status__in=Booking.ACTIVE_STATUSES, starts_at__gte=now)
        .select_related("session", "learner")
        .order_by("starts_at")[:20]
    )
    predictions = success_for_bookings(upcoming)
    return MentorSummary(
        months=months,
        earnings={c: v for c, v in sorted(earnings.items())},
        earnings_total=dict(sorted(totals.items())),
        utilisation=windows,
        rating_average=(sum(k * v for k, v in counts.items()) / rating_count) if rating_count else None,
        rating_count=rating_count,
        rating_histogram=[(stars, counts.get(stars, 0)) for stars in range(5, 0, -1)],
        recent_reviews=list(reviews.select_related("learner").order_by("-created")[:5]),
        demand=[skill_demand(skill, currency, now) for skill in skills],
        upcoming=[{"booking": b, "prediction": predictions.get(b.pk)} for b in upcoming],
        currency=currency,
        success_ready=store.current(PredictionModel.SESSION_SUCCESS) is not None,
    )
