"""Demo scheduling: availability in several zones, group sessions, bookings in every state.

Idempotent: a mentor's hours are only written when they have none, sessions are
found by (mentor, title) and bookings by (session, learner), so running
``seed_demo`` again adds nothing. Everything goes through the services (with a
``now`` in the past for history), so the demo data obeys the same rules as real
data: no clashes, the state machine, frozen prices.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone

from .models import Booking, DateOverride, SchedulingProfile, Session, WeeklyRule
from .services import availability, bookings, rules, sessions, waitlist
from .services.errors import SchedulingError

logger = logging.getLogger("peerlearn.scheduling")

# Weekly patterns (weekday, start, end) in each mentor's own zone.
PATTERNS = [
    [(d, "09:00", "12:00") for d in range(5)] + [(d, "14:00", "17:30") for d in range(5)],
    [(d, "18:00", "21:00") for d in (0, 1, 2, 3)] + [(5, "10:00", "14:00")],
    [(d, "07:00", "10:00") for d in range(6)],
    [(d, "12:00", "20:00") for d in (1, 3, 5)] + [(6, "09:00", "12:00")],
]
LENGTHS = [[30, 60], [60], [45, 90], [30, 60, 90]]

# (title, description, capacity, share of the mentor's hourly rate each seat pays, minutes)
GROUP_TITLES = [
    ("Weekly study circle", "Bring what you are working on; we solve problems together.", 3, 0.0, 90),
    ("Hands-on workshop", "A guided build from scratch, with exercises you keep.", 3, 0.4, 120),
    ("Q&A clinic", "Short answers to your questions, one after another.", 2, 0.3, 60),
]


def _group_price(mentor, minutes: int, share: float) -> tuple[int, str]:
    """A seat's price: ``share`` of the mentor's own hourly rate, in whole units of the mentor's currency."""
    from core.catalogue.services import mentor_rate

    from .currency import exponent

    hourly, currency = mentor_rate(mentor) or (3000, "USD")  # a mentor without a priced page yet
    if not share:
        return 0, currency
    unit = 10 ** exponent(currency)
    return max(unit, round(hourly * share * minutes / 60 / unit) * unit), currency


def _hm(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def _at(mentor, days: int, hour: int) -> datetime:
    """``days`` from today at ``hour`` o'clock on the mentor's clock (in UTC)."""
    zone = ZoneInfo(mentor.time_zone or "UTC")
    local = datetime.now(zone).replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=days)
    return local.astimezone(UTC)


def seed_availability(mentors) -> int:
    written = 0
    for index, mentor in enumerate(mentors):
        if WeeklyRule.objects.filter(mentor=mentor).exists():
            continue
        pattern = PATTERNS[index % len(PATTERNS)]
        week: dict[int, list] = {}
        for weekday, start, end in pattern:
            week.setdefault(weekday, []).append((_hm(start), _hm(end)))
        rules.set_weekly_rules(mentor, week)
        SchedulingProfile.objects.update_or_create(
            mentor=mentor,
            defaults={
                "min_notice_minutes": [120, 12 * 60, 24 * 60][index % 3],
                "horizon_days": [30, 60, 90][index % 3],
                "buffer_minutes": [0, 10, 15][index % 3],
                "slot_lengths": LENGTHS[index % len(LENGTHS)],
                "slot_step_minutes": 30,
            },
        )
        today = datetime.now(ZoneInfo(mentor.time_zone or "UTC")).date()
        rules.add_override(mentor, day=today + timedelta(days=9 + index % 5), kind=DateOverride.UNAVAILABLE, note="Off")
        rules.add_override(
            mentor,
            day=today + timedelta(days=4 + index % 3),
            kind=DateOverride.AVAILABLE,
            start=time(19, 0),
            end=time(21, 0),
            note="Extra evening",
        )
        written += 1
    return written


def _session(mentor, title: str, **kwargs) -> Session:
    existing = Session.objects.filter(mentor=mentor, title=title).first()
    if existing is not None:
        return existing
    return sessions.create_session(mentor, title=title, **kwargs)


def _book(session: Session, learner, *, now: datetime | None = None) -> Booking | None:
    existing = Booking.objects.filter(session=session, learner=learner).first()
    if existing is not None:
        return None
    try:
        return bookings.book_session(session, learner, now=now)
    except SchedulingError as exc:
        logger.info("demo: %s could not book %s: %s", learner, session, exc.message)
        return None


def seed_sessions(context) -> dict[str, int]:
    mentors, learners = context.mentors, context.learners
    if not mentors or len(learners) < 8:
        return {}
    made = 0
    # upcoming group sessions: free, priced, and one small one that fills up (waitlist). Each teaches
    # one of its mentor's own skills, priced in the mentor's own currency.
    for index, mentor in enumerate(mentors[:8]):
        own_skills = list(mentor.skills.order_by("name")) or list(context.skills)
        for offset, (title, description, capacity, share, minutes) in enumerate(GROUP_TITLES):
            if (index + offset) % 2:
                continue
            skill = own_skills[offset % len(own_skills)] if own_skills else None
            full_title = f"{title}: {skill.name}" if skill else title
            price, currency = _group_price(mentor, minutes, share)
            before = Session.objects.filter(mentor=mentor, title=full_title).exists()
            try:
                session = _session(
                    mentor,
                    full_title,
                    description=description,
                    skills=[skill] if skill else [],
                    start=_at(mentor, 3 + index + offset * 2, 17 + offset),
                    duration_minutes=minutes,
                    capacity=capacity,
                    price_minor=price,
                    currency=currency,
                )
            except SchedulingError as exc:
                logger.info("demo: no session %r for %s: %s", full_title, mentor, exc.message)
                continue
            made += 0 if before else 1
            seats = min(capacity, 2 + index % 3)
            for seat in range(seats):
                booking = _book(session, learners[(index * 3 + seat) % len(learners)])
                if booking is None:
                    continue
                if booking.status == Booking.PENDING_PAYMENT and seat < seats - 1:
                    bookings.confirm_booking(booking)  # as if paid; the last one still waits for payment
                elif seat == seats - 1 and booking.status == Booking.CONFIRMED and not price:
                    bookings.cancel_booking(booking, booking.learner, "Changed my plans")
    # a full small session with a queue
    mentor = mentors[0]
    clinic = Session.objects.filter(mentor=mentor, capacity__lte=3, status=Session.SCHEDULED).first()
    if clinic is not None:
        for learner in learners[:6]:
            if bookings.seats_left(clinic) > 0:
                _book(clinic, learner)
            else:
                try:
                    waitlist.join_waitlist(clinic, learner)
                except SchedulingError:
                    pass
    return {"sessions": made}


def seed_history(context) -> dict[str, int]:
    """Bookings in every state: confirmed, pending payment, completed, cancelled, expired, no-show, refunded."""
    mentors, learners = context.mentors, context.learners
    if len(mentors) < 4 or len(learners) < 8:
        return {}
    counts: dict[str, int] = {}
    now = timezone.now()
    mentor = mentors[1]
    title = "Past workshop: getting started"
    past = Session.objects.filter(mentor=mentor, title=title).first()
    if past is None:
        start = _at(mentor, -6, 18)
        then = start - timedelta(days=3)
        past_price, past_currency = _group_price(mentor, 60, 0.5)
        past = sessions.create_session(
            mentor,
            title=title,
            start=start,
            duration_minutes=60,
            capacity=3,
            price_minor=past_price,
            currency=past_currency,
            now=then,
        )
        # Three seats (a mesh room of four): the seats an unpaid hold and a cancellation free go to others.
        unpaid = bookings.book_session(past, learners[4], now=then)
        bookings.expire_booking(unpaid, now=then + timedelta(minutes=20))
        cancelled = bookings.confirm_booking(bookings.book_session(past, learners[5], now=then), now=then)
        bookings.cancel_booking(cancelled, learners[5], "Something came up", now=then + timedelta(hours=1))
        bookings.mark_refunded(cancelled, now=then + timedelta(hours=2))
        later = then + timedelta(hours=3)
        attended = [bookings.book_session(past, learner, now=later) for learner in learners[:3]]
        for booking in attended:
            bookings.confirm_booking(booking, now=later)
        sessions.start_session(past, mentor, now=start)
        bookings.mark_no_show(attended[2], mentor, now=start + timedelta(minutes=20))
        sessions.end_session(past, mentor, now=start + timedelta(minutes=60))
    # a past one-to-one, completed
    one_to_one = mentors[2]
    if not Session.objects.filter(mentor=one_to_one, title="1:1 review session").exists():
        start = _at(one_to_one, -3, 12)
        session = sessions.create_session(
            one_to_one, title="1:1 review session", start=start, duration_minutes=60, now=start - timedelta(days=1)
        )
        bookings.book_session(session, learners[6], now=start - timedelta(days=1))
        sessions.start_session(session, one_to_one, now=start)
        sessions.end_session(session, one_to_one, now=start + timedelta(minutes=60))
    # upcoming 1:1 slots booked from availability: one confirmed (free or paid later), one pending payment
    for mentor, learner in ((mentors[3], learners[7]), (mentors[0], learners[6])):
        if Booking.objects.filter(session__mentor=mentor, session__origin=Session.SLOT, learner=learner).exists():
            continue
        slots = availability.free_slots(mentor, now + timedelta(days=2), now + timedelta(days=14))
        for slot in slots:
            try:
                bookings.book_slot(mentor, learner, slot.start, slot.length_minutes)
                break
            except SchedulingError:
                continue
    for status, _label in Booking.STATUS_CHOICES:
        counts[f"bookings {status}"] = Booking.objects.filter(status=status).count()
    return counts


def seed(context) -> None:
    """Called by ``manage.py seed_demo`` after the people, pages and catalogue exist."""
    report = context.report.counts
    seed_availability(context.mentors)
    report["mentors with availability"] = (
        WeeklyRule.objects.filter(mentor__in=context.mentors).values("mentor").distinct().count()
    )
    report.update(seed_sessions(context))
    report.update(seed_history(context))
    report["sessions"] = Session.objects.count()
