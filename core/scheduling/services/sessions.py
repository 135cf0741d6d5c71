"""Sessions: publishing, starting, ending and cancelling, plus the time-driven sweep.

A session moves scheduled -> in_progress -> completed, or scheduled -> cancelled
(and an in-progress one may be cancelled by staff). Its bookings follow: a
cancelled session cancels every active booking with a full refund, an ended one
completes the confirmed bookings and expires unpaid holds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from ..models import Booking, Session, WaitlistEntry
from .bookings import (
    CancellationResult,
    _check_learner_free,
    announce_session,
    lock_booking,
    lock_session,
    lock_users,
    transition,
)
from .errors import Conflict, IllegalTransition, InvalidRequest, NotAllowed, SchedulingError
from .policy import current_policy

logger = logging.getLogger("peerlearn.scheduling")

SESSION_TRANSITIONS: dict[str, frozenset[str]] = {
    Session.SCHEDULED: frozenset({Session.IN_PROGRESS, Session.CANCELLED}),
    Session.IN_PROGRESS: frozenset({Session.COMPLETED, Session.CANCELLED}),
    Session.COMPLETED: frozenset(),
    Session.CANCELLED: frozenset(),
}

MIN_DURATION = 15
MAX_DURATION = 8 * 60
MAX_CAPACITY = 500
MAX_DAYS_AHEAD = 2 * 366


def _session_transition(session: Session, new_status: str) -> None:
    if new_status not in SESSION_TRANSITIONS[session.status]:
        raise IllegalTransition("session", session.pk, session.status, new_status)
    session.status = new_status


def create_session(
    mentor,
    *,
    title: str,
    start: datetime,
    duration_minutes: int,
    capacity: int = 1,
    price_minor: int = 0,
    currency: str = "EUR",
    description: str = "",
    skills: Iterable = (),
    now: datetime | None = None,
) -> Session:
    """Publish a session (1:1 when ``capacity`` is 1, else a group) at a time the mentor is free."""
    from .. import currency as money

    now = now or timezone.now()
    if not getattr(mentor, "is_mentor", False):
        raise NotAllowed(gettext("Only mentors can publish sessions."), code="not_a_mentor")
    title = (title or "").strip()
    if not title:
        raise InvalidRequest(gettext("Give the session a title."), code="required", field="title")
    if start.tzinfo is None:
        raise InvalidRequest(gettext("Give the start with its UTC offset."), code="naive_datetime", field="start")
    if start <= now:
        raise InvalidRequest(gettext("The start is in the past."), code="past_start", field="start")
    if start > now + timedelta(days=MAX_DAYS_AHEAD):
        raise InvalidRequest(
            gettext("Sessions can be published up to %(MAX_DAYS_AHEAD)s days ahead.")
            % {"MAX_DAYS_AHEAD": MAX_DAYS_AHEAD},
            code="too_far_ahead",
            field="start",
        )
    if not MIN_DURATION <= duration_minutes <= MAX_DURATION:
        raise InvalidRequest(
            gettext("A session lasts %(MIN_DURATION)s to %(MAX_DURATION)s minutes.")
            % {"MIN_DURATION": MIN_DURATION, "MAX_DURATION": MAX_DURATION},
            code="bad_duration",
            field="duration_minutes",
        )
    if not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidRequest(
            gettext("Capacity must be 1 to %(MAX_CAPACITY)s.") % {"MAX_CAPACITY": MAX_CAPACITY},
            code="bad_capacity",
            field="capacity",
        )
    from core.rooms.capacity import video_backend_capacity_error

    too_big = video_backend_capacity_error(capacity)
    if too_big:
        raise InvalidRequest(too_big, code="video_capacity", field="capacity")
    if capacity > 1:
        from core.subscriptions.benefits import group_capacity_limit

        limit = group_capacity_limit(mentor)
        if capacity > limit:
            raise InvalidRequest(
                gettext("Group sessions on your plan take up to %(limit)s learners; a premium plan may allow more.")
                % {"limit": limit},
                code="capacity_over_plan",
                field="capacity",
            )
    try:
        currency = money.normalise_currency(currency)
    except money.MoneyError as exc:
        raise InvalidRequest(exc.message, code="bad_currency", field="currency") from None
    if price_minor < 0:
        raise InvalidRequest(gettext("The price cannot be negative."), code="bad_price", field="price")
    end = start + timedelta(minutes=duration_minutes)
    skills = list(skills)
    with transaction.atomic():
        lock_users(mentor)
        if Session.objects.active().filter(mentor=mentor).overlapping(start, end).exists():
            raise Conflict(gettext("You already have a session at that time."), code="mentor_clash", field="start")
        _check_learner_free(mentor, start, end)
        try:
            with transaction.atomic():
                session = Session.objects.create(
                    mentor=mentor,
                    title=title[:140],
                    description=description or "",
                    starts_at=start,
                    ends_at=end,
                    capacity=capacity,
                    price_minor=price_minor,
                    currency=currency,
                    origin=Session.PUBLISHED,
                    created_at=now,
                )
        except IntegrityError:
            raise Conflict(
                gettext("You already have a session at that time."), code="mentor_clash", field="start"
            ) from None
        if skills:
            session.skills.set(skills)
        announce_session(session, "created")
    return session


def start_window(session: Session, policy=None) -> tuple[datetime, datetime]:
    policy = policy or current_policy()
    return (
        session.starts_at - timedelta(minutes=policy.room_opens_minutes_before),
        session.starts_at + timedelta(minutes=policy.room_closes_minutes_after),
    )


def start_session(session: Session, by, *, now: datetime | None = None) -> Session:
    """The mentor opens the room, inside the start window around the start."""
    now = now or timezone.now()
    with transaction.atomic():
        session = lock_session(session)
        if by.pk != session.mentor_id:
            raise NotAllowed(gettext("Only the session's mentor can start it."))
        if session.status == Session.IN_PROGRESS:
            return session  # starting twice (two tabs) is harmless
        opens, closes = start_window(session)
        if session.status == Session.SCHEDULED and not opens <= now <= closes:
            window = {"opens": f"{opens:%H:%M}", "closes": f"{closes:%H:%M}"}
            if now < opens:
                message = gettext("The session can be started from %(opens)s to %(closes)s UTC; the window opens.")
            else:
                message = gettext("The session can be started from %(opens)s to %(closes)s UTC; the window closed.")
            raise Conflict(message % window, code="outside_start_window")
        _session_transition(session, Session.IN_PROGRESS)
        session.started_at = now
        session.save(update_fields=["status", "started_at", "updated_at"])
        announce_session(session, "started")
    return session


def end_session(session: Session, by=None, *, now: datetime | None = None) -> Session:
    """The session is over: confirmed bookings complete, unpaid holds expire."""
    now = now or timezone.now()
    with transaction.atomic():
        session = lock_session(session)
        if by is not None and not (by.pk == session.mentor_id or by.is_staff):
            raise NotAllowed(gettext("Only the session's mentor can end it."))
        _session_transition(session, Session.COMPLETED)
        session.ended_at = now
        session.save(update_fields=["status", "ended_at", "updated_at"])
        for booking in Booking.objects.active().filter(session=session).order_by("pk"):
            locked = lock_booking(booking)
            new = Booking.COMPLETED if locked.status == Booking.CONFIRMED else Booking.EXPIRED
            transition(locked, new, actor=by, now=now)
        _close_waitlist(session, now)
        announce_session(session, "ended")
    return session


def cancel_session(session: Session, by, reason: str = "", *, now: datetime | None = None) -> CancellationResult:
    """The mentor (or staff) calls the session off: every learner is cancelled with a full refund."""
    now = now or timezone.now()
    with transaction.atomic():
        session = lock_session(session)
        if by is not None and not (by.pk == session.mentor_id or by.is_staff):
            raise NotAllowed(gettext("Only the session's mentor or staff can cancel the session."))
        if session.status == Session.IN_PROGRESS and (by is None or not by.is_staff):
            raise Conflict(gettext("A session in progress can only be ended, not cancelled."), code="already_started")
        _session_transition(session, Session.CANCELLED)
        result = _cancel_bookings(session, by, reason or "session cancelled", now)
        session.cancelled_at = now
        session.cancel_reason = (reason or "")[:255]
        session.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        _close_waitlist(session, now)
        announce_session(session, "cancelled")
    result.session_cancelled = True
    return result


def _cancel_bookings(session: Session, by, reason: str, now: datetime) -> CancellationResult:
    result = CancellationResult(refund_percent=100, currency=session.currency)
    for booking in Booking.objects.active().filter(session=session).order_by("pk"):
        locked = lock_booking(booking)
        refund = locked.price_minor if locked.status == Booking.CONFIRMED else 0
        transition(
            locked,
            Booking.CANCELLED,
            actor=by,
            now=now,
            refund_percent=100 if locked.status == Booking.CONFIRMED else 0,
            refund_minor=refund,
            cancelled_by=by,
            cancel_reason=reason[:255],
        )
        result.bookings.append(locked)
        result.refund_minor += refund
    return result


def _close_waitlist(session: Session, now: datetime) -> None:
    WaitlistEntry.objects.filter(session=session, status__in=WaitlistEntry.OPEN_STATUSES).update(
        status=WaitlistEntry.CLOSED, updated_at=now
    )


def _report_absent_learners(session_id: int, now: datetime) -> None:
    """Ask attendance (``session_ending`` receivers) who never came; they become no-shows."""
    from ..signals import session_ending
    from .bookings import mark_no_show

    session = Session.objects.get(pk=session_id)
    for _receiver, absent in session_ending.send(sender=Session, session=session):
        for booking in absent or ():
            try:
                mark_no_show(booking, None, now=now)
            except SchedulingError:
                logger.exception("could not mark booking %s absent", booking.pk)


def sweep_sessions(now: datetime | None = None) -> dict[str, int]:
    """Time-driven session changes (Celery beat).

    * a scheduled session its mentor has not started ``mentor_no_show_grace_minutes``
      after its start is cancelled: learners with a seat get a full refund
      (``cancel_reason`` "mentor_no_show"), a session nobody booked lapses;
    * a session still in progress ``room_closes_minutes_after`` past its end is ended.
    """
    now = now or timezone.now()
    policy = current_policy()
    counts = {"mentor_no_show": 0, "lapsed": 0, "ended": 0}
    grace = timedelta(minutes=policy.mentor_no_show_grace_minutes)
    for pk in Session.objects.filter(status=Session.SCHEDULED, starts_at__lte=now - grace).values_list("pk", flat=True):
        try:
            with transaction.atomic():
                session = lock_session(pk)
                if session.status != Session.SCHEDULED:
                    continue
                booked = Booking.objects.active().filter(session=session).exists()
                cancel_session(session, None, "mentor_no_show" if booked else "not started", now=now)
                counts["mentor_no_show" if booked else "lapsed"] += 1
        except SchedulingError:
            logger.exception("could not sweep session %s", pk)
    overrun = timedelta(minutes=policy.room_closes_minutes_after)
    for pk in Session.objects.filter(status=Session.IN_PROGRESS, ends_at__lte=now - overrun).values_list(
        "pk", flat=True
    ):
        try:
            _report_absent_learners(pk, now)
            end_session(Session(pk=pk), None, now=now)
            counts["ended"] += 1
        except SchedulingError:
            logger.exception("could not end session %s", pk)
    return counts
