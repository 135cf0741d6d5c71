"""Business metrics per day, week or month, for all skills or one: the dashboard's numbers.

Everything is computed from the event log, except money (from the append-only
ledger, the source of truth) and utilisation (from the mentors' availability
and sessions). Periods are UTC days; a week starts on Monday; the first and
last period are cut to the requested range. Money is never added across
currencies: every money metric is a ``{currency: value}`` mapping.

Definitions (also shown on the dashboard):

* **bookings**: bookings made (``booking.created``); **confirmed**: bookings
  confirmed (paid, or free) in the period.
* **revenue**: what learners paid minus what was refunded (ledger ``charge`` +
  ``refund`` entries, by the entry's time); **commission**: the platform's
  share (``commission`` + ``commission_reversal``).
* **average session value**: the mean charge (what one paid booking brought
  in, before refunds).
* **utilisation**: booked hours / offered hours. Offered = the mentors' weekly
  availability and extra time, plus any session they hold outside it; booked =
  the time of sessions with at least one confirmed, completed or no-show seat
  (a group session's hour counts once). For a skill: the mentors who teach it
  and their sessions tagged with it.
* **completion, cancellation and no-show rates**: of the confirmed bookings
  that closed in the period as completed, cancelled or no-show, the share of
  each (bookings cancelled before payment are abandoned checkouts, not
  cancellations).
* **rating average**: mean rating of the reviews submitted in the period.
* **search-to-booking conversion**: of the signed-in people who searched in
  the period, the share who made a booking within 7 days after their first
  search in it (for a skill: a search filtered by it, and a booking in it).
* **new users** and **growth rate**: sign-ups in the period, and their number
  over the users signed up before the period began (for a skill: people
  interested in it).
* **retention by sign-up cohort**: learners grouped by the month they signed
  up; for month k after it, the share who made at least one booking that month.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from core.payments.models import LedgerEntry
from core.taxonomy.models import Skill

from ..models import Event

GRANULARITIES = ("day", "week", "month")
#: The dashboard's choice of period, and the words its range line uses ("by week"), translated.
GRANULARITY_CHOICES = (("day", gettext_lazy("Day")), ("week", gettext_lazy("Week")), ("month", gettext_lazy("Month")))
BY_GRANULARITY = {"day": gettext_lazy("by day"), "week": gettext_lazy("by week"), "month": gettext_lazy("by month")}
MAX_DAYS = 3 * 366
DEFAULT_DAYS = 30
CONVERSION_WINDOW = timedelta(days=7)
COHORT_MONTHS = 6
CLOSED_NAMES = ("booking.completed", "booking.cancelled", "booking.no_show")

#: Counted metrics, rates and money metrics in the order the dashboard shows them.
COUNT_METRICS = ("bookings", "confirmed", "searches", "new_users")
RATE_METRICS = (
    "utilisation",
    "completion_rate",
    "cancellation_rate",
    "no_show_rate",
    "search_conversion",
    "growth_rate",
)
MONEY_METRICS = ("revenue", "commission", "avg_session_value")
#: English in the CSV export (a file for tools); the dashboard shows them translated (``gettext``).
LABELS = {
    "bookings": gettext_noop("Bookings made"),
    "confirmed": gettext_noop("Bookings confirmed"),
    "searches": gettext_noop("Searches"),
    "new_users": gettext_noop("New users"),
    "utilisation": gettext_noop("Mentor utilisation"),
    "completion_rate": gettext_noop("Completion rate"),
    "cancellation_rate": gettext_noop("Cancellation rate"),
    "no_show_rate": gettext_noop("No-show rate"),
    "search_conversion": gettext_noop("Search-to-booking conversion"),
    "growth_rate": gettext_noop("Growth rate"),
    "rating_average": gettext_noop("Rating average"),
    "revenue": gettext_noop("Revenue"),
    "commission": gettext_noop("Platform commission"),
    "avg_session_value": gettext_noop("Average session value"),
}


class ReportError(ValueError):
    """A filter that cannot be used; ``field`` names it for the form or the 400 answer."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ReportRequest:
    start: date
    end: date  # inclusive
    granularity: str = "day"
    skill: Skill | None = None

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=UTC)

    @property
    def end_at(self) -> datetime:
        """Exclusive end instant: midnight after the last day."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)


def _parse_date(params: Mapping[str, Any], name: str, default: date) -> date:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ReportError(name, gettext("“%(value)s” is not a date; use YYYY-MM-DD.") % {"value": raw}) from None


def parse_request(params: Mapping[str, Any], *, today: date | None = None) -> ReportRequest:
    """Dates, granularity and skill from query parameters, or :class:`ReportError` naming the bad one."""
    today = today or timezone.now().astimezone(UTC).date()
    end = _parse_date(params, "end", today)
    start = _parse_date(params, "start", end - timedelta(days=DEFAULT_DAYS - 1))
    if end < start:
        raise ReportError(
            "end",
            gettext("The range ends (%(end)s) before it starts (%(start)s).")
            % {"end": f"{end:%Y-%m-%d}", "start": f"{start:%Y-%m-%d}"},
        )
    if (end - start).days + 1 > MAX_DAYS:
        raise ReportError(
            "start",
            gettext("Choose at most %(max)d days; this range has %(days)d.")
            % {"max": MAX_DAYS, "days": (end - start).days + 1},
        )
    granularity = str(params.get("granularity") or "day").strip().lower()
    if granularity not in GRANULARITIES:
        raise ReportError(
            "granularity", gettext("“%(value)s” is not one of day, week, month.") % {"value": granularity}
        )
    skill = None
    raw_skill = str(params.get("skill") or "").strip()
    if raw_skill:
        skill = Skill.objects.filter(slug=raw_skill).first()
        if skill is None and raw_skill.isdigit():
            skill = Skill.objects.filter(pk=int(raw_skill)).first()
        if skill is None:
            raise ReportError("skill", gettext("There is no skill “%(name)s”.") % {"name": raw_skill})
    return ReportRequest(start=start, end=end, granularity=granularity, skill=skill)


# --- periods ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime  # exclusive

    @property
    def label(self) -> str:
        return self.start.date().isoformat()

    @property
    def last_day(self) -> date:
        return (self.end - timedelta(days=1)).date()

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


def _next_boundary(day: date, granularity: str) -> date:
    if granularity == "day":
        return day + timedelta(days=1)
    if granularity == "week":
        return day + timedelta(days=7 - day.weekday())
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def periods(start: date, end: date, granularity: str) -> list[Period]:
    """Consecutive periods covering ``start`` .. ``end`` (inclusive), cut to the range."""
    out = []
    day = start
    while day <= end:
        nxt = min(_next_boundary(day, granularity), end + timedelta(days=1))
        out.append(Period(datetime.combine(day, time.min, tzinfo=UTC), datetime.combine(nxt, time.min, tzinfo=UTC)))
        day = nxt
    return out


class _Buckets:
    def __init__(self, items: list[Period]) -> None:
        self.items = items
        self.starts = [p.start for p in items]
        self.end = items[-1].end if items else None

    def index(self, moment: datetime) -> int | None:
        if not self.items or moment < self.starts[0] or moment >= self.end:
            return None
        return bisect.bisect_right(self.starts, moment) - 1


# --- event helpers -----------------------------------------------------------------------


def _skill_match(skill_ids: Iterable[int] | None, skill: Skill | None) -> bool:
    return skill is None or skill.pk in (skill_ids or ())


def _with_skill(rows, skill: Skill | None):
    """``rows`` narrowed to events tagged with ``skill`` by the database when it can (PostgreSQL), else ``None``."""
    if skill is None:
        return rows, False
    if connection.features.supports_json_field_contains:
        return rows.filter(skill_ids__contains=[skill.pk]), False
    return rows, True  # filter in Python (SQLite cannot look inside JSON lists)


def _events(names: Iterable[str], start: datetime, end: datetime, skill: Skill | None, fields: Iterable[str]):
    rows = Event.objects.filter(name__in=list(names), occurred_at__gte=start, occurred_at__lt=end)
    rows, in_python = _with_skill(rows, skill)
    if not in_python:
        yield from (list(row) for row in rows.values_list(*fields).iterator(chunk_size=5000))
        return
    for skill_ids, *rest in rows.values_list("skill_ids", *fields).iterator(chunk_size=5000):
        if _skill_match(skill_ids, skill):
            yield rest


def _counts(name: str, buckets: _Buckets, req: ReportRequest) -> list[int]:
    """Events of ``name`` per period, counted by the database per UTC day when no Python filter is needed."""
    out = [0] * len(buckets.items)
    rows = Event.objects.filter(name=name, occurred_at__gte=req.start_at, occurred_at__lt=req.end_at)
    rows, in_python = _with_skill(rows, req.skill)
    if not in_python:
        per_day = rows.annotate(day=TruncDate("occurred_at", tzinfo=UTC)).values("day").annotate(n=Count("id"))
        for row in per_day.order_by():
            index = buckets.index(datetime.combine(row["day"], time.min, tzinfo=UTC))
            if index is not None:
                out[index] += row["n"]
        return out
    for (occurred_at,) in _events([name], req.start_at, req.end_at, req.skill, ["occurred_at"]):
        index = buckets.index(occurred_at)
        if index is not None:
            out[index] += 1
    return out


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


# --- money from the ledger ------------------------------------------------------------------


def _ledger(kinds: Iterable[str], req: ReportRequest):
    entries = LedgerEntry.objects.filter(kind__in=list(kinds), created_at__gte=req.start_at, created_at__lt=req.end_at)
    if req.skill is not None:
        entries = entries.filter(booking__session__skills=req.skill).distinct()
    return entries.values_list("created_at", "kind", "currency", "amount_minor").iterator(chunk_size=5000)


def money_series(buckets: _Buckets, req: ReportRequest) -> dict[str, dict[str, list[int | None]]]:
    n = len(buckets.items)
    revenue: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    commission: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    charge_sum: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    charge_count: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    kinds = (*LedgerEntry.CASH_KINDS, *LedgerEntry.COMMISSION_KINDS)  # fees and discounts are not commission
    for created_at, kind, currency, amount in _ledger(kinds, req):
        index = buckets.index(created_at)
        if index is None:
            continue
        # every currency with money in it gets both rows, even if one of them stays at zero
        revenue_row, commission_row = revenue[currency], commission[currency]
        if kind in LedgerEntry.CASH_KINDS:
            revenue_row[index] += amount
            if kind == LedgerEntry.CHARGE:
                charge_sum[currency][index] += amount
                charge_count[currency][index] += 1
        else:
            commission_row[index] += amount
    average = {
        currency: [
            round(total / count) if count else None
            for total, count in zip(charge_sum[currency], charge_count[currency], strict=True)
        ]
        for currency in sorted(revenue)
    }
    return {
        "revenue": {c: revenue[c] for c in sorted(revenue)},
        "commission": {c: commission[c] for c in sorted(commission)},
        "avg_session_value": average,
    }


# --- utilisation ----------------------------------------------------------------------------


def _merge(intervals: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _hours_per_period(intervals: list[tuple[datetime, datetime]], items: list[Period]) -> list[float]:
    out = []
    for period in items:
        total = 0.0
        for start, end in intervals:
            overlap = (min(end, period.end) - max(start, period.start)).total_seconds()
            if overlap > 0:
                total += overlap
        out.append(total / 3600)
    return out


def utilisation_hours(
    items: list[Period], skill: Skill | None = None, mentor_ids: Iterable[int] | None = None
) -> tuple[list[float], list[float]]:
    """Booked and offered hours of the mentors (all, those teaching ``skill``, or ``mentor_ids``) per period."""
    booked_total = [0.0] * len(items)
    offered_total = [0.0] * len(items)
    for booked, offered in mentor_hours(items, skill, mentor_ids).values():
        for index in range(len(items)):
            booked_total[index] += booked[index]
            offered_total[index] += offered[index]
    return booked_total, offered_total


def mentor_hours(
    items: list[Period], skill: Skill | None = None, mentor_ids: Iterable[int] | None = None
) -> dict[int, tuple[list[float], list[float]]]:
    """``{mentor_id: (booked hours per period, offered hours per period)}``."""
    from core.accounts.models import User
    from core.scheduling.models import Booking, DateOverride, Session, WeeklyRule
    from core.scheduling.services.availability import open_intervals, zone_of

    if not items:
        return {}
    start, end = items[0].start, items[-1].end
    mentors = User.objects.filter(is_mentor=True)
    if mentor_ids is not None:
        mentors = mentors.filter(pk__in=list(mentor_ids))
    if skill is not None:
        mentors = mentors.filter(Q(skills=skill) | Q(mentor_page__skills=skill)).distinct()
    mentors = list(mentors)
    ids = [m.pk for m in mentors]
    rules: dict[int, list] = defaultdict(list)
    for rule in WeeklyRule.objects.filter(mentor_id__in=ids):
        rules[rule.mentor_id].append(rule)
    overrides: dict[int, list] = defaultdict(list)
    for override in DateOverride.objects.filter(
        mentor_id__in=ids, date__gte=(start - timedelta(days=2)).date(), date__lte=(end + timedelta(days=2)).date()
    ):
        overrides[override.mentor_id].append(override)
    sessions = Session.objects.filter(mentor_id__in=ids, starts_at__lt=end, ends_at__gt=start).exclude(
        status=Session.CANCELLED
    )
    if skill is not None:
        sessions = sessions.filter(skills=skill)
    held = Booking.objects.filter(status__in=[Booking.CONFIRMED, Booking.COMPLETED, Booking.NO_SHOW]).values(
        "session_id"
    )
    booked_ids = set(sessions.filter(pk__in=held).values_list("pk", flat=True))
    own_sessions: dict[int, list[tuple[datetime, datetime, int]]] = defaultdict(list)
    for pk, mentor_id, s, e in sessions.values_list("pk", "mentor_id", "starts_at", "ends_at"):
        own_sessions[mentor_id].append((s, e, pk))
    out = {}
    for mentor in mentors:
        offered = [
            (max(s, start), min(e, end))
            for s, e in open_intervals(zone_of(mentor), rules[mentor.pk], overrides[mentor.pk], start, end)
        ]
        offered += [(max(s, start), min(e, end)) for s, e, _ in own_sessions[mentor.pk]]
        booked = [(max(s, start), min(e, end)) for s, e, pk in own_sessions[mentor.pk] if pk in booked_ids]
        out[mentor.pk] = (_hours_per_period(_merge(booked), items), _hours_per_period(_merge(offered), items))
    return out


# --- outcomes, ratings, search, users -----------------------------------------------------------


def outcome_rates(buckets: _Buckets, req: ReportRequest) -> dict[str, list[float | None]]:
    n = len(buckets.items)
    counts = {name: [0] * n for name in CLOSED_NAMES}
    for name, occurred_at, data in _events(
        CLOSED_NAMES, req.start_at, req.end_at, req.skill, ["name", "occurred_at", "data"]
    ):
        if name == "booking.cancelled" and (data or {}).get("old_status") != "confirmed":
            continue  # an unpaid booking given up: an abandoned checkout
        index = buckets.index(occurred_at)
        if index is not None:
            counts[name][index] += 1
    closed = [sum(counts[name][i] for name in CLOSED_NAMES) for i in range(n)]
    return {
        "completion_rate": [_ratio(counts["booking.completed"][i], closed[i]) for i in range(n)],
        "cancellation_rate": [_ratio(counts["booking.cancelled"][i], closed[i]) for i in range(n)],
        "no_show_rate": [_ratio(counts["booking.no_show"][i], closed[i]) for i in range(n)],
        "closed_bookings": closed,
    }


def ratings(buckets: _Buckets, req: ReportRequest) -> tuple[list[float | None], list[int]]:
    n = len(buckets.items)
    total = [0.0] * n
    count = [0] * n
    for occurred_at, data in _events(
        ["review.submitted"], req.start_at, req.end_at, req.skill, ["occurred_at", "data"]
    ):
        index = buckets.index(occurred_at)
        rating = (data or {}).get("rating")
        if index is not None and isinstance(rating, int | float):
            total[index] += float(rating)
            count[index] += 1
    return [_ratio(total[i], count[i]) for i in range(n)], count


def search_conversion(buckets: _Buckets, req: ReportRequest) -> tuple[list[int], list[float | None], list[int]]:
    """Searches per period, the conversion of signed-in searchers, and how many of them there were."""
    n = len(buckets.items)
    searches = [0] * n
    first_search: list[dict[int, datetime]] = [{} for _ in range(n)]
    for occurred_at, user_id in _events(
        ["search.performed"], req.start_at, req.end_at, req.skill, ["occurred_at", "user_id"]
    ):
        index = buckets.index(occurred_at)
        if index is None:
            continue
        searches[index] += 1
        if user_id is not None:
            seen = first_search[index].get(user_id)
            if seen is None or occurred_at < seen:
                first_search[index][user_id] = occurred_at
    searchers = {uid for bucket in first_search for uid in bucket}
    bookings: dict[int, list[datetime]] = defaultdict(list)
    if searchers:
        rows = Event.objects.filter(
            name="booking.created",
            user_id__in=searchers,
            occurred_at__gte=req.start_at,
            occurred_at__lt=req.end_at + CONVERSION_WINDOW,
        ).values_list("user_id", "occurred_at", "skill_ids")
        for user_id, occurred_at, skill_ids in rows:
            if _skill_match(skill_ids, req.skill):
                bookings[user_id].append(occurred_at)
    conversion: list[float | None] = []
    searcher_counts = []
    for index in range(n):
        people = first_search[index]
        converted = sum(
            1 for uid, at in people.items() if any(at <= b <= at + CONVERSION_WINDOW for b in bookings.get(uid, ()))
        )
        conversion.append(_ratio(converted, len(people)))
        searcher_counts.append(len(people))
    return searches, conversion, searcher_counts


def _signed_up_before(req: ReportRequest) -> int:
    rows = Event.objects.filter(name="user.signed_up", occurred_at__lt=req.start_at)
    rows, in_python = _with_skill(rows, req.skill)
    if not in_python:
        return rows.count()
    return sum(1 for skill_ids in rows.values_list("skill_ids", flat=True) if _skill_match(skill_ids, req.skill))


def users(buckets: _Buckets, req: ReportRequest) -> tuple[list[int], list[float | None]]:
    new = _counts("user.signed_up", buckets, req)
    before = _signed_up_before(req)
    growth: list[float | None] = []
    for count in new:
        growth.append(_ratio(count, before))
        before += count
    return new, growth


# --- cohorts -----------------------------------------------------------------------------------


def _month_start(moment: datetime) -> date:
    return date(moment.year, moment.month, 1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


@dataclass
class Cohort:
    month: date
    size: int
    retention: list[float | None]  # month 0..COHORT_MONTHS-1; None = not over yet


def retention_cohorts(req: ReportRequest, *, now: datetime | None = None, months: int = COHORT_MONTHS) -> list[Cohort]:
    """Learners by sign-up month (months that start within the range), and who booked k months later."""
    now = now or timezone.now()
    first_month = _month_start(req.start_at)
    if first_month < req.start:
        first_month = _add_months(first_month, 1)
    members: dict[date, set[int]] = defaultdict(set)
    rows = Event.objects.filter(
        name="user.signed_up",
        occurred_at__gte=datetime.combine(first_month, time.min, tzinfo=UTC),
        occurred_at__lt=req.end_at,
    ).values_list("user_id", "occurred_at", "data")
    for user_id, occurred_at, data in rows:
        if user_id is not None and "learner" in ((data or {}).get("roles") or ["learner"]):
            members[_month_start(occurred_at)].add(user_id)
    if not members:
        return []
    everyone = set().union(*members.values())
    booked_months: dict[int, set[date]] = defaultdict(set)
    for user_id, occurred_at, skill_ids in Event.objects.filter(
        name="booking.created",
        user_id__in=everyone,
        occurred_at__gte=datetime.combine(first_month, time.min, tzinfo=UTC),
    ).values_list("user_id", "occurred_at", "skill_ids"):
        if _skill_match(skill_ids, req.skill):
            booked_months[user_id].add(_month_start(occurred_at))
    cohorts = []
    for month in sorted(members):
        people = members[month]
        retention: list[float | None] = []
        for k in range(months):
            target = _add_months(month, k)
            if datetime.combine(target, time.min, tzinfo=UTC) > now:
                retention.append(None)
                continue
            retention.append(sum(1 for uid in people if target in booked_months[uid]) / len(people))
        cohorts.append(Cohort(month=month, size=len(people), retention=retention))
    return cohorts


# --- per skill -------------------------------------------------------------------------------------


def skill_table(req: ReportRequest, limit: int = 30) -> list[dict[str, Any]]:
    """For each skill with activity in the range: bookings, outcomes, rating and revenue per currency."""
    stats: dict[int, dict[str, Any]] = defaultdict(
        lambda: {
            "bookings": 0,
            "completed": 0,
            "closed": 0,
            "rating_sum": 0.0,
            "ratings": 0,
            "revenue": defaultdict(int),
        }
    )
    names = ("booking.created", *CLOSED_NAMES, "review.submitted")
    for name, skill_ids, data in Event.objects.filter(
        name__in=names, occurred_at__gte=req.start_at, occurred_at__lt=req.end_at
    ).values_list("name", "skill_ids", "data"):
        for skill_id in skill_ids or ():
            row = stats[skill_id]
            if name == "booking.created":
                row["bookings"] += 1
            elif name == "review.submitted":
                rating = (data or {}).get("rating")
                if isinstance(rating, int | float):
                    row["rating_sum"] += rating
                    row["ratings"] += 1
            elif name != "booking.cancelled" or (data or {}).get("old_status") == "confirmed":
                row["closed"] += 1
                row["completed"] += name == "booking.completed"
    for skill_id, currency, amount in LedgerEntry.objects.filter(
        kind__in=LedgerEntry.CASH_KINDS,
        created_at__gte=req.start_at,
        created_at__lt=req.end_at,
        booking__session__skills__isnull=False,
    ).values_list("booking__session__skills", "currency", "amount_minor"):
        stats[skill_id]["revenue"][currency] += amount
    skills = {s.pk: s for s in Skill.objects.filter(pk__in=list(stats))}
    rows = []
    for skill_id, row in stats.items():
        if skill_id not in skills or (req.skill is not None and skill_id != req.skill.pk):
            continue
        rows.append(
            {
                "skill": skills[skill_id],
                "bookings": row["bookings"],
                "completion_rate": _ratio(row["completed"], row["closed"]),
                "rating_average": _ratio(row["rating_sum"], row["ratings"]),
                "ratings": row["ratings"],
                "revenue": dict(sorted(row["revenue"].items())),
            }
        )
    rows.sort(key=lambda r: (-r["bookings"], r["skill"].name))
    return rows[:limit]


# --- the report -----------------------------------------------------------------------------------


@dataclass
class Report:
    request: ReportRequest
    periods: list[Period]
    series: dict[str, list[Any]] = field(default_factory=dict)
    money: dict[str, dict[str, list[int | None]]] = field(default_factory=dict)
    totals: dict[str, Any] = field(default_factory=dict)
    cohorts: list[Cohort] = field(default_factory=list)
    skills: list[dict[str, Any]] = field(default_factory=list)

    @property
    def currencies(self) -> list[str]:
        return sorted({c for metric in self.money.values() for c in metric})


def build_report(req: ReportRequest, *, now: datetime | None = None) -> Report:
    """Every metric of the dashboard for ``req``: a series per metric and the totals over the range."""
    items = periods(req.start, req.end, req.granularity)
    buckets = _Buckets(items)
    report = Report(request=req, periods=items)
    s = report.series
    s["bookings"] = _counts("booking.created", buckets, req)
    s["confirmed"] = _counts("booking.confirmed", buckets, req)
    outcomes = outcome_rates(buckets, req)
    s.update({k: outcomes[k] for k in ("completion_rate", "cancellation_rate", "no_show_rate")})
    s["rating_average"], rating_counts = ratings(buckets, req)
    s["searches"], s["search_conversion"], searchers = search_conversion(buckets, req)
    s["new_users"], s["growth_rate"] = users(buckets, req)
    booked, offered = utilisation_hours(items, req.skill)
    s["booked_hours"] = [round(h, 2) for h in booked]
    s["offered_hours"] = [round(h, 2) for h in offered]
    s["utilisation"] = [_ratio(b, o) for b, o in zip(booked, offered, strict=True)]
    report.money = money_series(buckets, req)

    closed = sum(outcomes["closed_bookings"])

    def share(name: str) -> float | None:
        values = outcomes[name]
        return _ratio(sum((v or 0) * c for v, c in zip(values, outcomes["closed_bookings"], strict=True)), closed)

    rating_total = sum((v or 0) * c for v, c in zip(s["rating_average"], rating_counts, strict=True))
    converted = sum((v or 0) * c for v, c in zip(s["search_conversion"], searchers, strict=True))
    revenue = {c: sum(v) for c, v in report.money["revenue"].items()}
    commission = {c: sum(v) for c, v in report.money["commission"].items()}
    charges = _charge_totals(req)
    report.totals = {
        "bookings": sum(s["bookings"]),
        "confirmed": sum(s["confirmed"]),
        "searches": sum(s["searches"]),
        "new_users": sum(s["new_users"]),
        "booked_hours": round(sum(booked), 2),
        "offered_hours": round(sum(offered), 2),
        "utilisation": _ratio(sum(booked), sum(offered)),
        "completion_rate": share("completion_rate"),
        "cancellation_rate": share("cancellation_rate"),
        "no_show_rate": share("no_show_rate"),
        "closed_bookings": closed,
        "rating_average": _ratio(rating_total, sum(rating_counts)),
        "ratings": sum(rating_counts),
        "search_conversion": _ratio(converted, sum(searchers)),
        "growth_rate": _growth_over_range(req, sum(s["new_users"])),
        "revenue": revenue,
        "commission": commission,
        "avg_session_value": {c: (round(t / n) if n else None) for c, (t, n) in charges.items()},
    }
    report.cohorts = retention_cohorts(req, now=now)
    report.skills = skill_table(req)
    return report


def _charge_totals(req: ReportRequest) -> dict[str, tuple[int, int]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for _, _, currency, amount in _ledger([LedgerEntry.CHARGE], req):
        totals[currency][0] += amount
        totals[currency][1] += 1
    return {c: (t, n) for c, (t, n) in sorted(totals.items())}


def _growth_over_range(req: ReportRequest, new_users: int) -> float | None:
    return _ratio(new_users, _signed_up_before(req))


REPORT_CACHE_SECONDS = 300


def cached_report(req: ReportRequest) -> Report:
    """:func:`build_report`, kept for a few minutes and recomputed as soon as a new event or ledger entry lands.

    (Availability edits log no event: a changed calendar shows in utilisation within
    ``REPORT_CACHE_SECONDS``.)
    """
    from django.core.cache import cache
    from django.db.models import Max

    last_event = Event.objects.aggregate(m=Max("id"))["m"] or 0
    last_entry = LedgerEntry.objects.aggregate(m=Max("id"))["m"] or 0
    skill = req.skill.pk if req.skill else "all"
    key = f"analytics:report:{req.start}:{req.end}:{req.granularity}:{skill}:{last_event}:{last_entry}"
    report = cache.get(key)
    if report is None:
        report = build_report(req)
        cache.set(key, report, REPORT_CACHE_SECONDS)
    return report
