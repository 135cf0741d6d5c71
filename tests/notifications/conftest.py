"""Fixtures of the notification tests: mentors, learners and sessions made by the real services."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest


@pytest.fixture(autouse=True)
def _celery_eager():
    """Run email tasks in-process even on the real stack (where a worker would)."""
    from peerlearn.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def mentor(user_factory):
    from core.scheduling.models import SchedulingProfile, WeeklyRule

    person = user_factory(is_mentor=True, time_zone="America/New_York", display_name="Maya Mentor")
    SchedulingProfile.objects.create(
        mentor=person, min_notice_minutes=0, horizon_days=366, buffer_minutes=0, slot_lengths=[60], slot_step_minutes=60
    )
    for weekday in range(7):
        WeeklyRule.objects.create(mentor=person, weekday=weekday, start_time=time(0, 0), end_time=time(0, 0))
    return person


@pytest.fixture
def learner(user_factory):
    return user_factory(time_zone="Asia/Kolkata", display_name="Lee Learner")


@pytest.fixture
def make_session():
    from core.scheduling.services.sessions import create_session

    def make(mentor, *, hours: float = 48, minutes: int = 60, capacity: int = 1, price_minor: int = 0, **kw):
        start = kw.pop("start", None) or (datetime.now(UTC) + timedelta(hours=hours)).replace(
            minute=0, second=0, microsecond=0
        )
        kw.setdefault("title", "Intro to Python")
        return create_session(
            mentor, start=start, duration_minutes=minutes, capacity=capacity, price_minor=price_minor, **kw
        )

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the after-commit work (signals, pushes) of what happens inside."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run


@pytest.fixture(autouse=True)
def _close_worker_thread_connections():
    """Close the database connection ``sync_to_async`` opened in its worker thread during a test.

    Without it PostgreSQL refuses to drop the test database at the end ("being
    accessed by other users"). The thread is asgiref's single thread-sensitive
    executor, used when no outer ``async_to_sync`` is running (pytest-asyncio).
    """
    yield
    from asgiref.sync import SyncToAsync
    from django.db import connections

    executor = getattr(SyncToAsync, "single_thread_executor", None)
    if executor is not None:
        executor.submit(connections.close_all).result(timeout=10)
