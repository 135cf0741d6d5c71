"""Demo data for rooms: a booked session whose room is open now, so two browsers can try it.

``seed(context)`` follows the convention of ``core/demo/seed.py`` (the first
demo mentor and learner); ``manage.py room_demo`` does the same on its own,
for any two accounts, and prints where to go.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from core.scheduling.models import Booking, Session
from core.scheduling.services.bookings import book_session
from core.scheduling.services.sessions import create_session

TITLE = "Try the video room"


def open_room_session(mentor, learner, *, starts_in_minutes: int = 3, minutes: int = 60) -> Session:
    """A free 1:1 session of ``mentor`` starting soon, with ``learner`` confirmed (reused while still open)."""
    now = timezone.now()
    existing = (
        Session.objects.filter(mentor=mentor, title=TITLE, status__in=Session.ACTIVE_STATUSES, ends_at__gt=now)
        .order_by("-starts_at")
        .first()
    )
    if existing and Booking.objects.filter(session=existing, learner=learner, status=Booking.CONFIRMED).exists():
        return existing
    start = (now + timedelta(minutes=starts_in_minutes)).replace(second=0, microsecond=0)
    session = create_session(
        mentor,
        title=TITLE,
        start=start,
        duration_minutes=minutes,
        capacity=1,
        price_minor=0,
        description="A session made by the demo so that the room can be tried at once: camera, chat, screen sharing.",
    )
    book_session(session, learner)  # free: confirmed at once
    return session


def seed(context) -> None:
    if not context.mentors or not context.learners:
        return
    try:
        open_room_session(context.mentors[0], context.learners[0])
    except Exception as exc:  # a clash with the mentor's other demo sessions: the demo goes on
        context.report.counts["rooms_demo_skipped"] = 1
        print(f"rooms demo: no session made ({exc})")
        return
    context.report.counts["room_sessions"] = context.report.counts.get("room_sessions", 0) + 1
