"""Editing a mentor's availability: weekly ranges, date overrides, settings.

Every change is validated here (forms and the API only parse), and the weekly
ranges are replaced as one set inside a transaction, so a half-saved week never
exists.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils.translation import gettext

from ..models import MIDNIGHT, DateOverride, SchedulingProfile, WeeklyRule
from .errors import InvalidRequest, NotAllowed

WEEKDAY_NAMES = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _minutes(value: time, *, is_end: bool) -> int:
    minutes = value.hour * 60 + value.minute
    return 24 * 60 if is_end and minutes == 0 else minutes


def _require_mentor(mentor) -> None:
    if not getattr(mentor, "is_mentor", False):
        raise NotAllowed(gettext("Only mentors have availability."), code="not_a_mentor")


def set_weekly_rules(mentor, ranges: Mapping[int, Iterable[tuple[time, time]]]) -> list[WeeklyRule]:
    """Replace the mentor's weekly hours with ``{weekday: [(start, end), ...]}`` (00:00 as an end is midnight).

    Overlapping or touching ranges of one day are refused rather than guessed at.
    """
    _require_mentor(mentor)
    cleaned: list[tuple[int, time, time]] = []
    for weekday, day_ranges in ranges.items():
        if weekday not in range(7):
            raise InvalidRequest(gettext("Unknown weekday %(weekday)s.") % {"weekday": weekday}, field="weekday")
        name = WEEKDAY_NAMES[weekday]
        spans = []
        for start, end in day_ranges:
            if start.second or end.second or start.microsecond or end.microsecond:
                raise InvalidRequest(gettext("%(name)s: use whole minutes.") % {"name": name}, field=f"day{weekday}")
            s, e = _minutes(start, is_end=False), _minutes(end, is_end=True)
            if e <= s:
                raise InvalidRequest(
                    f"{name}: {start:%H:%M}-{end:%H:%M} ends before it starts.", code="bad_range", field=f"day{weekday}"
                )
            spans.append((s, e, start, end))
        spans.sort()
        for (_, prev_end, a, b), (nxt_start, _, c, d) in zip(spans, spans[1:], strict=False):
            if nxt_start < prev_end:
                raise InvalidRequest(
                    f"{name}: {a:%H:%M}-{b:%H:%M} and {c:%H:%M}-{d:%H:%M} overlap.",
                    code="overlapping_ranges",
                    field=f"day{weekday}",
                )
        cleaned.extend((weekday, start, end) for _, _, start, end in spans)
    with transaction.atomic():
        WeeklyRule.objects.filter(mentor=mentor).delete()
        rules = WeeklyRule.objects.bulk_create(
            [WeeklyRule(mentor=mentor, weekday=w, start_time=s, end_time=e) for w, s, e in cleaned]
        )
    return rules


def add_override(
    mentor,
    *,
    day: date,
    kind: str,
    start: time | None = None,
    end: time | None = None,
    note: str = "",
    today: date | None = None,
) -> DateOverride:
    """Add extra time or time off on one local date (time off without times is a day off)."""
    _require_mentor(mentor)
    today = today or datetime.now(ZoneInfo(mentor.time_zone or "UTC")).date()
    if kind not in (DateOverride.AVAILABLE, DateOverride.UNAVAILABLE):
        raise InvalidRequest(gettext("Choose extra time or time off."), field="kind")
    if day < today:
        raise InvalidRequest(gettext("That date has passed."), code="past_date", field="date")
    if (start is None) != (end is None):
        raise InvalidRequest(gettext("Give both a start and an end, or neither for the whole day."), field="end_time")
    if start is None and kind == DateOverride.AVAILABLE:
        raise InvalidRequest(gettext("Extra time needs a start and an end."), field="start_time")
    if start is not None and not (end > start or end == MIDNIGHT):
        raise InvalidRequest(gettext("The end must be after the start."), field="end_time")
    return DateOverride.objects.create(
        mentor=mentor, date=day, kind=kind, start_time=start, end_time=end, note=(note or "")[:120]
    )


def delete_override(mentor, override_id: int) -> None:
    deleted, _ = DateOverride.objects.filter(mentor=mentor, pk=override_id).delete()
    if not deleted:
        raise InvalidRequest(gettext("No such override."), code="not_found", field="override")


def save_profile(mentor, **values) -> SchedulingProfile:
    """Save the mentor's scheduling settings (notice, horizon, buffer, lengths, step), validated by the model."""
    from django.core.exceptions import ValidationError

    _require_mentor(mentor)
    # a fresh row, not the instance cached on the user: a rolled-back change must not linger
    profile = SchedulingProfile.objects.filter(mentor=mentor).first() or SchedulingProfile(mentor=mentor)
    for name, value in values.items():
        setattr(profile, name, value)
    try:
        profile.full_clean(exclude=["mentor"])
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise InvalidRequest(messages[0], field=field) from None
    profile.slot_lengths = sorted(set(profile.slot_lengths))
    profile.save()
    return profile
