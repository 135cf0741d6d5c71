"""Fixtures of the scheduling tests: mentors with weekly hours, learners, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest


def hm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


@pytest.fixture
def mentor_factory(user_factory):
    """A mentor in ``time_zone`` with weekly ranges [(weekday, "09:00", "17:00"), ...] (default: every day)."""
    from core.scheduling.models import SchedulingProfile, WeeklyRule

    def make(
        time_zone: str = "UTC",
        ranges=None,
        *,
        notice: int = 0,
        horizon: int = 366,
        buffer: int = 0,
        lengths=(60,),
        step: int = 60,
        **extra,
    ):
        mentor = user_factory(is_mentor=True, time_zone=time_zone, **extra)
        SchedulingProfile.objects.create(
            mentor=mentor,
            min_notice_minutes=notice,
            horizon_days=horizon,
            buffer_minutes=buffer,
            slot_lengths=list(lengths),
            slot_step_minutes=step,
        )
        if ranges is None:
            ranges = [(day, "09:00", "17:00") for day in range(7)]
        for weekday, start, end in ranges:
            WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time=hm(start), end_time=hm(end))
        return mentor

    return make


@pytest.fixture
def learner(user_factory):
    return user_factory(time_zone="Europe/Berlin")


@pytest.fixture
def session_factory():
    """A published session of ``mentor`` starting ``hours`` from now (or at ``start``)."""
    from core.scheduling.services.sessions import create_session

    def make(
        mentor, *, hours: float = 48, start=None, minutes: int = 60, capacity: int = 1, price_minor: int = 0, **kw
    ):
        start = start or (datetime.now(UTC) + timedelta(hours=hours)).replace(second=0, microsecond=0)
        kw.setdefault("title", "Group session" if capacity > 1 else "One to one")
        kw.setdefault("currency", "EUR")
        return create_session(
            mentor, start=start, duration_minutes=minutes, capacity=capacity, price_minor=price_minor, **kw
        )

    return make
