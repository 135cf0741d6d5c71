"""What a dashboard shows: a learner's seats and a mentor's schedule, with the actions each allows now.

The rules themselves (who may cancel, move or start, and when) live in
``core.scheduling``; this module only reads them so a button is shown when the
action would be accepted, and says why when it would not. The scheduling
services still decide when the button is pressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import groupby

from django.db.models import Prefetch
from django.utils import dateformat, timezone
from django.utils.translation import gettext, ngettext

from core.scheduling.models import Booking, Session
from core.scheduling.series_views import STILL_AHEAD_GRACE
from core.scheduling.services import availability
from core.scheduling.services.bookings import seats_left
from core.scheduling.services.policy import current_policy, learner_refund_percent
from core.scheduling.services.sessions import start_window

PAST_LIMIT = 20
RESCHEDULE_DAYS = 14
RESCHEDULE_SLOT_LIMIT = 120

SEAT_STATUSES = (Booking.PENDING_PAYMENT, Booking.CONFIRMED, Booking.COMPLETED, Booking.NO_SHOW)


@dataclass
class SeatRow:
    """One of a learner's bookings as the dashboard shows it."""

    booking: Booking
    session: Session
    can_join: bool = False
    room_opens: datetime | None = None
    can_cancel: bool = False
    cancel_note: str = ""
    can_reschedule: bool = False
    reschedule_note: str = ""
    can_review: bool = False


@dataclass
class SessionRow:
    """One of a mentor's sessions with its attendees."""

    session: Session
    attendees: list[Booking] = field(default_factory=list)
    taken: int = 0
    can_start: bool = False
    start_opens: datetime | None = None
    start_closes: datetime | None = None
    in_progress: bool = False
    can_cancel: bool = False


def _seat_row(booking: Booking, now: datetime, policy) -> SeatRow:
    session = booking.session
    row = SeatRow(booking=booking, session=session)
    # A completed seat not rated yet invites a review (the reverse one-to-one is selected with the row).
    row.can_review = booking.status == Booking.COMPLETED and not hasattr(booking, "review")
    active = booking.status in Booking.ACTIVE_STATUSES
    opens, closes = start_window(session, policy)
    row.room_opens = opens
    row.can_join = booking.status == Booking.CONFIRMED and (
        session.status == Session.IN_PROGRESS or (session.status == Session.SCHEDULED and opens <= now <= closes)
    )
    upcoming = active and session.status == Session.SCHEDULED and session.starts_at > now
    row.can_cancel = upcoming
    if upcoming and booking.status == Booking.CONFIRMED and booking.price_minor:
        percent = learner_refund_percent(policy, session.starts_at, now)
        if percent == 100:
            deadline = session.starts_at - timedelta(hours=policy.free_cancellation_hours)
            # Django's date format names the day and month in the reader's language ("Fri 11 Dec").
            until = dateformat.format(timezone.localtime(deadline), "D j M, H:i")
            row.cancel_note = gettext("Full refund until %(when)s.") % {"when": until}
        else:
            row.cancel_note = gettext("Cancelling now refunds %(percent)s %%.") % {"percent": percent}
    if upcoming:
        window = timedelta(hours=policy.reschedule_window_hours)
        if session.starts_at - now < window:
            row.reschedule_note = gettext("Bookings can be moved until %(hours)s h before the start.") % {
                "hours": policy.reschedule_window_hours
            }
        elif booking.reschedule_count >= policy.max_reschedules:
            row.reschedule_note = ngettext(
                "Already moved %(count)d time, the most allowed.",
                "Already moved %(count)d times, the most allowed.",
                booking.reschedule_count,
            ) % {"count": booking.reschedule_count}
        else:
            row.can_reschedule = True
    return row


def learner_overview(user, now: datetime | None = None) -> dict:
    """Upcoming seats (by start) and past ones (latest first) of ``user``."""
    now = now or timezone.now()
    policy = current_policy()
    bookings = Booking.objects.filter(learner=user).select_related("session", "session__mentor")
    upcoming_q = bookings.filter(
        status__in=Booking.ACTIVE_STATUSES, session__status__in=Session.ACTIVE_STATUSES, ends_at__gt=now
    ).order_by("starts_at", "pk")
    upcoming = [_seat_row(b, now, policy) for b in upcoming_q]
    past_q = (
        bookings.exclude(pk__in=[row.booking.pk for row in upcoming])
        .select_related("review")
        .order_by("-starts_at", "-pk")[:PAST_LIMIT]
    )
    past = [_seat_row(b, now, policy) for b in past_q]
    return {"upcoming": upcoming, "past": past, "policy": policy}


def next_change(overview: dict, now: datetime) -> datetime | None:
    """When a learner's seats, as :func:`learner_overview` made them at ``now``, would read differently
    with time alone: a room opens or closes, a full-refund or move deadline passes, a hold lapses, a
    session starts or ends (and a minute later leaves its series' count). None when nothing upcoming
    can change so (only a new event can)."""
    policy = overview["policy"]
    moments: list[datetime] = []
    for row in overview["upcoming"]:
        session, booking = row.session, row.booking
        moments += [*start_window(session, policy), session.starts_at, session.ends_at, booking.ends_at]
        moments.append(booking.ends_at + STILL_AHEAD_GRACE)
        moments.append(session.starts_at - timedelta(hours=policy.free_cancellation_hours))
        moments.append(session.starts_at - timedelta(hours=policy.reschedule_window_hours))
        if booking.hold_expires_at:
            moments.append(booking.hold_expires_at)
    return min((moment for moment in moments if moment > now), default=None)


def _session_row(session: Session, now: datetime, policy) -> SessionRow:
    attendees = list(session.dashboard_bookings)
    row = SessionRow(session=session, attendees=attendees)
    row.taken = sum(1 for b in attendees if b.status in Booking.ACTIVE_STATUSES)
    opens, closes = start_window(session, policy)
    row.start_opens, row.start_closes = opens, closes
    row.in_progress = session.status == Session.IN_PROGRESS
    row.can_start = session.status == Session.SCHEDULED and opens <= now <= closes
    row.can_cancel = session.status == Session.SCHEDULED
    return row


def mentor_overview(user, now: datetime | None = None) -> dict:
    """The mentor's schedule (scheduled and running sessions) and recent past sessions, with attendees."""
    now = now or timezone.now()
    policy = current_policy()
    seats = Prefetch(
        "bookings",
        queryset=Booking.objects.filter(status__in=SEAT_STATUSES).select_related("learner").order_by("created_at"),
        to_attr="dashboard_bookings",
    )
    sessions = Session.objects.filter(mentor=user).prefetch_related(seats)
    schedule = [
        _session_row(s, now, policy)
        for s in sessions.filter(status__in=Session.ACTIVE_STATUSES).order_by("starts_at", "pk")
    ]
    past = [
        _session_row(s, now, policy)
        for s in sessions.exclude(status__in=Session.ACTIVE_STATUSES).order_by("-starts_at", "-pk")[:PAST_LIMIT]
    ]
    upcoming_seats = sum(row.taken for row in schedule)
    return {"schedule": schedule, "past": past, "upcoming_seats": upcoming_seats, "policy": policy}


def booking_for(user, pk: int) -> Booking | None:
    """A booking the user is part of (as its learner or the session's mentor), else None."""
    booking = Booking.objects.select_related("session", "session__mentor", "learner").filter(pk=pk).first()
    if booking is None or user.pk not in (booking.learner_id, booking.session.mentor_id):
        return None
    return booking


def session_for_mentor(user, pk: int) -> Session | None:
    return Session.objects.select_related("mentor").filter(pk=pk, mentor=user).first()


@dataclass
class RescheduleOptions:
    """Where a booking can move to: free slots (1:1) or other sessions (group seats)."""

    kind: str  # "slots" or "sessions"
    days: list[tuple[object, list[availability.Slot]]] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    range_start: datetime | None = None
    range_end: datetime | None = None


def reschedule_options(booking: Booking, *, offset_days: int = 0, now: datetime | None = None) -> RescheduleOptions:
    """Free slots of the mentor of the same length (1:1) or the mentor's other sessions at the same price."""
    now = now or timezone.now()
    session = booking.session
    if session.capacity == 1:
        start = now + timedelta(days=max(0, offset_days))
        end = start + timedelta(days=RESCHEDULE_DAYS)
        slots = availability.free_slots(
            session.mentor, start, end, session.duration_minutes, now=now, exclude_session_id=session.pk
        )
        slots = [s for s in slots if s.start != session.starts_at][:RESCHEDULE_SLOT_LIMIT]
        days = [(day, list(group)) for day, group in groupby(slots, key=lambda s: timezone.localtime(s.start).date())]
        return RescheduleOptions(kind="slots", days=days, range_start=start, range_end=end)
    others = (
        Session.objects.filter(
            mentor=session.mentor,
            status=Session.SCHEDULED,
            starts_at__gt=now,
            price_minor=booking.price_minor,
            currency=booking.currency,
        )
        .exclude(pk=session.pk)
        .order_by("starts_at")[:50]
    )
    return RescheduleOptions(
        kind="sessions", sessions=[s for s in others if seats_left(s, for_learner=booking.learner, now=now) > 0]
    )
