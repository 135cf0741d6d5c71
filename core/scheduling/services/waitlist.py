"""The waitlist of full sessions: first come, first offered, each offer for a limited time.

When a seat comes free, the next waiting learner is offered it until
``offer_expires_at`` (the policy's ``waitlist_offer_minutes``). While an offer is
live the seat is kept for that learner; accepting books it like any booking
(confirmed if free, held pending payment if priced). An offer that lapses moves
to the next person (Celery beat).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from ..models import Booking, Session, WaitlistEntry
from ..signals import waitlist_offered
from .bookings import book_session, lock_session, seats_left
from .errors import Conflict, NotAllowed, SchedulingError
from .policy import current_policy

logger = logging.getLogger("peerlearn.scheduling")


def join_waitlist(session: Session, learner, *, now: datetime | None = None) -> tuple[WaitlistEntry, bool]:
    """Queue ``learner`` for a full session; returns (entry, created). Joining twice returns the same entry."""
    now = now or timezone.now()
    with transaction.atomic():
        session = lock_session(session)
        if session.mentor_id == learner.pk:
            raise NotAllowed(gettext("You cannot wait for your own session."), code="own_session", field="session")
        if session.status != Session.SCHEDULED or session.starts_at <= now:
            raise Conflict(gettext("This session cannot be booked any more."), code="not_bookable")
        if Booking.objects.active().filter(session=session, learner=learner).exists():
            raise Conflict(gettext("You already have a seat in this session."), code="already_booked")
        existing = WaitlistEntry.objects.filter(
            session=session, learner=learner, status__in=WaitlistEntry.OPEN_STATUSES
        ).first()
        if existing is not None:
            return existing, False
        if seats_left(session, for_learner=learner, now=now) > 0:
            raise Conflict(gettext("Seats are still free: book one instead."), code="seats_available")
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.create(session=session, learner=learner, created_at=now)
        except IntegrityError:
            entry = WaitlistEntry.objects.get(session=session, learner=learner, status__in=WaitlistEntry.OPEN_STATUSES)
            return entry, False
    return entry, True


def leave_waitlist(entry: WaitlistEntry, by, *, now: datetime | None = None) -> WaitlistEntry:
    now = now or timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
        if by.pk != entry.learner_id and not by.is_staff:
            raise NotAllowed(gettext("This is someone else's place on the waitlist."))
        if entry.status not in WaitlistEntry.OPEN_STATUSES:
            raise Conflict(gettext("This waitlist place is already closed."), code="closed")
        was_offered = entry.status == WaitlistEntry.OFFERED
        entry.status = WaitlistEntry.LEFT
        entry.save(update_fields=["status", "updated_at"])
        if was_offered:
            offer_seats(entry.session, now=now)
    return entry


def offer_seats(session: Session, *, now: datetime | None = None) -> list[WaitlistEntry]:
    """Offer every free seat of ``session`` to the next waiting learners, in the order they joined."""
    with transaction.atomic():
        return offer_seats_locked(lock_session(session), now=now or timezone.now())


def offer_seats_locked(session: Session, *, now: datetime) -> list[WaitlistEntry]:
    """:func:`offer_seats` inside the caller's transaction, for a ``session`` it has locked
    (:func:`~.bookings.lock_session`): a cancellation freeing a seat does not lock it twice."""
    offered: list[WaitlistEntry] = []
    if session.status != Session.SCHEDULED or session.starts_at <= now:
        return offered
    if not WaitlistEntry.objects.filter(session=session, status=WaitlistEntry.WAITING).exists():
        return offered  # nobody to offer a seat to: no need to count them
    free = seats_left(session, now=now)
    if free <= 0:
        return offered
    minutes = current_policy().waitlist_offer_minutes
    expires = min(now + timedelta(minutes=minutes), session.starts_at)
    waiting = (
        WaitlistEntry.objects.select_for_update()
        .filter(session=session, status=WaitlistEntry.WAITING)
        .order_by("created_at", "pk")[:free]
    )
    for entry in waiting:
        entry.status = WaitlistEntry.OFFERED
        entry.offered_at = now
        entry.offer_expires_at = expires
        entry.save(update_fields=["status", "offered_at", "offer_expires_at", "updated_at"])
        offered.append(entry)
        transaction.on_commit(lambda e=entry: waitlist_offered.send(sender=WaitlistEntry, entry=e), robust=True)
    return offered


def accept_offer(entry: WaitlistEntry, learner, *, now: datetime | None = None) -> Booking:
    """Take the offered seat: a booking, exactly as if the seat had been free."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().select_related("session").get(pk=entry.pk)
        if entry.learner_id != learner.pk:
            raise NotAllowed(gettext("This offer was made to someone else."))
        if entry.status != WaitlistEntry.OFFERED:
            raise Conflict(gettext("There is no open offer on this waitlist place."), code="no_offer")
        if entry.offer_expires_at is None or entry.offer_expires_at <= now:
            raise Conflict(gettext("The offer has expired."), code="offer_expired")
        booking = book_session(entry.session, learner, now=now)
        entry.refresh_from_db()
    return booking


def expire_offers(now: datetime | None = None) -> int:
    """Lapse offers nobody took in time and offer those seats on (Celery beat)."""
    now = now or timezone.now()
    lapsed = 0
    ids = list(
        WaitlistEntry.objects.filter(status=WaitlistEntry.OFFERED, offer_expires_at__lte=now).values_list(
            "pk", flat=True
        )
    )
    for pk in ids:
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.select_for_update().get(pk=pk)
                if entry.status != WaitlistEntry.OFFERED or entry.offer_expires_at > now:
                    continue
                entry.status = WaitlistEntry.LAPSED
                entry.save(update_fields=["status", "updated_at"])
                lapsed += 1
                offer_seats(entry.session, now=now)
        except SchedulingError:
            logger.exception("could not lapse waitlist offer %s", pk)
    return lapsed


def position(entry: WaitlistEntry) -> int:
    """1-based place in the queue among those still waiting (0 once offered or closed)."""
    if entry.status != WaitlistEntry.WAITING:
        return 0
    ahead = WaitlistEntry.objects.filter(
        session_id=entry.session_id, status=WaitlistEntry.WAITING, created_at__lt=entry.created_at
    ).count()
    return ahead + 1


__all__ = ["accept_offer", "expire_offers", "join_waitlist", "leave_waitlist", "offer_seats"]
