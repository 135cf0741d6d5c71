"""Bookings: one state machine, and the services that drive it.

::

    pending_approval --> confirmed | pending_payment   (the mentor approves, core.intake)
          |
          +--> declined | expired | cancelled         (declined, no decision in time, withdrawn)

    pending_payment --> confirmed --> completed
          |    \\            |  \\
          |     expired      |   no_show --> refunded
          v                  v
       cancelled <-----------+
          |
          v
       refunded

Only :func:`transition` changes a booking's status, and only inside
``transaction.atomic`` with the booking row locked. A move the machine does not
allow raises :class:`IllegalTransition`. Payments drive it with
:func:`confirm_booking`, :func:`expire_booking`, :func:`cancel_booking` and
:func:`mark_refunded`; the room with :func:`mark_no_show`; session ends with
:func:`complete_booking`.

Seats are never double-sold: booking a session locks the session row, booking a
slot locks the mentor, and the learner is locked too, all inside one transaction
(``select_for_update`` on PostgreSQL, where exclusion constraints back it up;
SQLite's ``BEGIN IMMEDIATE`` serialises writers).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from core.plugins import DomainEvent

from ..models import Booking, Session, WaitlistEntry
from ..signals import booking_transitioned, hold_extended, session_changed
from . import availability
from .errors import Conflict, IllegalTransition, InvalidRequest, NotAllowed, SchedulingError
from .policy import current_policy, learner_refund_percent, refund_amount

logger = logging.getLogger("peerlearn.scheduling")

TRANSITIONS: dict[str, frozenset[str]] = {
    Booking.PENDING_APPROVAL: frozenset(
        {Booking.CONFIRMED, Booking.PENDING_PAYMENT, Booking.DECLINED, Booking.EXPIRED, Booking.CANCELLED}
    ),
    Booking.PENDING_PAYMENT: frozenset({Booking.CONFIRMED, Booking.CANCELLED, Booking.EXPIRED}),
    Booking.CONFIRMED: frozenset({Booking.COMPLETED, Booking.CANCELLED, Booking.NO_SHOW}),
    Booking.CANCELLED: frozenset({Booking.REFUNDED}),
    Booking.NO_SHOW: frozenset({Booking.REFUNDED}),
    Booking.EXPIRED: frozenset(),
    Booking.COMPLETED: frozenset(),
    Booking.REFUNDED: frozenset(),
    Booking.DECLINED: frozenset(),
}

EVENT_FOR_STATUS = {
    Booking.CONFIRMED: "booking.confirmed",
    Booking.CANCELLED: "booking.cancelled",
    Booking.EXPIRED: "booking.expired",
    Booking.COMPLETED: "booking.completed",
    Booking.NO_SHOW: "booking.no_show",
    # to plugins a declined request is a cancelled booking (payload "status": "declined")
    Booking.DECLINED: "booking.cancelled",
}


@dataclass
class CancellationResult:
    """What a cancellation did; payments refund ``refund_minor`` of each booking."""

    bookings: list[Booking] = field(default_factory=list)
    refund_percent: int = 0
    refund_minor: int = 0
    currency: str = ""
    session_cancelled: bool = False


# --- helpers -------------------------------------------------------------------


def _require_atomic() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("booking transitions must run inside transaction.atomic()")


def _copy_into(target: Booking, source: Booking) -> None:
    """Let the caller's instance see what the service saved."""
    if target is source:
        return
    for model_field in Booking._meta.concrete_fields:
        setattr(target, model_field.attname, getattr(source, model_field.attname))


def lock_booking(booking: Booking | int) -> Booking:
    pk = booking if isinstance(booking, int) else booking.pk
    return Booking.objects.select_for_update().select_related("session", "learner").get(pk=pk)


def extend_hold(booking: Booking | int, until) -> Booking:
    """Keep a pending seat longer for a slower way of paying (a bank transfer).

    Only ever lengthens a hold, never past the session's start, and only while
    the booking still waits for payment; anything else is left as it is.
    """
    with transaction.atomic():
        locked = lock_booking(booking)
        if locked.status != Booking.PENDING_PAYMENT:
            return locked
        limit = min(until, locked.session.starts_at)
        if locked.hold_expires_at is None or limit > locked.hold_expires_at:
            locked.hold_expires_at = limit
            locked.save(update_fields=["hold_expires_at"])
            transaction.on_commit(lambda: hold_extended.send(sender=Booking, booking=locked), robust=True)
        return locked


def lock_session(session: Session | int) -> Session:
    pk = session if isinstance(session, int) else session.pk
    return Session.objects.select_for_update().select_related("mentor").get(pk=pk)


def lock_users(*users) -> None:
    """Lock people's rows in id order (no deadlocks): their calendars change one writer at a time."""
    from core.accounts.models import User

    ids = sorted({getattr(u, "pk", u) for u in users if u is not None})
    list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk", flat=True))


def event_payload(booking: Booking, **extra) -> dict:
    session = booking.session
    return {
        "booking_id": booking.pk,
        "session_id": booking.session_id,
        "learner_id": booking.learner_id,
        "mentor_id": session.mentor_id,
        "status": booking.status,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "price_minor": booking.price_minor,
        "currency": booking.currency,
        "refund_minor": booking.refund_minor,
        **extra,
    }


def emit(name: str, payload: dict) -> None:
    """A plugin domain event, delivered by the plugin manager after commit."""
    from core.plugins.manager import get_manager

    get_manager().emit(DomainEvent(name=name, occurred_at=timezone.now(), payload=payload))


def announce_session(session: Session, change: str) -> None:
    """``session_changed`` after commit, plus the plugin event for starts and ends."""
    transaction.on_commit(lambda: session_changed.send(sender=Session, session=session, change=change), robust=True)
    if change in ("started", "ended"):
        emit(
            f"session.{change}",
            {"session_id": session.pk, "mentor_id": session.mentor_id, "starts_at": session.starts_at.isoformat()},
        )


def _announce_booking(booking: Booking, old: str | None, new: str, actor) -> None:
    snapshot = Booking.objects.select_related("session__mentor", "learner").get(pk=booking.pk)

    # robust: a receiver failing after the commit is logged; the committed booking stands and its answer is sent
    def announce() -> None:
        booking_transitioned.send(sender=Booking, booking=snapshot, old_status=old, new_status=new, actor=actor)

    transaction.on_commit(announce, robust=True)
    actor_id = getattr(actor, "pk", None)
    if old is None:
        emit("booking.created", event_payload(snapshot, actor_id=actor_id))
    if new in EVENT_FOR_STATUS and (old is not None or new == Booking.CONFIRMED):
        emit(EVENT_FOR_STATUS[new], event_payload(snapshot, old_status=old, actor_id=actor_id))


def transition(booking: Booking, new_status: str, *, actor=None, now: datetime | None = None, **changes) -> Booking:
    """Move a locked booking to ``new_status`` (raises :class:`IllegalTransition`).

    Call inside ``transaction.atomic()`` with ``booking`` fetched by
    :func:`lock_booking`. ``changes`` are other fields saved with it.
    """
    _require_atomic()
    old = booking.status
    if new_status not in TRANSITIONS[old]:
        raise IllegalTransition("booking", booking.pk, old, new_status)
    now = now or timezone.now()
    booking.status = new_status
    if new_status == Booking.CONFIRMED:
        booking.confirmed_at = now
        booking.hold_expires_at = None
    if old in Booking.ACTIVE_STATUSES and new_status not in Booking.ACTIVE_STATUSES:
        booking.closed_at = now
    for name, value in changes.items():
        setattr(booking, name, value)
    booking.save()
    _announce_booking(booking, old, new_status, actor)
    return booking


# --- seats and clashes ------------------------------------------------------------


def live_offers(session: Session, now: datetime) -> Q:
    return Q(session=session, status=WaitlistEntry.OFFERED, offer_expires_at__gt=now)


def seats_left(session: Session, *, for_learner=None, now: datetime | None = None) -> int:
    """Free seats for ``for_learner``: capacity minus active bookings and seats offered to others."""
    rows = _seat_rows([session.pk], now or timezone.now(), for_learner=for_learner)
    if not rows:
        raise Session.DoesNotExist(f"session {session.pk} is gone")
    _, _, taken, offered = rows[0]
    return max(0, session.capacity - taken - offered)


def seat_counts(session_ids, *, now: datetime | None = None) -> dict[int, tuple[int, int]]:
    """Each session's (seats taken, seats left for a visitor) as :func:`seats_left` counts them, in one query."""
    rows = _seat_rows(list(session_ids), now or timezone.now())
    return {pk: (taken, max(0, capacity - taken - offered)) for pk, capacity, taken, offered in rows}


def _seat_rows(session_ids: list[int], now: datetime, *, for_learner=None) -> list[tuple[int, int, int, int]]:
    """(session, capacity, active bookings, live offers to others) per session, in one statement.

    Written as SQL: a booking asks three times (twice for seats left, once to refresh the visitors'
    counts after the commit) and the ORM spent longer compiling the two counting subqueries than
    the database spent running them.
    """
    if not session_ids:
        return []
    quote, adapt = connection.ops.quote_name, connection.ops.adapt_datetimefield_value
    booking, offer, session = (quote(model._meta.db_table) for model in (Booking, WaitlistEntry, Session))
    statuses = ", ".join(["%s"] * len(Booking.ACTIVE_STATUSES))
    others = " AND w.learner_id <> %s" if for_learner is not None else ""
    sql = (
        f"SELECT s.id, s.capacity,"
        f" (SELECT COUNT(*) FROM {booking} b WHERE b.session_id = s.id AND b.status IN ({statuses})),"
        f" (SELECT COUNT(*) FROM {offer} w WHERE w.session_id = s.id AND w.status = %s AND w.offer_expires_at > %s"
        f"{others})"
        f" FROM {session} s WHERE s.id IN ({', '.join(['%s'] * len(session_ids))})"
    )
    params = [*Booking.ACTIVE_STATUSES, WaitlistEntry.OFFERED, adapt(now)]
    params += [for_learner.pk] if for_learner is not None else []
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *session_ids])
        return [tuple(row) for row in cursor.fetchall()]


def _check_learner_free(learner, start: datetime, end: datetime, *, exclude_booking_id: int | None = None) -> None:
    clash = Booking.objects.active().filter(learner=learner, starts_at__lt=end, ends_at__gt=start)
    if exclude_booking_id is not None:
        clash = clash.exclude(pk=exclude_booking_id)
    if clash.exists():
        raise Conflict(gettext("You already have a booking at that time."), code="learner_clash")
    if Session.objects.active().filter(mentor=learner).overlapping(start, end).exists():
        raise Conflict(gettext("You are teaching a session at that time."), code="learner_clash")


def _create_booking(session: Session, learner, *, now: datetime, actor, intake=None) -> Booking:
    policy = current_policy()
    free = session.price_minor == 0
    if intake is not None and intake.decide_by is not None:
        # the mentor approves first: the seat is held until their deadline
        status, hold, confirmed_at = Booking.PENDING_APPROVAL, intake.decide_by, None
    elif free:
        status, hold, confirmed_at = Booking.CONFIRMED, None, now
    else:
        status, hold, confirmed_at = Booking.PENDING_PAYMENT, now + timedelta(minutes=policy.hold_minutes), None
    try:
        with transaction.atomic():
            booking = Booking.objects.create(
                session=session,
                learner=learner,
                status=status,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                price_minor=session.price_minor,
                currency=session.currency,
                hold_expires_at=hold,
                confirmed_at=confirmed_at,
                created_at=now,
            )
            if intake is not None:
                intake.record(booking)
    except IntegrityError as exc:
        # The database refused it (exclusion or unique constraint): someone was faster.
        logger.info("booking refused by a constraint: %s", exc)
        raise Conflict(gettext("That time was just taken; pick another."), code="conflict") from None
    _announce_booking(booking, None, booking.status, actor)
    return booking


# --- booking ---------------------------------------------------------------------


def _intake(mentor, answers, start: datetime, now: datetime):
    """Check the learner's answers to the mentor's questions and whether the mentor approves first.

    Raises :class:`InvalidRequest` (naming the question) before anything is written.
    ``answers=None`` is a caller that collects none (the waitlist, demo data): questions are skipped.
    """
    from core.intake.services.booking import prepare

    return prepare(mentor, answers, start=start, now=now)


def book_session(session: Session, learner, *, now: datetime | None = None, answers=None) -> Booking:
    """Give ``learner`` a seat in ``session``: confirmed if free, else held pending payment
    (or held awaiting the mentor's approval, when the mentor asks for it)."""
    now = now or timezone.now()
    expire_due_holds(now, sessions=[session.pk], learners=[learner.pk])
    if session.mentor_id != learner.pk and seats_left(session, for_learner=learner, now=now) <= 0:
        # full already: answer without queueing for the session's lock (re-checked under it otherwise)
        if not Booking.objects.active().filter(session=session, learner=learner).exists():
            raise Conflict(gettext("No seat is left in this session; join the waitlist."), code="no_seat")
    intake = _intake(session.mentor, answers, session.starts_at, now)
    with transaction.atomic():
        session = lock_session(session)
        if session.mentor_id == learner.pk:
            raise NotAllowed(gettext("You cannot book your own session."), code="own_session", field="session")
        if not learner.is_active:
            raise NotAllowed(gettext("This account is inactive."), code="inactive")
        if session.status != Session.SCHEDULED:
            raise Conflict(
                gettext("This session is %(get_status_display)s.")
                % {"get_status_display": session.get_status_display().lower()},
                code="not_bookable",
            )
        if session.starts_at <= now:
            raise Conflict(gettext("This session has already started."), code="not_bookable")
        lock_users(learner)
        if Booking.objects.active().filter(session=session, learner=learner).exists():
            raise Conflict(gettext("You already have a seat in this session."), code="already_booked")
        if seats_left(session, for_learner=learner, now=now) <= 0:
            raise Conflict(gettext("No seat is left in this session; join the waitlist."), code="no_seat")
        _check_learner_free(learner, session.starts_at, session.ends_at)
        booking = _create_booking(session, learner, now=now, actor=learner, intake=intake)
        # the seat offered to them taken, or joining after a freed seat: either way they leave the queue
        WaitlistEntry.objects.filter(
            live_offers(session, now) | Q(session=session, status=WaitlistEntry.WAITING), learner=learner
        ).update(status=WaitlistEntry.ACCEPTED, booking=booking, updated_at=now)
    return booking


def slot_price(mentor, duration_minutes: int) -> tuple[int, str]:
    """Price of a 1:1 slot: the mentor's hourly rate times its length (rounded half up); free without one."""
    from core.catalogue.services import mentor_rate

    rate = mentor_rate(mentor)
    if rate is None:
        return 0, "EUR"
    rate_minor, currency = rate
    return (rate_minor * duration_minutes + 30) // 60, currency


def book_slot(
    mentor, learner, start: datetime, duration_minutes: int, *, now: datetime | None = None, answers=None
) -> Booking:
    """Book one of ``mentor``'s free slots as a new 1:1 session for ``learner``."""
    now = now or timezone.now()
    if not getattr(mentor, "is_mentor", False):
        raise InvalidRequest(gettext("This person does not mentor."), code="not_a_mentor", field="mentor")
    if mentor.pk == learner.pk:
        raise NotAllowed(gettext("You cannot book your own time."), code="own_session", field="mentor")
    if start.tzinfo is None:
        raise InvalidRequest(gettext("Give the start with its UTC offset."), code="naive_datetime", field="start")
    if start <= now:
        raise InvalidRequest(gettext("The start is in the past."), code="past_start", field="start")
    end = start + timedelta(minutes=duration_minutes)
    price_minor, currency = slot_price(mentor, duration_minutes)
    expire_due_holds(now, learners=[learner.pk])  # the mentor's side: free_slots below
    # The full availability check runs before taking the lock (rules, notice, horizon,
    # lengths, busy time), so a request for a slot that is already gone fails at once;
    # under the lock only what a concurrent booking can change is checked again.
    if not availability.is_bookable(mentor, start, end, now=now):
        _refuse_slot(mentor, start, end, duration_minutes, now)
    buffer = availability.Settings.of(availability.profile_for(mentor)).buffer
    intake = _intake(mentor, answers, start, now)
    with transaction.atomic():
        lock_users(mentor, learner)
        if _mentor_busy(mentor, start - buffer, end + buffer):
            raise Conflict(gettext("That slot was just taken; pick another."), code="slot_taken")
        _check_learner_free(learner, start, end)
        try:
            with transaction.atomic():
                session = Session.objects.create(
                    mentor=mentor,
                    title=f"1:1 with {mentor.display_name or mentor.email}",
                    starts_at=start,
                    ends_at=end,
                    capacity=1,
                    price_minor=price_minor,
                    currency=currency,
                    origin=Session.SLOT,
                    created_at=now,
                )
        except IntegrityError:
            raise Conflict(gettext("That slot was just taken; pick another."), code="slot_taken") from None
        announce_session(session, "created")
        booking = _create_booking(session, learner, now=now, actor=learner, intake=intake)
    return booking


def _mentor_busy(mentor, start: datetime, end: datetime) -> bool:
    """Whether the mentor teaches or learns anything in [start, end) (buffers already added)."""
    return (
        Session.objects.active().filter(mentor=mentor).overlapping(start, end).exists()
        or Booking.objects.active().filter(learner=mentor, starts_at__lt=end, ends_at__gt=start).exists()
    )


def _refuse_slot(mentor, start: datetime, end: datetime, duration_minutes: int, now: datetime) -> None:
    """Say why [start, end) cannot be booked: taken (409), a length not offered or outside the hours (400)."""
    if _within_hours(mentor, start, end, now):
        raise Conflict(gettext("That slot was just taken; pick another."), code="slot_taken")
    lengths = availability.Settings.of(availability.profile_for(mentor)).lengths
    if duration_minutes not in lengths:
        raise InvalidRequest(
            gettext("This mentor offers sessions of %(join)s minutes.") % {"join": ", ".join(map(str, lengths))},
            code="bad_length",
            field="duration_minutes",
        )
    raise InvalidRequest(
        gettext("The start is not one of the mentor's free slots."), code="outside_availability", field="start"
    )


def _within_hours(mentor, start: datetime, end: datetime, now: datetime) -> bool:
    """Whether [start, end) is a slot of the mentor's hours that is only taken by other bookings."""
    settings = availability.Settings.of(availability.profile_for(mentor))
    if int((end - start).total_seconds() // 60) not in settings.lengths:
        return False
    from ..models import DateOverride, WeeklyRule

    slots = availability.compute_slots(
        zone=availability.zone_of(mentor),
        rules=list(WeeklyRule.objects.filter(mentor=mentor)),
        overrides=list(
            DateOverride.objects.filter(
                mentor=mentor, date__gte=(start - timedelta(days=2)).date(), date__lte=(end + timedelta(days=2)).date()
            )
        ),
        settings=settings,
        busy=[],
        start_utc=start,
        end_utc=start + timedelta(seconds=1),
        now=now,
        lengths=[int((end - start).total_seconds() // 60)],
    )
    return availability.Slot(start, end) in slots


# --- transitions driven by payments, the room and time -------------------------------


def confirm_booking(booking: Booking, by=None, *, now: datetime | None = None) -> Booking:
    """Payment arrived: pending_payment -> confirmed. Confirming a confirmed booking is a no-op."""
    with transaction.atomic():
        locked = lock_booking(booking)
        if locked.status != Booking.CONFIRMED:
            transition(locked, Booking.CONFIRMED, actor=by, now=now)
    _copy_into(booking, locked)
    return locked


def expire_booking(booking: Booking, *, now: datetime | None = None) -> Booking:
    """The hold ran out (or the payment was abandoned): pending_payment -> expired, freeing the seat."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_booking(booking)
        transition(locked, Booking.EXPIRED, actor=None, now=now)
        _seat_freed(locked.session, now=now, reason="hold expired")
    _copy_into(booking, locked)
    return locked


#: Bookings that hold their seat until ``hold_expires_at``: unpaid, or awaiting the mentor's approval.
HELD_STATUSES = (Booking.PENDING_PAYMENT, Booking.PENDING_APPROVAL)


def due_holds(
    now: datetime,
    *,
    mentors: Iterable[int] | None = None,
    learners: Iterable[int] | None = None,
    sessions: Iterable[int] | None = None,
    bookings: Iterable[int] | None = None,
):
    """Pending bookings (payment or approval) whose hold has run out, limited to the given scope (none given: all)."""
    due = Booking.objects.filter(status__in=HELD_STATUSES, hold_expires_at__lte=now)
    scope = Q()
    if mentors is not None:
        scope |= Q(session__mentor_id__in=list(mentors))
    if learners is not None:
        scope |= Q(learner_id__in=list(learners))
    if sessions is not None:
        scope |= Q(session_id__in=list(sessions))
    if bookings is not None:
        scope |= Q(pk__in=list(bookings))
    return due.filter(scope) if scope else due


def expire_due_holds(now: datetime | None = None, *, limit: int | None = None, **scope) -> int:
    """Expire the holds that have run out, before anything reads them.

    A hold ends at its deadline whoever looks first: availability, booking,
    payment start, the booking pages and the API call this (scoped to what they
    are about to read, see :func:`due_holds`), so a seat is free again the
    moment its hold runs out with no worker running. The Celery beat sweep
    calls it unscoped and only tidies holds nobody looked at. ``limit`` bounds
    the work one call does (oldest deadlines first).
    """
    now = now or timezone.now()
    expired = 0
    due = due_holds(now, **scope).order_by("hold_expires_at").values_list("pk", flat=True)
    for pk in list(due[:limit] if limit else due):
        try:
            with transaction.atomic():
                locked = lock_booking(pk)
                if locked.status not in HELD_STATUSES or locked.hold_expires_at > now:
                    continue  # paid, decided or changed since the query
                if locked.status == Booking.PENDING_APPROVAL:
                    from core.intake.services.approval import release_lapsed

                    release_lapsed(locked, now)  # the mentor did not decide in time
                else:
                    transition(locked, Booking.EXPIRED, actor=None, now=now)
                    _seat_freed(locked.session, now=now, reason="hold expired")
                expired += 1
        except SchedulingError:
            logger.exception("could not expire booking %s", pk)
    return expired


def expire_holds(now: datetime | None = None) -> int:
    """Expire every pending booking whose hold has run out (the Celery beat sweep)."""
    return expire_due_holds(now)


def complete_booking(booking: Booking, *, now: datetime | None = None) -> Booking:
    with transaction.atomic():
        locked = lock_booking(booking)
        transition(locked, Booking.COMPLETED, actor=None, now=now)
    _copy_into(booking, locked)
    return locked


def mark_refunded(booking: Booking, by=None, *, now: datetime | None = None) -> Booking:
    """Payments finished refunding a cancelled or no-show booking: -> refunded."""
    with transaction.atomic():
        locked = lock_booking(booking)
        transition(locked, Booking.REFUNDED, actor=by, now=now)
    _copy_into(booking, locked)
    return locked


def mark_no_show(booking: Booking, by, *, now: datetime | None = None) -> Booking:
    """The mentor reports the learner absent, once the grace time after the start has passed.

    ``by=None`` is the system (the sweep, from attendance), which may always report.
    """
    now = now or timezone.now()
    policy = current_policy()
    with transaction.atomic():
        locked = lock_booking(booking)
        session = locked.session
        if by is not None and not (by.pk == session.mentor_id or by.is_staff):
            raise NotAllowed(gettext("Only the session's mentor can report a learner absent."))
        allowed_from = locked.starts_at + timedelta(minutes=policy.learner_no_show_grace_minutes)
        if now < allowed_from:
            raise InvalidRequest(
                gettext("A learner can be reported absent %(learner_no_show_grace_minutes)s minutes after the start.")
                % {"learner_no_show_grace_minutes": policy.learner_no_show_grace_minutes},
                code="too_early",
            )
        percent = int(policy.learner_no_show_refund_percent)
        transition(
            locked,
            Booking.NO_SHOW,
            actor=by,
            now=now,
            refund_percent=percent,
            refund_minor=refund_amount(locked.price_minor, percent),
        )
    _copy_into(booking, locked)
    return locked


# --- cancellation ------------------------------------------------------------------


def cancel_booking(booking: Booking, by, reason: str = "", *, now: datetime | None = None) -> CancellationResult:
    """Cancel one booking under the policy; the result says what to refund.

    The learner may cancel their own booking before the start (a full refund up to
    the free-cancellation window, the late share after it); the session's mentor
    or staff may cancel any booking (always a full refund). A 1:1 session booked
    from availability goes with its booking; a freed group seat goes to the waitlist.
    """
    now = now or timezone.now()
    policy = current_policy()
    with transaction.atomic():
        locked = lock_booking(booking)
        session = lock_session(locked.session_id)
        is_learner = by is not None and by.pk == locked.learner_id
        is_mentor = by is not None and by.pk == session.mentor_id
        is_staff = by is not None and by.is_staff
        if not (is_learner or is_mentor or is_staff):
            raise NotAllowed(gettext("Only the learner, the mentor or staff can cancel this booking."))
        if locked.status not in Booking.ACTIVE_STATUSES:
            raise IllegalTransition("booking", locked.pk, locked.status, Booking.CANCELLED)
        if session.status != Session.SCHEDULED and not is_staff:
            raise Conflict(gettext("A session that has started can no longer be cancelled."), code="already_started")
        if locked.status in (Booking.PENDING_PAYMENT, Booking.PENDING_APPROVAL):
            percent = 0  # nothing was paid
        elif is_mentor or is_staff:
            percent = 100
        else:
            percent = learner_refund_percent(policy, locked.starts_at, now)
        refund = refund_amount(locked.price_minor, percent) if locked.status == Booking.CONFIRMED else 0
        transition(
            locked,
            Booking.CANCELLED,
            actor=by,
            now=now,
            refund_percent=percent,
            refund_minor=refund,
            cancelled_by=by,
            cancel_reason=(reason or "")[:255],
        )
        session_cancelled = _seat_freed(session, now=now, reason=reason or "booking cancelled")
    _copy_into(booking, locked)
    return CancellationResult(
        bookings=[locked],
        refund_percent=percent,
        refund_minor=refund,
        currency=locked.currency,
        session_cancelled=session_cancelled,
    )


def _seat_freed(session: Session, *, now: datetime, reason: str) -> bool:
    """After a seat came free: drop a slot session that has nobody left, or offer the seat on."""
    session = lock_session(session.pk)
    if session.origin == Session.SLOT and not Booking.objects.active().filter(session=session).exists():
        if session.status == Session.SCHEDULED:
            session.status = Session.CANCELLED
            session.cancelled_at = now
            session.cancel_reason = reason[:255]
            session.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
            announce_session(session, "cancelled")
            return True
        return False
    if session.status == Session.SCHEDULED and session.starts_at > now:
        from .waitlist import offer_seats_locked

        offer_seats_locked(session, now=now)
    return False


# --- rescheduling ----------------------------------------------------------------


def reschedule_booking(
    booking: Booking,
    by,
    *,
    start: datetime | None = None,
    target_session: Session | None = None,
    now: datetime | None = None,
) -> Booking:
    """Move a booking atomically: a 1:1 booking to another free slot of its mentor (``start``),
    a group seat to another session of the same mentor and price (``target_session``).

    Learners may move their own booking until the reschedule window closes and at
    most ``max_reschedules`` times; the mentor and staff may move it any time before
    the start. Either everything moves or nothing does.
    """
    now = now or timezone.now()
    policy = current_policy()
    with transaction.atomic():
        locked = lock_booking(booking)
        session = lock_session(locked.session_id)
        is_learner = by.pk == locked.learner_id
        is_mentor = by.pk == session.mentor_id
        if not (is_learner or is_mentor or by.is_staff):
            raise NotAllowed(gettext("Only the learner, the mentor or staff can move this booking."))
        if locked.status not in Booking.ACTIVE_STATUSES or session.status != Session.SCHEDULED:
            raise Conflict(gettext("Only an upcoming, active booking can be moved."), code="not_reschedulable")
        if locked.starts_at <= now:
            raise Conflict(gettext("The session has already started."), code="not_reschedulable")
        if is_learner and not (is_mentor or by.is_staff):
            if locked.starts_at - now < timedelta(hours=policy.reschedule_window_hours):
                raise Conflict(
                    gettext("Bookings can be moved until %(reschedule_window_hours)s hours before the start.")
                    % {"reschedule_window_hours": policy.reschedule_window_hours},
                    code="reschedule_window_closed",
                )
            if locked.reschedule_count >= policy.max_reschedules:
                raise Conflict(
                    gettext("This booking has been moved %(reschedule_count)s times, the most allowed.")
                    % {"reschedule_count": locked.reschedule_count},
                    code="too_many_reschedules",
                )
        if (start is None) == (target_session is None):
            raise InvalidRequest(gettext("Give either a new start or another session."), code="required", field="start")
        if start is not None:
            _move_one_to_one(locked, session, start, now)
        else:
            _move_seat(locked, session, target_session, now)
        locked.reschedule_count += 1
        locked.save(update_fields=["reschedule_count", "updated_at"])
    _copy_into(booking, locked)
    return locked


def _move_one_to_one(booking: Booking, session: Session, start: datetime, now: datetime) -> None:
    if session.capacity != 1:
        raise InvalidRequest(
            gettext("A seat in a group session moves to another session, not another time."),
            code="group",
            field="start",
        )
    if Booking.objects.active().filter(session=session).exclude(pk=booking.pk).exists():
        raise Conflict(gettext("Other learners are booked on this session."), code="not_reschedulable")
    if start.tzinfo is None:
        raise InvalidRequest(gettext("Give the start with its UTC offset."), code="naive_datetime", field="start")
    if start <= now:
        raise InvalidRequest(gettext("The new start is in the past."), code="past_start", field="start")
    end = start + (session.ends_at - session.starts_at)
    mentor = session.mentor
    lock_users(mentor, booking.learner)
    if not availability.is_bookable(mentor, start, end, now=now, exclude_session_id=session.pk):
        raise InvalidRequest(
            gettext("The new start is not one of the mentor's free slots."), code="outside_availability", field="start"
        )
    _check_learner_free(booking.learner, start, end, exclude_booking_id=booking.pk)
    try:
        with transaction.atomic():
            session.starts_at, session.ends_at = start, end
            session.save(update_fields=["starts_at", "ends_at", "updated_at"])
            booking.starts_at, booking.ends_at = start, end
            booking.save(update_fields=["starts_at", "ends_at", "updated_at"])
    except IntegrityError:
        raise Conflict(gettext("That slot was just taken; pick another."), code="slot_taken") from None
    announce_session(session, "rescheduled")


def _move_seat(booking: Booking, session: Session, target: Session, now: datetime) -> None:
    if target.pk == session.pk:
        raise InvalidRequest(gettext("That is the session already booked."), code="same_session", field="session")
    target = lock_session(target.pk)
    if target.mentor_id != session.mentor_id:
        raise InvalidRequest(gettext("A seat can only move to a session of the same mentor."), field="session")
    if (target.price_minor, target.currency) != (booking.price_minor, booking.currency):
        raise InvalidRequest(gettext("The other session has a different price."), code="price_differs", field="session")
    if target.status != Session.SCHEDULED or target.starts_at <= now:
        raise Conflict(gettext("The other session cannot be booked any more."), code="not_bookable")
    lock_users(booking.learner)
    if seats_left(target, for_learner=booking.learner, now=now) <= 0:
        raise Conflict(gettext("No seat is left in the other session."), code="no_seat")
    if Booking.objects.active().filter(session=target, learner=booking.learner).exists():
        raise Conflict(gettext("You already have a seat in the other session."), code="already_booked")
    _check_learner_free(booking.learner, target.starts_at, target.ends_at, exclude_booking_id=booking.pk)
    try:
        with transaction.atomic():
            booking.session = target
            booking.starts_at, booking.ends_at = target.starts_at, target.ends_at
            booking.save(update_fields=["session", "starts_at", "ends_at", "updated_at"])
    except IntegrityError:
        raise Conflict(gettext("That seat was just taken."), code="conflict") from None
    WaitlistEntry.objects.filter(live_offers(target, now), learner=booking.learner).update(
        status=WaitlistEntry.ACCEPTED, booking=booking, updated_at=now
    )
    announce_booking_moved(booking, session)
    _seat_freed(session, now=now, reason="booking moved")


def announce_booking_moved(booking: Booking, old_session: Session) -> None:
    """A seat changed session: listeners hear it as a rescheduled session for that learner."""
    snapshot = Booking.objects.select_related("session__mentor", "learner").get(pk=booking.pk)
    transaction.on_commit(
        lambda: session_changed.send(
            sender=Session, session=snapshot.session, change="rescheduled", booking=snapshot, previous=old_session
        )
    )


def bookings_of(user) -> Iterable[Booking]:
    return Booking.objects.filter(learner=user).select_related("session", "session__mentor")
