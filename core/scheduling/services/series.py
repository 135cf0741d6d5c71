"""Recurring series: N weekly or fortnightly 1:1 sessions at one wall-clock time.

A series keeps the same local start in the **mentor's** zone: 18:00 Europe/Berlin
is 17:00 UTC in winter and 16:00 UTC in summer, and each occurrence is computed
from the local date with :func:`availability.local_to_utc` (a skipped local time
moves to the instant of the jump, as the mentor's hours do).

Booking a series is all or nothing: the mentor and the learner are locked, every
occurrence is checked again under the lock and created in one transaction; the
first one that cannot be had is named (:class:`SeriesClash`) and nothing is
written. Each occurrence is an ordinary slot session with its booking, so rooms,
reviews, notifications and the cancellation policy apply to it unchanged.

Paying:

* ``per_session``: each booking is paid on its own checkout; the first holds its
  seat for the policy's ``hold_minutes``, each later one until
  ``SeriesPolicy.pay_before_hours`` before it starts (the existing hold expiry
  releases a session left unpaid).
* ``at_once``: one payment on the first booking (the *anchor*) for the whole
  series: its quote (fee, coupon, tax) is priced on every session still held
  (:func:`series_price_minor`, read by :mod:`core.pricing.services.quotes`), the
  webhook that confirms the anchor confirms the rest (:func:`confirm_paid_siblings`),
  and cancelling one occurrence refunds that occurrence's share of the one
  payment (:func:`refund_occurrence`), so the ledger stays per payment and balanced.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.models import Site

from ..models import Booking, BookingSeries, DateOverride, SeriesOccurrence, SeriesPolicy, Session, WeeklyRule
from ..signals import hold_extended
from . import availability, bookings
from .errors import Conflict, InvalidRequest, NotAllowed
from .policy import current_policy

logger = logging.getLogger("peerlearn.scheduling")

MIN_COUNT = 2
MAX_COUNT = 52

# Why an occurrence cannot be booked (stable codes, shown as the reason in words).
TOO_SOON = "too_soon"
NO_AVAILABILITY = "no_availability"
MENTOR_BUSY = "mentor_busy"
SEAT_TAKEN = "seat_taken"
LEARNER_BUSY = "learner_busy"


def reason_text(code: str) -> str:
    return {
        TOO_SOON: _("too soon: the mentor needs more notice"),
        NO_AVAILABILITY: _("the mentor has no availability then"),
        MENTOR_BUSY: _("the mentor is busy then"),
        SEAT_TAKEN: _("that seat is already taken"),
        LEARNER_BUSY: _("you already have a booking then"),
    }[code]


@dataclass(frozen=True)
class PlannedOccurrence:
    """One date of a planned series and, when it cannot be booked, why (``clash`` is a reason code)."""

    index: int
    start: datetime
    end: datetime
    clash: str = ""

    @property
    def reason(self) -> str:
        return reason_text(self.clash) if self.clash else ""


@dataclass(frozen=True)
class SeriesPlan:
    mentor_zone: ZoneInfo
    occurrences: list[PlannedOccurrence]
    price_minor: int
    currency: str

    @property
    def first_clash(self) -> PlannedOccurrence | None:
        return next((o for o in self.occurrences if o.clash), None)

    @property
    def total_minor(self) -> int:
        return self.price_minor * len(self.occurrences)


class SeriesClash(Conflict):
    """One occurrence of a series cannot be had: it is named, and nothing was booked."""

    default_code = "series_clash"

    def __init__(self, occurrence: PlannedOccurrence, zone: ZoneInfo) -> None:
        local = occurrence.start.astimezone(zone)
        super().__init__(
            _("Session %(index)s on %(when)s (%(zone)s): %(reason)s. Nothing was booked.")
            % {
                "index": occurrence.index,
                "when": local.strftime("%a %d %b %Y %H:%M"),
                "zone": zone.key,
                "reason": occurrence.reason,
            },
            code="series_clash",
        )
        self.occurrence = occurrence
        self.zone = zone

    def as_dict(self) -> dict:
        return {
            "index": self.occurrence.index,
            "start": self.occurrence.start.isoformat(),
            "start_local": self.occurrence.start.astimezone(self.zone).isoformat(),
            "time_zone": self.zone.key,
            "reason": self.occurrence.clash,
            "reason_text": self.occurrence.reason,
        }


# --- settings and dates ---------------------------------------------------------------


def series_policy(site: Site | None = None) -> SeriesPolicy:
    if site is None:
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()
    return SeriesPolicy() if site is None else SeriesPolicy.for_site(site)


def offered_cadences(policy: SeriesPolicy | None = None) -> list[str]:
    policy = policy or series_policy()
    return [
        cadence
        for cadence, offered in (
            (BookingSeries.WEEKLY, policy.weekly_offered),
            (BookingSeries.FORTNIGHTLY, policy.fortnightly_offered),
        )
        if offered
    ]


def occurrence_starts(first_date: date, local_time: time, zone: ZoneInfo, interval_weeks: int, count: int):
    """The UTC starts of ``count`` sessions at ``local_time`` on ``first_date`` and every ``interval_weeks`` after."""
    minute = local_time.hour * 60 + local_time.minute
    return [
        availability.local_to_utc(first_date + timedelta(weeks=interval_weeks * n), minute, zone) for n in range(count)
    ]


# --- checking one occurrence -----------------------------------------------------------


def _within_hours(mentor, settings: availability.Settings, start: datetime, end: datetime, now: datetime) -> bool:
    """Whether [start, end) is a slot of the mentor's hours, ignoring the booking horizon and other bookings."""
    length = int((end - start).total_seconds() // 60)
    open_settings = dataclasses.replace(settings, horizon=(end - now) + timedelta(days=1))
    slots = availability.compute_slots(
        zone=availability.zone_of(mentor),
        rules=list(WeeklyRule.objects.filter(mentor=mentor)),
        overrides=list(
            DateOverride.objects.filter(
                mentor=mentor, date__gte=(start - timedelta(days=2)).date(), date__lte=(end + timedelta(days=2)).date()
            )
        ),
        settings=open_settings,
        busy=[],
        start_utc=start,
        end_utc=start + timedelta(seconds=1),
        now=now,
        lengths=[length],
    )
    return availability.Slot(start, end) in slots


def clash_of(
    mentor,
    learner,
    start: datetime,
    end: datetime,
    *,
    settings: availability.Settings,
    now: datetime,
    ignore_sessions: Sequence[int] = (),
) -> str:
    """Why [start, end) cannot be booked for ``learner`` with ``mentor`` ("" when it can)."""
    if start < now + settings.min_notice:
        return TOO_SOON
    if not _within_hours(mentor, settings, start, end, now):
        return NO_AVAILABILITY
    lo, hi = start - settings.buffer, end + settings.buffer
    taught = Session.objects.active().filter(mentor=mentor).overlapping(lo, hi).exclude(pk__in=ignore_sessions)
    for origin, booked_by in taught.values_list("origin", "bookings__learner_id"):
        if origin == Session.SLOT and booked_by == learner.pk:
            return LEARNER_BUSY
        if origin == Session.SLOT and booked_by is not None:
            return SEAT_TAKEN
    if taught.exists():
        return MENTOR_BUSY
    if Booking.objects.active().filter(learner=mentor, starts_at__lt=hi, ends_at__gt=lo).exists():
        return MENTOR_BUSY
    mine = Booking.objects.active().filter(learner=learner, starts_at__lt=end, ends_at__gt=start)
    if mine.exclude(session_id__in=ignore_sessions).exists():
        return LEARNER_BUSY
    if Session.objects.active().filter(mentor=learner).overlapping(start, end).exists():
        return LEARNER_BUSY
    return ""


# --- planning and booking ------------------------------------------------------------------


def _validate(mentor, learner, start: datetime, cadence: str, count: int, duration_minutes: int, now: datetime):
    """Refuse bad input before anything is looked up (400 naming the field)."""
    policy = series_policy()
    if not getattr(mentor, "is_mentor", False):
        raise InvalidRequest(_("This person does not mentor."), code="not_a_mentor", field="mentor")
    if learner is not None and mentor.pk == learner.pk:
        raise NotAllowed(_("You cannot book your own time."), code="own_session", field="mentor")
    offered = offered_cadences(policy)
    if cadence not in offered:
        raise InvalidRequest(
            _("This site offers these cadences: %(list)s.") % {"list": ", ".join(offered) or _("none")},
            code="cadence_not_offered",
            field="cadence",
        )
    top = min(MAX_COUNT, int(policy.max_sessions))
    if isinstance(count, bool) or not isinstance(count, int) or not MIN_COUNT <= count <= top:
        raise InvalidRequest(
            _("A series has from %(min)s to %(max)s sessions.") % {"min": MIN_COUNT, "max": top},
            code="bad_count",
            field="count",
        )
    if start.tzinfo is None:
        raise InvalidRequest(_("Give the start with its UTC offset."), code="naive_datetime", field="start")
    if start <= now:
        raise InvalidRequest(_("The start is in the past."), code="past_start", field="start")
    settings = availability.Settings.of(availability.profile_for(mentor))
    if start > now + settings.horizon:
        raise InvalidRequest(
            _("The first session must be within the mentor's %(days)s days ahead.") % {"days": settings.horizon.days},
            code="beyond_horizon",
            field="start",
        )
    if duration_minutes not in settings.lengths:
        raise InvalidRequest(
            _("This mentor offers sessions of %(list)s minutes.") % {"list": ", ".join(map(str, settings.lengths))},
            code="bad_length",
            field="duration_minutes",
        )
    return settings


def plan_series(
    mentor,
    learner,
    start: datetime,
    cadence: str,
    count: int,
    duration_minutes: int,
    *,
    now: datetime | None = None,
) -> SeriesPlan:
    """The dates of a series and what stands in the way of each (the preview before paying).

    Raises :class:`InvalidRequest` for bad input; clashes are reported, not raised.
    """
    now = now or timezone.now()
    settings = _validate(mentor, learner, start, cadence, count, duration_minutes, now)
    zone = availability.zone_of(mentor)
    local = start.astimezone(zone)
    starts = occurrence_starts(local.date(), local.time(), zone, BookingSeries.INTERVAL_WEEKS[cadence], count)
    length = timedelta(minutes=duration_minutes)
    if learner is not None:
        bookings.expire_due_holds(now, mentors=[mentor.pk], learners=[mentor.pk, learner.pk])
    occurrences = []
    for index, occurrence_start in enumerate(starts, start=1):
        end = occurrence_start + length
        clash = (
            clash_of(mentor, learner, occurrence_start, end, settings=settings, now=now)
            if learner is not None
            else ("" if _within_hours(mentor, settings, occurrence_start, end, now) else NO_AVAILABILITY)
        )
        occurrences.append(PlannedOccurrence(index, occurrence_start, end, clash))
    price_minor, currency = bookings.slot_price(mentor, duration_minutes)
    return SeriesPlan(zone, occurrences, price_minor, currency)


def _hold_until(plan_start: datetime, index: int, mode: str, now: datetime, hold: timedelta, pay_before: timedelta):
    first_hold = now + hold
    if mode == BookingSeries.AT_ONCE or index == 1:
        return first_hold
    return max(first_hold, plan_start - pay_before)


def book_series(
    mentor,
    learner,
    start: datetime,
    cadence: str,
    count: int,
    duration_minutes: int,
    *,
    payment_mode: str = BookingSeries.PER_SESSION,
    now: datetime | None = None,
) -> BookingSeries:
    """Book every session of a series, or none: the first clash raises :class:`SeriesClash`."""
    now = now or timezone.now()
    if payment_mode not in dict(BookingSeries.PAYMENT_CHOICES):
        raise InvalidRequest(_("Pay per session or at once."), code="bad_payment_mode", field="payment_mode")
    if not learner.is_active:
        raise NotAllowed(_("This account is inactive."), code="inactive")
    plan = plan_series(mentor, learner, start, cadence, count, duration_minutes, now=now)
    if plan.first_clash is not None:  # answer at once, without queueing for the locks
        raise SeriesClash(plan.first_clash, plan.mentor_zone)
    settings = availability.Settings.of(availability.profile_for(mentor))
    policy = current_policy()
    hold = timedelta(minutes=policy.hold_minutes)
    pay_before = timedelta(hours=series_policy().pay_before_hours)
    free = plan.price_minor == 0
    local = start.astimezone(plan.mentor_zone)
    with transaction.atomic():
        bookings.lock_users(mentor, learner)
        for occurrence in plan.occurrences:  # again under the locks: someone may have been faster
            clash = clash_of(mentor, learner, occurrence.start, occurrence.end, settings=settings, now=now)
            if clash:
                raise SeriesClash(dataclasses.replace(occurrence, clash=clash), plan.mentor_zone)
        series = BookingSeries.objects.create(
            learner=learner,
            mentor=mentor,
            cadence=cadence,
            count=count,
            first_date=local.date(),
            local_time=local.time().replace(second=0, microsecond=0),
            time_zone=plan.mentor_zone.key,
            duration_minutes=duration_minutes,
            payment_mode=payment_mode,
            price_minor=plan.price_minor,
            currency=plan.currency,
            created_at=now,
        )
        try:
            with transaction.atomic():
                for occurrence in plan.occurrences:
                    booking = _book_occurrence(mentor, learner, occurrence, plan, now=now)
                    if not free:
                        until = _hold_until(occurrence.start, occurrence.index, payment_mode, now, hold, pay_before)
                        if until != booking.hold_expires_at:
                            Booking.objects.filter(pk=booking.pk).update(hold_expires_at=until)
                    SeriesOccurrence.objects.create(
                        series=series, index=occurrence.index, booking=booking, rule_start=occurrence.start
                    )
        except bookings.Conflict as exc:
            if isinstance(exc, SeriesClash):
                raise
            # a database constraint refused one occurrence: someone was faster
            raise SeriesClash(dataclasses.replace(occurrence, clash=SEAT_TAKEN), plan.mentor_zone) from None
    return series


def _book_occurrence(mentor, learner, occurrence: PlannedOccurrence, plan: SeriesPlan, *, now: datetime) -> Booking:
    try:
        with transaction.atomic():
            session = Session.objects.create(
                mentor=mentor,
                title=f"1:1 with {mentor.display_name or mentor.email} ({occurrence.index}/{len(plan.occurrences)})",
                starts_at=occurrence.start,
                ends_at=occurrence.end,
                capacity=1,
                price_minor=plan.price_minor,
                currency=plan.currency,
                origin=Session.SLOT,
                created_at=now,
            )
    except IntegrityError:
        raise SeriesClash(dataclasses.replace(occurrence, clash=SEAT_TAKEN), plan.mentor_zone) from None
    bookings.announce_session(session, "created")
    return bookings._create_booking(session, learner, now=now, actor=learner)


# --- reading -------------------------------------------------------------------------------


def occurrences_of(series: BookingSeries):
    return series.occurrences.select_related("booking", "booking__session").order_by("index")


def series_of(booking: Booking | int) -> BookingSeries | None:
    pk = booking if isinstance(booking, int) else booking.pk
    occurrence = SeriesOccurrence.objects.select_related("series").filter(booking_id=pk).first()
    return occurrence.series if occurrence else None


def visible_series(user):
    """Series the user is part of (as learner or mentor); staff see all."""
    queryset = BookingSeries.objects.select_related("learner", "mentor")
    if getattr(user, "is_staff", False):
        return queryset
    return queryset.filter(Q(learner=user) | Q(mentor=user))


def anchor_booking(series: BookingSeries) -> Booking:
    """The first occurrence's booking: it carries an at-once series' one payment."""
    return series.occurrences.select_related("booking").get(index=1).booking


# --- cancelling and moving ------------------------------------------------------------------


def _targets(series: BookingSeries, index: int, rest: bool, now: datetime) -> list[SeriesOccurrence]:
    occurrences = list(occurrences_of(series))
    if not any(o.index == index for o in occurrences):
        raise InvalidRequest(_("This series has no session %(n)s.") % {"n": index}, code="no_occurrence", field="index")
    chosen = [o for o in occurrences if (o.index >= index if rest else o.index == index)]
    chosen = [o for o in chosen if o.booking.is_active and o.booking.starts_at > now]
    if not chosen:
        raise Conflict(_("There is no upcoming, active session to change there."), code="not_changeable")
    return chosen


def _unpaid_at_once(series: BookingSeries) -> bool:
    return series.payment_mode == BookingSeries.AT_ONCE and anchor_booking(series).status == Booking.PENDING_PAYMENT


def cancel_occurrences(
    series: BookingSeries, index: int, by, *, rest: bool = False, reason: str = "", now: datetime | None = None
) -> list[bookings.CancellationResult]:
    """Cancel session ``index`` (with ``rest``: it and every later one) under the cancellation policy.

    All or nothing. Refunds follow the policy per session (payments listen to the
    cancellations; an at-once series refunds each session's share of its payment).
    """
    now = now or timezone.now()
    results = []
    with transaction.atomic():
        targets = _targets(series, index, rest, now)
        whole = rest and targets[0].index == 1
        if not whole and _unpaid_at_once(series):
            raise Conflict(
                _("This series is paid at once and not paid yet: pay for it, or cancel the whole series."),
                code="series_unpaid",
            )
        for occurrence in targets:
            results.append(bookings.cancel_booking(occurrence.booking, by, reason, now=now))
    return results


def reschedule_occurrences(
    series: BookingSeries, index: int, by, start: datetime, *, rest: bool = False, now: datetime | None = None
) -> list[Booking]:
    """Move session ``index`` to ``start`` (with ``rest``: every later one too, to the same weekday and local time).

    All or nothing: every new time is checked (with the sessions being moved left
    out), and the first one that cannot be had is named. Learners keep to the
    policy's reschedule window and count; mentors and staff may move any time.
    """
    now = now or timezone.now()
    policy = current_policy()
    mentor = series.mentor
    is_learner = by.pk == series.learner_id
    if not (is_learner or by.pk == series.mentor_id or by.is_staff):
        raise NotAllowed(_("Only the learner, the mentor or staff can move this series."))
    if start.tzinfo is None:
        raise InvalidRequest(_("Give the start with its UTC offset."), code="naive_datetime", field="start")
    if start <= now:
        raise InvalidRequest(_("The new start is in the past."), code="past_start", field="start")
    zone = availability.zone_of(mentor)
    settings = availability.Settings.of(availability.profile_for(mentor))
    with transaction.atomic():
        bookings.lock_users(mentor, series.learner)
        targets = _targets(series, index, rest, now)
        first = targets[0].booking
        shift_days = (start.astimezone(zone).date() - first.starts_at.astimezone(zone).date()).days
        new_time = start.astimezone(zone)
        minute = new_time.hour * 60 + new_time.minute
        moves: list[tuple[SeriesOccurrence, datetime, datetime]] = []
        for occurrence in targets:
            booking = bookings.lock_booking(occurrence.booking.pk)
            length = booking.ends_at - booking.starts_at
            if occurrence is targets[0]:
                new_start = start
            else:
                day = booking.starts_at.astimezone(zone).date() + timedelta(days=shift_days)
                new_start = availability.local_to_utc(day, minute, zone)
            if is_learner and not by.is_staff:
                if booking.starts_at - now < timedelta(hours=policy.reschedule_window_hours):
                    raise Conflict(
                        _("Session %(n)s can no longer be moved: bookings move until %(h)s hours before the start.")
                        % {"n": occurrence.index, "h": policy.reschedule_window_hours},
                        code="reschedule_window_closed",
                    )
                if booking.reschedule_count >= policy.max_reschedules:
                    raise Conflict(
                        _("Session %(n)s has been moved %(c)s times, the most allowed.")
                        % {"n": occurrence.index, "c": booking.reschedule_count},
                        code="too_many_reschedules",
                    )
            occurrence.booking = booking
            moves.append((occurrence, new_start, new_start + length))
        ignore = [o.booking.session_id for o, _s, _e in moves]
        for occurrence, new_start, new_end in moves:
            clash = clash_of(
                mentor, series.learner, new_start, new_end, settings=settings, now=now, ignore_sessions=ignore
            )
            if clash:
                planned = PlannedOccurrence(occurrence.index, new_start, new_end, clash)
                raise SeriesClash(planned, zone)
        # later first when moving later (earlier first otherwise): no transient overlap among our own sessions
        ordered = sorted(
            moves, key=lambda m: m[0].booking.starts_at, reverse=moves[0][1] > moves[0][0].booking.starts_at
        )
        moved = []
        try:
            with transaction.atomic():
                for occurrence, new_start, new_end in ordered:
                    booking = occurrence.booking
                    session = bookings.lock_session(booking.session_id)
                    session.starts_at, session.ends_at = new_start, new_end
                    session.save(update_fields=["starts_at", "ends_at", "updated_at"])
                    booking.starts_at, booking.ends_at = new_start, new_end
                    booking.reschedule_count += 1
                    booking.save(update_fields=["starts_at", "ends_at", "reschedule_count", "updated_at"])
                    bookings.announce_session(session, "rescheduled")
                    moved.append(booking)
        except IntegrityError:
            raise Conflict(_("That time was just taken; pick another."), code="slot_taken") from None
    return sorted(moved, key=lambda b: b.starts_at)


# --- paying at once --------------------------------------------------------------------------


def at_once_series(booking) -> BookingSeries | None:
    """The at-once series whose anchor ``booking`` is (its payment pays for the whole series)."""
    occurrence = (
        SeriesOccurrence.objects.select_related("series")
        .filter(booking_id=booking.pk, index=1, series__payment_mode=BookingSeries.AT_ONCE)
        .first()
    )
    return occurrence.series if occurrence else None


def series_price_minor(booking) -> int | None:
    """What an at-once anchor's payment pays for: every session of its series still held (None: not an anchor)."""
    series = at_once_series(booking)
    if series is None:
        return None
    held = Booking.objects.filter(
        series_occurrence__series=series, status__in=(Booking.PENDING_PAYMENT, Booking.CONFIRMED)
    )
    total = sum(held.values_list("price_minor", flat=True))
    return max(total, booking.price_minor)


def paid_by_anchor(booking) -> bool:
    """Whether ``booking`` is a later session of an at-once series (paid through its anchor, never on its own)."""
    return SeriesOccurrence.objects.filter(
        booking_id=booking.pk, index__gt=1, series__payment_mode=BookingSeries.AT_ONCE
    ).exists()


def confirm_paid_siblings(anchor: Booking, *, now: datetime | None = None) -> list[Booking]:
    """The anchor's payment went through: confirm the series' other sessions still waiting for it."""
    series = at_once_series(anchor)
    if series is None:
        return []
    confirmed = []
    for occurrence in occurrences_of(series).filter(index__gt=1):
        if occurrence.booking.status == Booking.PENDING_PAYMENT:
            confirmed.append(bookings.confirm_booking(occurrence.booking, now=now))
    return confirmed


def anchor_payment(booking):
    """The succeeded payment that paid for ``booking`` as part of an at-once series (None otherwise)."""
    from core.payments.models import Payment

    series = series_of(booking)
    if series is None or series.payment_mode != BookingSeries.AT_ONCE:
        return None
    anchor = anchor_booking(series)
    return Payment.objects.filter(booking=anchor, status=Payment.SUCCEEDED).order_by("succeeded_at", "pk").first()


def _refund_tag(booking: Booking) -> str:
    return f"[series booking {booking.pk}]"


def occurrence_refund_due(booking: Booking, payment) -> int:
    """This session's share of the policy refund of the one payment, less what was refunded for it already."""
    from core.payments.models import Refund
    from core.payments.services import ledger
    from core.pricing.models import PaymentBreakdown
    from core.pricing.services.split import charge_parts, policy_refund

    series = series_of(booking)
    percent = int(booking.refund_percent or 0)
    breakdown = PaymentBreakdown.objects.filter(payment=payment).first()
    if breakdown is None or not series.price_minor:
        share = booking.refund_minor or 0
    else:
        covered = max(1, breakdown.price_minor // series.price_minor)
        parts = charge_parts(breakdown, payment.commission_bp)
        share = policy_refund(parts, percent, breakdown.fee_refundable) // covered
    done = sum(
        Refund.objects.filter(
            payment=payment, status__in=Refund.COMMITTED_STATUSES, note__startswith=_refund_tag(booking)
        ).values_list("amount_minor", flat=True)
    )
    left = payment.amount_minor - ledger.committed_refunds_minor(payment)
    return max(0, min(share - done, left))


def refund_occurrence(booking: Booking):
    """Refund a cancelled session of an at-once series its share of the series' payment (safe to repeat)."""
    from core.payments.models import Refund
    from core.payments.services.refunds import refund_payment

    payment = anchor_payment(booking)
    if payment is None or booking.status not in (Booking.CANCELLED, Booking.NO_SHOW):
        return None
    due = occurrence_refund_due(booking, payment)
    if due <= 0:
        return None
    note = f"{_refund_tag(booking)} {booking.refund_percent or 0} % under the cancellation policy"
    refund = refund_payment(payment, due, reason=Refund.CANCELLATION, note=note)
    if refund.status == Refund.SUCCEEDED:
        with transaction.atomic():
            locked = bookings.lock_booking(booking.pk)
            if locked.status in (Booking.CANCELLED, Booking.NO_SHOW):
                bookings.transition(locked, Booking.REFUNDED)
    return refund


def extend_sibling_holds(anchor: Booking) -> None:
    """A bank transfer lengthened the anchor's hold: the sessions it pays for wait as long."""
    series = at_once_series(anchor)
    if series is None or anchor.hold_expires_at is None:
        return
    for occurrence in occurrences_of(series).filter(index__gt=1):
        bookings.extend_hold(occurrence.booking, anchor.hold_expires_at)


def _on_hold_extended(sender, booking, **kwargs) -> None:
    try:
        extend_sibling_holds(booking)
    except Exception:  # the anchor's own hold is extended already; log and carry on
        logger.exception("could not extend the series holds of booking %s", booking.pk)


hold_extended.connect(_on_hold_extended, dispatch_uid="scheduling.series.hold_extended")


def iter_upcoming(series_list: Iterable[BookingSeries], now: datetime | None = None) -> dict[int, int]:
    """Upcoming active sessions per series id (for lists)."""
    now = now or timezone.now()
    ids = [s.pk for s in series_list]
    counts: dict[int, int] = dict.fromkeys(ids, 0)
    for series_id in SeriesOccurrence.objects.filter(
        series_id__in=ids, booking__status__in=Booking.ACTIVE_STATUSES, booking__starts_at__gt=now
    ).values_list("series_id", flat=True):
        counts[series_id] += 1
    return counts
