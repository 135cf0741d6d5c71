"""A mentor's decision on a booking that awaits it: approve, decline, propose other times.

The booking (``pending_approval``) holds its seat until ``hold_expires_at``, which is the
decision deadline: the site's ``ApprovalPolicy.decision_hours`` after the request, never
after the session's start. Every decision locks the booking row
(:func:`core.scheduling.services.bookings.lock_booking`) and moves it through the
scheduling state machine, so a decision and the deadline's expiry racing each other end in
exactly one outcome: whoever holds the lock first wins, the other finds the booking no
longer pending.

* approve: ``confirmed`` (a free session) or ``pending_payment`` with the usual payment hold;
* decline, or the deadline passing (:func:`expire_due_approvals`, the beat task): the seat is
  released; ``core.payments`` refunds anything paid through its refund path;
* propose: up to three of the mentor's free slots; the learner accepts one
  (:func:`accept_proposal`), which moves the booking there and approves it in one transaction.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from core.scheduling.models import Booking, Session
from core.scheduling.services import availability
from core.scheduling.services import bookings as booking_services
from core.scheduling.services.errors import Conflict, InvalidRequest, NotAllowed, SchedulingError
from core.scheduling.services.policy import current_policy

from ..models import ApprovalPolicy, ApprovalRequest, ApprovalSettings, TimeProposal
from ..signals import times_proposed

logger = logging.getLogger("peerlearn.intake")


def current_approval_policy() -> ApprovalPolicy:
    site = Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()
    return ApprovalPolicy() if site is None else ApprovalPolicy.for_site(site)


def settings_of(mentor) -> ApprovalSettings:
    """The mentor's approval settings (unsaved defaults, "never", when they have none)."""
    found = ApprovalSettings.objects.filter(mentor=mentor).first()
    return found or ApprovalSettings(mentor=mentor)


def needs_approval(mentor, start: datetime, now: datetime) -> bool:
    rule = settings_of(mentor)
    if rule.mode == ApprovalSettings.ALWAYS:
        return True
    if rule.mode == ApprovalSettings.SHORT_NOTICE:
        return start - now < timedelta(hours=rule.short_notice_hours)
    return False


def decision_deadline(start: datetime, now: datetime) -> datetime:
    """When an undecided request releases its seat: the policy's hours from now, never after the start."""
    return min(now + timedelta(hours=current_approval_policy().decision_hours), start)


def save_settings(mentor, mode: str, short_notice_hours: int | None = None) -> ApprovalSettings:
    if mode not in dict(ApprovalSettings.MODE_CHOICES):
        raise InvalidRequest(_("Choose never, always or short_notice."), code="invalid_mode", field="mode")
    rule = settings_of(mentor)
    if short_notice_hours is not None:
        if isinstance(short_notice_hours, bool) or not isinstance(short_notice_hours, int):
            raise InvalidRequest(_("Give a whole number of hours."), code="invalid", field="short_notice_hours")
        if not 1 <= short_notice_hours <= 24 * 30:
            raise InvalidRequest(_("Give from 1 to 720 hours."), code="out_of_range", field="short_notice_hours")
        rule.short_notice_hours = short_notice_hours
    rule.mode = mode
    rule.save()
    return rule


# --- deciding ------------------------------------------------------------------------------


def _locked_request(booking: Booking | int) -> tuple[Booking, ApprovalRequest | None]:
    locked = booking_services.lock_booking(booking)
    request = ApprovalRequest.objects.select_for_update().filter(booking=locked).first()
    return locked, request


def _check_mentor(locked: Booking, by) -> None:
    if by is None or not (by.pk == locked.session.mentor_id or by.is_staff):
        raise NotAllowed(_("Only the session's mentor can decide on this booking."))


def _check_pending(locked: Booking) -> None:
    if locked.status != Booking.PENDING_APPROVAL:
        raise Conflict(
            _("This booking is no longer waiting for approval (it is %(status)s).")
            % {"status": locked.get_status_display().lower()},
            code="not_pending",
        )


def _lapsed(locked: Booking, now: datetime) -> bool:
    """Past the decision deadline, or past the start (a request moved earlier keeps its deadline)."""
    return (locked.hold_expires_at is not None and locked.hold_expires_at <= now) or locked.starts_at <= now


def _drop_open_proposals(locked: Booking) -> None:
    TimeProposal.objects.filter(booking=locked, status=TimeProposal.OPEN).update(status=TimeProposal.DROPPED)


def _release(locked: Booking, request: ApprovalRequest | None, status: str, *, by, now: datetime, reason: str) -> None:
    """Decline or expire: the seat is freed (a slot session goes, a group seat is offered on)."""
    booking_services.transition(
        locked,
        status,
        actor=by,
        now=now,
        cancelled_by=by if status == Booking.DECLINED else None,
        cancel_reason=reason[:255],
    )
    if request is not None:
        request.decision = ApprovalRequest.DECLINED if status == Booking.DECLINED else ApprovalRequest.EXPIRED
        request.decided_at = now
        request.decided_by = by
        request.reason = reason[:500]
        request.save(update_fields=["decision", "decided_at", "decided_by", "reason"])
    _drop_open_proposals(locked)
    booking_services._seat_freed(locked.session, now=now, reason="approval " + ("declined" if by else "expired"))


def _approve_locked(locked: Booking, request: ApprovalRequest | None, *, by, now: datetime, decision: str) -> None:
    if locked.price_minor == 0:
        booking_services.transition(locked, Booking.CONFIRMED, actor=by, now=now)
    else:
        hold = min(now + timedelta(minutes=current_policy().hold_minutes), locked.starts_at)
        booking_services.transition(locked, Booking.PENDING_PAYMENT, actor=by, now=now, hold_expires_at=hold)
    if request is not None:
        request.decision = decision
        request.decided_at = now
        request.decided_by = by
        request.save(update_fields=["decision", "decided_at", "decided_by"])


def _expire_then_refuse(booking_id: int, now: datetime) -> None:
    expire_due_approvals(now, bookings=[booking_id])
    raise Conflict(_("The time to decide has passed: the seat was released."), code="deadline_passed")


def approve(booking: Booking | int, by, *, now: datetime | None = None) -> Booking:
    """The mentor approves: confirmed for a free session, else on to payment with the usual hold."""
    now = now or timezone.now()
    with transaction.atomic():
        locked, request = _locked_request(booking)
        _check_mentor(locked, by)
        _check_pending(locked)
        lapsed = _lapsed(locked, now)
        if not lapsed:
            _drop_open_proposals(locked)
            _approve_locked(locked, request, by=by, now=now, decision=ApprovalRequest.APPROVED)
    if lapsed:
        _expire_then_refuse(locked.pk, now)
    return locked


def decline(booking: Booking | int, by, reason: str = "", *, now: datetime | None = None) -> Booking:
    """The mentor says no: the seat is released; anything paid is refunded in full."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    if len(reason) > 500:
        raise InvalidRequest(_("Keep the message to at most 500 characters."), code="too_long", field="reason")
    with transaction.atomic():
        locked, request = _locked_request(booking)
        _check_mentor(locked, by)
        _check_pending(locked)
        _release(locked, request, Booking.DECLINED, by=by, now=now, reason=reason)
    return locked


def propose_times(booking: Booking | int, by, starts: Sequence[datetime], *, now: datetime | None = None):
    """The mentor offers up to three of their free slots instead; earlier open proposals are dropped.

    The learner gets until the policy's hours from now to accept one (never past the
    booked time or the earliest proposed one).
    """
    now = now or timezone.now()
    unique = sorted(set(starts))
    if not 1 <= len(unique) <= TimeProposal.MAX_PER_BOOKING or len(unique) != len(starts):
        raise InvalidRequest(_("Propose from one to three different times."), code="invalid_proposals", field="starts")
    for start in unique:
        if start.tzinfo is None:
            raise InvalidRequest(_("Give each time with its UTC offset."), code="naive_datetime", field="starts")
        if start <= now:
            raise InvalidRequest(_("A proposed time is in the past."), code="past_start", field="starts")
    with transaction.atomic():
        locked, request = _locked_request(booking)
        if by is None or by.pk != locked.session.mentor_id:
            raise NotAllowed(_("Only the session's mentor can propose other times."))
        _check_pending(locked)
        if _lapsed(locked, now):
            lapsed = True
        else:
            lapsed = False
            session: Session = locked.session
            if session.capacity != 1:
                raise InvalidRequest(
                    _("Other times can be proposed for one-to-one sessions only; decline instead."),
                    code="group_session",
                    field="starts",
                )
            length = session.ends_at - session.starts_at
            for start in unique:
                if start == locked.starts_at:
                    raise InvalidRequest(_("That is the time already booked."), code="same_time", field="starts")
                if not availability.is_bookable(
                    session.mentor, start, start + length, now=now, exclude_session_id=session.pk
                ):
                    local = timezone.localtime(start)
                    raise InvalidRequest(
                        _("%(when)s is not one of your free slots.") % {"when": f"{local:%a %d %b %Y, %H:%M}"},
                        code="outside_availability",
                        field="starts",
                    )
            _drop_open_proposals(locked)
            proposals = TimeProposal.objects.bulk_create(
                [TimeProposal(booking=locked, starts_at=s, ends_at=s + length, created_at=now) for s in unique]
            )
            deadline = min(now + timedelta(hours=current_approval_policy().decision_hours), locked.starts_at, unique[0])
            locked.hold_expires_at = deadline
            locked.save(update_fields=["hold_expires_at", "updated_at"])
            if request is not None:
                request.decide_by = deadline
                request.save(update_fields=["decide_by"])
            snapshot = locked
            transaction.on_commit(lambda: times_proposed.send(sender=Booking, booking=snapshot, proposals=proposals))
    if lapsed:
        _expire_then_refuse(locked.pk, now)
    return proposals


def accept_proposal(proposal: TimeProposal | int, by, *, now: datetime | None = None) -> Booking:
    """The learner takes one proposed time: the booking moves there and is approved, atomically."""
    now = now or timezone.now()
    pk = proposal if isinstance(proposal, int) else proposal.pk
    booking_id = TimeProposal.objects.values_list("booking_id", flat=True).get(pk=pk)
    with transaction.atomic():
        locked, request = _locked_request(booking_id)
        if by is None or by.pk != locked.learner_id:
            raise NotAllowed(_("Only the learner who booked can accept a proposed time."))
        _check_pending(locked)
        chosen = TimeProposal.objects.select_for_update().get(pk=pk)
        if chosen.status != TimeProposal.OPEN:
            raise Conflict(_("This proposed time is no longer open."), code="proposal_closed")
        lapsed = _lapsed(locked, now)
        if not lapsed:
            session = booking_services.lock_session(locked.session_id)
            try:
                booking_services._move_one_to_one(locked, session, chosen.starts_at, now)
            except InvalidRequest:
                raise Conflict(
                    _("That time is no longer free; pick another or ask the mentor."), code="slot_taken"
                ) from None
            locked.session = session  # the moved one, not the copy loaded with the booking
            TimeProposal.objects.filter(booking=locked, status=TimeProposal.OPEN).exclude(pk=chosen.pk).update(
                status=TimeProposal.DROPPED
            )
            chosen.status = TimeProposal.ACCEPTED
            chosen.save(update_fields=["status"])
            _approve_locked(locked, request, by=session.mentor, now=now, decision=ApprovalRequest.MOVED)
    if lapsed:
        _expire_then_refuse(locked.pk, now)
    return locked


# --- the deadline ----------------------------------------------------------------------------


def release_lapsed(locked: Booking, now: datetime) -> None:
    """Expire a locked booking whose decision deadline has passed (inside the caller's transaction).

    :func:`core.scheduling.services.bookings.expire_due_holds` calls this for the approval holds a
    reader is about to look at, so a seat is free at its deadline without a worker, as unpaid holds are.
    """
    request = ApprovalRequest.objects.select_for_update().filter(booking=locked).first()
    _release(locked, request, Booking.EXPIRED, by=None, now=now, reason="")


def expire_due_approvals(
    now: datetime | None = None, *, limit: int | None = None, bookings: Sequence[int] | None = None
) -> int:
    """Release the seats of requests nobody decided in time (the beat task; safe to run anywhere)."""
    now = now or timezone.now()
    due = Booking.objects.filter(status=Booking.PENDING_APPROVAL).filter(
        Q(hold_expires_at__lte=now) | Q(starts_at__lte=now)
    )
    if bookings is not None:
        due = due.filter(pk__in=list(bookings))
    ids = list(due.order_by("hold_expires_at").values_list("pk", flat=True)[: limit or None])
    expired = 0
    for pk in ids:
        try:
            with transaction.atomic():
                locked = booking_services.lock_booking(pk)
                if locked.status != Booking.PENDING_APPROVAL or not _lapsed(locked, now):
                    continue  # decided (or given more time) since the query
                release_lapsed(locked, now)
                expired += 1
        except SchedulingError:
            logger.exception("could not expire approval of booking %s", pk)
    return expired


def pending_for(mentor):
    """A mentor's bookings awaiting their decision, soonest deadline first."""
    return (
        Booking.objects.filter(status=Booking.PENDING_APPROVAL, session__mentor=mentor)
        .select_related("session", "learner", "approval")
        .order_by("hold_expires_at", "pk")
    )
