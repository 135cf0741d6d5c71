"""Free time of mentors, computed in UTC from wall-clock rules in the mentor's zone.

A weekly rule "Monday 09:00-17:00" in Europe/London means 09:00-17:00 on the
mentor's clock on every Monday, whatever the offset that day: each local date is
expanded on its own with :mod:`zoneinfo`, so a rule keeps its wall-clock hours
on both sides of a daylight-saving change.

Local times that do not map to exactly one instant are handled deliberately:

* a **nonexistent** time (inside a spring-forward gap, e.g. 02:30 in New York on
  the second Sunday of March) moves to the instant the clocks jump, so only time
  that really exists on the mentor's clock is offered (a 02:00-02:45 range
  disappears that day, 01:00-03:00 lasts one hour);
* an **ambiguous** time (repeated at fall-back) is taken at its first occurrence
  when it starts a range and at its second when it ends one, so a range covers
  every instant whose wall-clock reading falls inside it (01:00-02:00 lasts two
  hours that night).

Slots start every ``slot_step_minutes`` from the start of each range, last one
of the mentor's offered lengths, keep ``buffer_minutes`` clear of the mentor's
active sessions (and of their own bookings as a learner), start no sooner than
the minimum notice and no later than the horizon.

Other apps add busy time through :func:`register_busy_source` (the calendars
app: events in a mentor's own calendar). A source that cannot answer for sure
says so, and :func:`availability_report` carries that as ``stale``.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from ..models import Booking, DateOverride, SchedulingProfile, Session, WeeklyRule

DAY_MINUTES = 24 * 60
Interval = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A bookable stretch of a mentor's time, in UTC."""

    start: datetime
    end: datetime

    @property
    def length_minutes(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


@dataclass(frozen=True, slots=True)
class Settings:
    """A mentor's scheduling settings, with the defaults for a mentor who saved none."""

    min_notice: timedelta
    horizon: timedelta
    buffer: timedelta
    lengths: tuple[int, ...]
    step: timedelta

    @classmethod
    def of(cls, profile: SchedulingProfile | None) -> Settings:
        profile = profile or SchedulingProfile()
        lengths = tuple(sorted({int(n) for n in (profile.slot_lengths or [60])}))
        return cls(
            min_notice=timedelta(minutes=profile.min_notice_minutes),
            horizon=timedelta(days=profile.horizon_days),
            buffer=timedelta(minutes=profile.buffer_minutes),
            lengths=lengths,
            step=timedelta(minutes=profile.slot_step_minutes),
        )


def profile_for(mentor) -> SchedulingProfile:
    """The mentor's saved profile, or an unsaved one with the defaults."""
    try:
        return mentor.scheduling
    except SchedulingProfile.DoesNotExist:
        return SchedulingProfile(mentor=mentor, slot_lengths=[60])


def zone_of(user) -> ZoneInfo:
    try:
        return ZoneInfo(user.time_zone or "UTC")
    except (ValueError, KeyError):  # a bad stored value must not take the calendar down
        return ZoneInfo("UTC")


# --- local wall-clock time -> UTC -------------------------------------------------


def _transition_between(before: datetime, after: datetime, zone: ZoneInfo) -> datetime:
    """The first instant in (before, after] whose offset is the one ``after`` has (to the second)."""
    target = after.astimezone(zone).utcoffset()
    lo, hi = before, after
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid <= lo:
            mid = lo + timedelta(seconds=1)
        if mid.astimezone(zone).utcoffset() == target:
            hi = mid
        else:
            lo = mid
    return hi


def local_to_utc(day: date, minute: int, zone: ZoneInfo, *, is_end: bool = False) -> datetime:
    """The UTC instant of ``minute`` minutes after local midnight of ``day`` (1440 = next midnight).

    See the module docstring for nonexistent and ambiguous local times.
    """
    if minute >= DAY_MINUTES:
        day = day + timedelta(days=minute // DAY_MINUTES)
        minute %= DAY_MINUTES
    naive = datetime.combine(day, time(minute // 60, minute % 60))
    first = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    if first == second:
        return first
    if first < second:  # ambiguous: the clock shows this time twice
        return second if is_end else first
    # nonexistent: zoneinfo's fold=0 reading is after the jump, fold=1's before it
    return _transition_between(second, first, zone)


def _minutes(value: time | None, *, is_end: bool) -> int:
    if value is None:
        return DAY_MINUTES if is_end else 0
    minutes = value.hour * 60 + value.minute
    if is_end and minutes == 0:
        return DAY_MINUTES
    return minutes


def _merge_minutes(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(r for r in ranges if r[1] > r[0]):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _subtract_minutes(ranges: list[tuple[int, int]], cut: tuple[int, int]) -> list[tuple[int, int]]:
    out = []
    for start, end in ranges:
        if cut[1] <= start or cut[0] >= end:
            out.append((start, end))
            continue
        if cut[0] > start:
            out.append((start, cut[0]))
        if cut[1] < end:
            out.append((cut[1], end))
    return out


def day_ranges(
    weekly: dict[int, list[tuple[int, int]]], overrides: Sequence[DateOverride], day: date
) -> list[tuple[int, int]]:
    """A local date's ranges in minutes: weekly ranges, minus time off, plus extra time."""
    ranges = _merge_minutes(weekly.get(day.weekday(), []))
    extra = []
    for override in overrides:
        if override.kind == DateOverride.UNAVAILABLE:
            if override.whole_day:
                ranges = []
            else:
                cut = (_minutes(override.start_time, is_end=False), _minutes(override.end_time, is_end=True))
                ranges = _subtract_minutes(ranges, cut)
        else:
            extra.append((_minutes(override.start_time, is_end=False), _minutes(override.end_time, is_end=True)))
    return _merge_minutes([*ranges, *extra])


def _weekly_minutes(rules: Iterable[WeeklyRule]) -> dict[int, list[tuple[int, int]]]:
    weekly: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for rule in rules:
        weekly[rule.weekday].append((_minutes(rule.start_time, is_end=False), _minutes(rule.end_time, is_end=True)))
    return weekly


def open_intervals(
    zone: ZoneInfo,
    rules: Iterable[WeeklyRule],
    overrides: Iterable[DateOverride],
    start_utc: datetime,
    end_utc: datetime,
) -> list[Interval]:
    """The mentor's hours touching [start_utc, end_utc) as merged UTC intervals (not clipped).

    Intervals are not clipped to the window so that slot starts stay anchored on
    the start of each range.
    """
    weekly = _weekly_minutes(rules)
    by_date: dict[date, list[DateOverride]] = defaultdict(list)
    for override in overrides:
        by_date[override.date].append(override)
    first_day = start_utc.astimezone(zone).date() - timedelta(days=1)
    last_day = end_utc.astimezone(zone).date() + timedelta(days=1)
    intervals: list[Interval] = []
    day = first_day
    while day <= last_day:
        for start_min, end_min in day_ranges(weekly, by_date.get(day, ()), day):
            start = local_to_utc(day, start_min, zone, is_end=False)
            end = local_to_utc(day, end_min, zone, is_end=True)
            if end > start and end > start_utc and start < end_utc:
                intervals.append((start, end))
        day += timedelta(days=1)
    intervals.sort()
    merged: list[Interval] = []
    for start, end in intervals:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class _Busy:
    """Sorted busy intervals with a fast overlap test."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        merged: list[Interval] = []
        for start, end in sorted(intervals):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        self.starts = [start for start, _ in merged]
        self.intervals = merged

    def overlaps(self, start: datetime, end: datetime) -> bool:
        index = bisect.bisect_left(self.starts, end)  # intervals starting before `end`
        return index > 0 and self.intervals[index - 1][1] > start


def compute_slots(
    *,
    zone: ZoneInfo,
    rules: Iterable[WeeklyRule],
    overrides: Iterable[DateOverride],
    settings: Settings,
    busy: Iterable[Interval],
    start_utc: datetime,
    end_utc: datetime,
    now: datetime,
    lengths: Sequence[int] | None = None,
    first_only: bool = False,
) -> list[Slot]:
    """The pure slot computation, shared by single-mentor and bulk queries."""
    earliest = max(start_utc, now + settings.min_notice)
    latest = min(end_utc, now + settings.horizon)  # a slot must start before this
    if latest <= earliest:
        return []
    lengths = sorted(settings.lengths if lengths is None else [n for n in lengths if n in settings.lengths])
    if not lengths:
        return []
    blocked = _Busy((start - settings.buffer, end + settings.buffer) for start, end in busy)
    step = settings.step
    slots: list[Slot] = []
    horizon_end = latest + timedelta(minutes=lengths[-1])
    for open_start, open_end in open_intervals(zone, rules, overrides, earliest, horizon_end):
        # first grid point at or after `earliest`
        if open_start < earliest:
            skipped = -(-(earliest - open_start) // step)  # ceiling division of timedeltas
            cursor = open_start + skipped * step
        else:
            cursor = open_start
        while cursor < latest and cursor + timedelta(minutes=lengths[0]) <= open_end:
            for length in lengths:
                end = cursor + timedelta(minutes=length)
                if end > open_end:
                    break
                if not blocked.overlaps(cursor, end):
                    slots.append(Slot(cursor, end))
                    if first_only:
                        return slots
            cursor += step
    return slots


@dataclass
class ExternalBusy:
    """What a busy source adds: intervals per mentor, and the mentors whose answer may be out of date."""

    intervals: dict[int, list[Interval]] = field(default_factory=dict)
    stale: set[int] = field(default_factory=set)
    #: when each mentor's busy time was last read successfully (for "as of ..." on pages)
    as_of: dict[int, datetime] = field(default_factory=dict)


#: ``source(mentor_ids, start, end, refresh=...) -> ExternalBusy``; ``refresh=False`` must answer from
#: what the source has (bulk searches), ``True`` may ask a remote service within a time budget.
BusySource = Callable[..., ExternalBusy]
_busy_sources: list[BusySource] = []


def register_busy_source(source: BusySource) -> None:
    """Add ``source``'s busy time to every availability computation (idempotent)."""
    if source not in _busy_sources:
        _busy_sources.append(source)


def _external_busy(mentor_ids: Sequence[int], start: datetime, end: datetime, *, refresh: bool) -> ExternalBusy:
    merged = ExternalBusy(intervals=defaultdict(list))
    for source in _busy_sources:
        found = source(mentor_ids, start, end, refresh=refresh)
        for mentor_id, intervals in found.intervals.items():
            merged.intervals[mentor_id].extend(intervals)
        merged.stale |= found.stale
        merged.as_of.update(found.as_of)
    return merged


@dataclass(frozen=True)
class AvailabilityReport:
    """Free slots, and whether a busy source could not be read for sure (the slots may be stale)."""

    slots: list[Slot]
    stale: bool = False
    busy_as_of: datetime | None = None


def _busy_for(
    mentor_ids: Sequence[int], start: datetime, end: datetime, exclude_session_id: int | None = None, *, now=None
):
    """Active sessions each mentor teaches, and active bookings they hold as a learner.

    Holds that have run out are expired first, so a lapsed hold never blocks time.
    """
    from .bookings import expire_due_holds

    expire_due_holds(now, mentors=mentor_ids, learners=mentor_ids)
    busy: dict[int, list[Interval]] = defaultdict(list)
    sessions = Session.objects.active().filter(mentor_id__in=mentor_ids).overlapping(start, end)
    if exclude_session_id is not None:
        sessions = sessions.exclude(pk=exclude_session_id)
    for mentor_id, s, e in sessions.values_list("mentor_id", "starts_at", "ends_at"):
        busy[mentor_id].append((s, e))
    bookings = Booking.objects.active().filter(learner_id__in=mentor_ids, starts_at__lt=end, ends_at__gt=start)
    if exclude_session_id is not None:
        bookings = bookings.exclude(session_id=exclude_session_id)
    for learner_id, s, e in bookings.values_list("learner_id", "starts_at", "ends_at"):
        busy[learner_id].append((s, e))
    return busy


def free_slots(
    mentor,
    start_utc: datetime,
    end_utc: datetime,
    length_minutes: int | None = None,
    *,
    now: datetime | None = None,
    exclude_session_id: int | None = None,
) -> list[Slot]:
    """Bookable slots of ``mentor`` starting in [start_utc, end_utc), sorted by start then length.

    ``length_minutes`` picks one of the mentor's offered lengths (another length
    gives no slots); ``None`` gives every offered length. ``exclude_session_id``
    ignores one session (a booking being moved does not block itself).
    """
    return availability_report(
        mentor, start_utc, end_utc, length_minutes, now=now, exclude_session_id=exclude_session_id
    ).slots


def availability_report(
    mentor,
    start_utc: datetime,
    end_utc: datetime,
    length_minutes: int | None = None,
    *,
    now: datetime | None = None,
    exclude_session_id: int | None = None,
) -> AvailabilityReport:
    """:func:`free_slots` with the busy sources' word on freshness (``stale``), for pages and the API."""
    now = now or timezone.now()
    settings = Settings.of(profile_for(mentor))
    margin = settings.buffer + timedelta(minutes=max(settings.lengths))
    busy = _busy_for([mentor.pk], start_utc - margin, end_utc + margin, exclude_session_id, now=now)[mentor.pk]
    external = _external_busy([mentor.pk], start_utc - margin, end_utc + margin, refresh=True)
    busy = [*busy, *external.intervals.get(mentor.pk, [])]
    window_start = start_utc - timedelta(days=2)
    window_end = end_utc + timedelta(days=2)
    slots = compute_slots(
        zone=zone_of(mentor),
        rules=list(WeeklyRule.objects.filter(mentor=mentor)),
        overrides=list(
            DateOverride.objects.filter(mentor=mentor, date__gte=window_start.date(), date__lte=window_end.date())
        ),
        settings=settings,
        busy=busy,
        start_utc=start_utc,
        end_utc=end_utc,
        now=now,
        lengths=None if length_minutes is None else [length_minutes],
    )
    return AvailabilityReport(slots=slots, stale=mentor.pk in external.stale, busy_as_of=external.as_of.get(mentor.pk))


def is_bookable(
    mentor,
    start: datetime,
    end: datetime,
    *,
    now: datetime | None = None,
    exclude_session_id: int | None = None,
) -> bool:
    """Whether [start, end) is exactly one of the mentor's free slots right now."""
    length = int((end - start).total_seconds() // 60)
    if timedelta(minutes=length) != end - start:
        return False
    slots = free_slots(
        mentor, start, start + timedelta(seconds=1), length, now=now, exclude_session_id=exclude_session_id
    )
    return Slot(start, end) in slots


def mentors_with_free_time(mentor_ids: Iterable[int], days: int) -> set[int]:
    """Which of ``mentor_ids`` have at least one free slot in the next ``days`` days.

    Used by catalogue search ("has free time in the next N days"): one query per
    table for all mentors, then the same computation as :func:`free_slots`,
    stopping at the first slot found.
    """
    from core.accounts.models import User

    ids = sorted({int(i) for i in mentor_ids})
    if not ids or days <= 0:
        return set()
    now = timezone.now()
    end = now + timedelta(days=days)
    rules: dict[int, list[WeeklyRule]] = defaultdict(list)
    for rule in WeeklyRule.objects.filter(mentor_id__in=ids):
        rules[rule.mentor_id].append(rule)
    overrides: dict[int, list[DateOverride]] = defaultdict(list)
    for override in DateOverride.objects.filter(
        mentor_id__in=ids, date__gte=(now - timedelta(days=2)).date(), date__lte=(end + timedelta(days=2)).date()
    ):
        overrides[override.mentor_id].append(override)
    candidates = [i for i in ids if rules.get(i) or any(o.kind == DateOverride.AVAILABLE for o in overrides.get(i, ()))]
    if not candidates:
        return set()
    mentors = {u.pk: u for u in User.objects.filter(pk__in=candidates, is_mentor=True, is_active=True)}
    profiles = {p.mentor_id: p for p in SchedulingProfile.objects.filter(mentor_id__in=mentors)}
    busy = _busy_for(list(mentors), now - timedelta(days=1), end + timedelta(days=1), now=now)
    external = _external_busy(list(mentors), now - timedelta(days=1), end + timedelta(days=1), refresh=False)
    for mentor_id, intervals in external.intervals.items():
        busy[mentor_id].extend(intervals)
    found: set[int] = set()
    for mentor_id, mentor in mentors.items():
        slots = compute_slots(
            zone=zone_of(mentor),
            rules=rules[mentor_id],
            overrides=overrides.get(mentor_id, []),
            settings=Settings.of(profiles.get(mentor_id)),
            busy=busy.get(mentor_id, []),
            start_utc=now,
            end_utc=end,
            now=now,
            first_only=True,
        )
        if slots:
            found.add(mentor_id)
    return found
