"""The waitlist (offer, timeout, next in line) and rescheduling (policy, all or nothing)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.scheduling.models import Booking, SchedulingPolicy, Session, WaitlistEntry
from core.scheduling.services import bookings as svc
from core.scheduling.services import waitlist
from core.scheduling.services.errors import Conflict, InvalidRequest, NotAllowed
from core.scheduling.signals import waitlist_offered

pytestmark = pytest.mark.django_db


@pytest.fixture
def offers():
    heard = []

    def listener(sender, entry, **kw):
        heard.append(entry.learner_id)

    waitlist_offered.connect(listener, weak=False)
    yield heard
    waitlist_offered.disconnect(listener)


def test_freed_seat_is_offered_in_order_then_times_out_to_the_next(
    mentor_factory, session_factory, user_factory, offers, django_capture_on_commit_callbacks
):
    session = session_factory(mentor_factory(), capacity=1, hours=72, price_minor=1500)
    holder, first, second = user_factory(), user_factory(), user_factory()
    booking = svc.confirm_booking(svc.book_session(session, holder))
    entry1, created = waitlist.join_waitlist(session, first)
    entry2, _ = waitlist.join_waitlist(session, second)
    assert created and waitlist.position(entry1) == 1 and waitlist.position(entry2) == 2
    with django_capture_on_commit_callbacks(execute=True):
        svc.cancel_booking(booking, holder)
    entry1.refresh_from_db()
    entry2.refresh_from_db()
    assert entry1.status == WaitlistEntry.OFFERED and entry2.status == WaitlistEntry.WAITING
    assert offers == [first.pk]
    minutes = SchedulingPolicy().waitlist_offer_minutes
    assert entry1.offer_expires_at - entry1.offered_at == timedelta(minutes=minutes)
    # nobody else can take the offered seat, not even the second in line
    with pytest.raises(Conflict):
        svc.book_session(session, second)
    # the offer lapses: it goes to the next person
    later = entry1.offer_expires_at + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert waitlist.expire_offers(now=later) == 1
    entry1.refresh_from_db()
    entry2.refresh_from_db()
    assert entry1.status == WaitlistEntry.LAPSED and entry2.status == WaitlistEntry.OFFERED
    assert offers == [first.pk, second.pk]
    with pytest.raises(Conflict) as info:
        waitlist.accept_offer(entry1, first, now=later)
    assert info.value.code == "no_offer"
    with pytest.raises(NotAllowed):
        waitlist.accept_offer(entry2, first, now=later)
    booked = waitlist.accept_offer(entry2, second, now=later)
    assert booked.status == Booking.PENDING_PAYMENT and booked.price_minor == 1500
    entry2.refresh_from_db()
    assert entry2.status == WaitlistEntry.ACCEPTED and entry2.booking_id == booked.pk


def test_an_offer_cannot_be_taken_after_it_expired(mentor_factory, session_factory, user_factory):
    session = session_factory(mentor_factory(), capacity=1, hours=72)
    holder, waiting = user_factory(), user_factory()
    booking = svc.book_session(session, holder)
    entry, _ = waitlist.join_waitlist(session, waiting)
    svc.cancel_booking(booking, holder)
    entry.refresh_from_db()
    with pytest.raises(Conflict) as info:
        waitlist.accept_offer(entry, waiting, now=entry.offer_expires_at + timedelta(minutes=1))
    assert info.value.code == "offer_expired"
    assert not Booking.objects.filter(learner=waiting).exists()


def test_offer_timeout_task_via_celery(mentor_factory, session_factory, user_factory):
    from core.scheduling import tasks

    session = session_factory(mentor_factory(), capacity=1, hours=72)
    holder, waiting = user_factory(), user_factory()
    booking = svc.book_session(session, holder)
    entry, _ = waitlist.join_waitlist(session, waiting)
    svc.cancel_booking(booking, holder)
    WaitlistEntry.objects.filter(pk=entry.pk).update(offer_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert tasks.expire_waitlist_offers.apply().get() == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.LAPSED
    # with nobody left waiting, the seat is simply free again
    assert svc.seats_left(session) == 1


def test_an_expired_hold_offers_the_seat_and_cancelling_the_session_closes_the_queue(
    mentor_factory, session_factory, user_factory
):
    mentor = mentor_factory()
    session = session_factory(mentor, capacity=1, hours=72, price_minor=100)
    svc.book_session(session, user_factory())
    entry, _ = waitlist.join_waitlist(session, user_factory())
    assert svc.expire_holds(now=datetime.now(UTC) + timedelta(hours=1)) == 1
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.OFFERED
    from core.scheduling.services.sessions import cancel_session

    cancel_session(session, mentor)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.CLOSED


def test_leaving_with_an_offer_passes_it_on(mentor_factory, session_factory, user_factory):
    session = session_factory(mentor_factory(), capacity=1, hours=72)
    holder, first, second = user_factory(), user_factory(), user_factory()
    booking = svc.book_session(session, holder)
    entry1, _ = waitlist.join_waitlist(session, first)
    entry2, _ = waitlist.join_waitlist(session, second)
    svc.cancel_booking(booking, holder)
    with pytest.raises(NotAllowed):
        waitlist.leave_waitlist(entry1, second)
    waitlist.leave_waitlist(entry1, first)
    entry2.refresh_from_db()
    assert entry2.status == WaitlistEntry.OFFERED


# --- rescheduling -----------------------------------------------------------------------------


def _slot(days: int, hour: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


def test_learner_moves_a_one_to_one_within_the_policy(mentor_factory, learner, django_capture_on_commit_callbacks):
    from core.scheduling.signals import session_changed

    changes = []

    def listener(sender, session, change, **kw):
        changes.append(change)

    session_changed.connect(listener)  # a weak reference: gone with this test
    mentor = mentor_factory("UTC")
    booking = svc.book_slot(mentor, learner, _slot(3, 10), 60)
    with django_capture_on_commit_callbacks(execute=True):
        svc.reschedule_booking(booking, learner, start=_slot(3, 11))  # overlaps its own old time: fine
    assert (booking.starts_at, booking.reschedule_count) == (_slot(3, 11), 1)
    assert Session.objects.get(pk=booking.session_id).ends_at == _slot(3, 12)
    assert "rescheduled" in changes
    svc.reschedule_booking(booking, learner, start=_slot(4, 9))
    with pytest.raises(Conflict) as info:  # the policy allows two moves
        svc.reschedule_booking(booking, learner, start=_slot(4, 14))
    assert info.value.code == "too_many_reschedules"
    svc.reschedule_booking(booking, mentor, start=_slot(4, 14))  # the mentor is not counted against
    assert booking.starts_at == _slot(4, 14)


def test_rescheduling_is_all_or_nothing(mentor_factory, learner, user_factory, session_factory):
    mentor = mentor_factory("UTC")
    booking = svc.book_slot(mentor, learner, _slot(3, 10), 60)
    other = svc.book_slot(mentor, user_factory(), _slot(3, 14), 60)
    # the learner is busy elsewhere at 16:00
    elsewhere = session_factory(mentor_factory("UTC"), start=_slot(3, 16), minutes=60)
    svc.book_session(elsewhere, learner)
    cases = [
        (_slot(3, 14), InvalidRequest),  # someone else's booking: not a free slot
        (_slot(3, 3), InvalidRequest),  # outside the hours
        (_slot(3, 16), Conflict),  # clashes with the learner's own booking
        (datetime.now(UTC) - timedelta(hours=2), InvalidRequest),
    ]
    for start, error in cases:
        with pytest.raises(error):
            svc.reschedule_booking(booking, learner, start=start)
        booking.refresh_from_db()
        session = Session.objects.get(pk=booking.session_id)
        assert booking.starts_at == session.starts_at == _slot(3, 10) and booking.reschedule_count == 0
    assert Session.objects.get(pk=other.session_id).starts_at == _slot(3, 14)
    with pytest.raises(NotAllowed):
        svc.reschedule_booking(booking, user_factory(), start=_slot(3, 12))


def test_reschedule_window_closes(mentor_factory, learner):
    mentor = mentor_factory("UTC")
    booking = svc.book_slot(mentor, learner, _slot(3, 10), 60)
    late = booking.starts_at - timedelta(hours=2)
    with pytest.raises(Conflict) as info:
        svc.reschedule_booking(booking, learner, start=_slot(3, 12), now=late)
    assert info.value.code == "reschedule_window_closed"


def test_a_group_seat_moves_to_another_session(mentor_factory, session_factory, learner, user_factory):
    mentor = mentor_factory()
    monday = session_factory(mentor, capacity=2, hours=72, price_minor=500)
    tuesday = session_factory(mentor, capacity=2, hours=96, price_minor=500)
    pricier = session_factory(mentor, capacity=2, hours=120, price_minor=900)
    booking = svc.book_session(monday, learner)
    svc.book_session(monday, user_factory())
    waiting, _ = waitlist.join_waitlist(monday, user_factory())
    with pytest.raises(InvalidRequest) as info:
        svc.reschedule_booking(booking, learner, target_session=pricier)
    assert info.value.code == "price_differs"
    with pytest.raises(InvalidRequest):
        svc.reschedule_booking(booking, learner, start=_slot(5, 10))  # a group seat needs a session
    svc.reschedule_booking(booking, learner, target_session=tuesday)
    assert booking.session_id == tuesday.pk and booking.starts_at == tuesday.starts_at
    waiting.refresh_from_db()
    assert waiting.status == WaitlistEntry.OFFERED  # the freed Monday seat went to the waitlist


def test_a_live_offer_holds_the_seat_for_its_learner_only(mentor_factory, session_factory, user_factory):
    """seats_left and seat_counts (one SQL statement each) count active bookings and live offers to others."""
    session = session_factory(mentor_factory(), capacity=2, hours=72)
    first, holder, waiting, other = user_factory(), user_factory(), user_factory(), user_factory()
    svc.book_session(session, first)
    booking = svc.book_session(session, holder)
    entry, _ = waitlist.join_waitlist(session, waiting)
    svc.cancel_booking(booking, holder)
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.OFFERED
    assert svc.seats_left(session, for_learner=waiting) == 1
    assert svc.seats_left(session, for_learner=other) == svc.seats_left(session) == 0
    assert svc.seat_counts([session.pk]) == {session.pk: (1, 0)}
    WaitlistEntry.objects.filter(pk=entry.pk).update(offer_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert svc.seats_left(session, for_learner=other) == 1
    assert svc.seat_counts([session.pk, 10**9]) == {session.pk: (1, 1)}
    assert svc.seat_counts([]) == {}
