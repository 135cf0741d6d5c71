"""Fixtures of the room tests: a session with its mentor, learners, a stranger, and their logins."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.test import Client

from tests.plugins.video.conftest import configure_plugin, video_plugins  # noqa: F401  (shared fixtures)


def session_cookie(user) -> str:
    """``sessionid=...`` for ``user``: how a browser that logged in authenticates its WebSocket."""
    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@dataclass
class RoomWorld:
    session: object
    mentor: object
    learner: object
    learner2: object
    stranger: object
    cancelled: object
    cookies: dict = field(default_factory=dict)

    def cookie(self, user) -> bytes:
        return self.cookies[user.pk].encode()


def make_world(user_factory, *, start: datetime | None = None, capacity: int = 3, now: datetime | None = None):
    from core.scheduling.services.bookings import book_session, cancel_booking
    from core.scheduling.services.sessions import create_session

    now = now or datetime.now(UTC)
    start = start or (now + timedelta(minutes=5))
    mentor = user_factory(is_mentor=True, display_name="Maya Mentor")
    learner = user_factory(display_name="Leo Learner")
    learner2 = user_factory(display_name="Lina Learner")
    stranger = user_factory(display_name="Sam Stranger")
    cancelled = user_factory(display_name="Cora Cancelled")
    made_at = min(now, start - timedelta(hours=1))
    session = create_session(
        mentor, title="Intro to WebRTC", start=start, duration_minutes=60, capacity=capacity, now=made_at
    )
    book_session(session, learner, now=made_at)
    if capacity > 1:
        book_session(session, learner2, now=made_at)
    if capacity > 2:
        booking = book_session(session, cancelled, now=made_at)
        cancel_booking(booking, cancelled, "changed my mind", now=made_at)
    world = RoomWorld(session, mentor, learner, learner2, stranger, cancelled)
    world.cookies = {u.pk: session_cookie(u) for u in (mentor, learner, learner2, stranger, cancelled)}
    return world


@pytest.fixture
def world(user_factory):
    """A group session (3 seats) starting in 5 minutes: its room is open."""
    return make_world(user_factory)


@pytest.fixture
def world_factory(user_factory):
    def make(**kwargs):
        return make_world(user_factory, **kwargs)

    return make


@pytest.fixture(autouse=True)
def _fresh_backend_decisions():
    """Handshakes cache the backend decision per process; a test's plugin settings must not leak into the next."""
    from core.rooms import services

    services.forget_backend_decisions()
    yield
    services.forget_backend_decisions()
