"""The booking state machine and the services that drive it (SQLite or PostgreSQL, same code path)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.scheduling.models import Booking, Session
from core.scheduling.services import bookings as svc
from core.scheduling.services.errors import Conflict, IllegalTransition, InvalidRequest, NotAllowed
from core.scheduling.services.sessions import cancel_session, end_session, start_session, sweep_sessions
from core.scheduling.signals import booking_transitioned, session_changed

pytestmark = pytest.mark.django_db


@pytest.fixture
def heard():
    """Everything the scheduling signals said (after commit)."""
    said: list[tuple] = []

    def on_booking(sender, booking, old_status, new_status, actor, **kw):
        said.append(("booking", booking.pk, old_status, new_status, getattr(actor, "pk", None)))

    def on_session(sender, session, change, **kw):
        said.append(("session", session.pk, change))

    booking_transitioned.connect(on_booking, weak=False)
    session_changed.connect(on_session, weak=False)
    yield said
    booking_transitioned.disconnect(on_booking)
    session_changed.disconnect(on_session)


def test_transition_table_allows_only_the_machine():
    legal = {(old, new) for old, targets in svc.TRANSITIONS.items() for new in targets}
    assert ("pending_payment", "confirmed") in legal
    assert ("confirmed", "pending_payment") not in legal
    assert all(not svc.TRANSITIONS[s] for s in ("expired", "completed", "refunded"))
    assert set(svc.TRANSITIONS) == {value for value, _ in Booking.STATUS_CHOICES}


def test_transition_outside_a_transaction_is_refused(mentor_factory, learner, session_factory):
    booking = svc.book_session(session_factory(mentor_factory()), learner)
    with pytest.raises(RuntimeError):
        # pytest-django wraps each test in a transaction: leave it for the check
        from django.db import transaction

        connection = transaction.get_connection()
        saved = connection.in_atomic_block
        connection.in_atomic_block = False
        try:
            svc.transition(booking, Booking.COMPLETED)
        finally:
            connection.in_atomic_block = saved


def test_free_session_confirms_at_once(
    mentor_factory, learner, session_factory, heard, django_capture_on_commit_callbacks
):
    session = session_factory(mentor_factory())
    with django_capture_on_commit_callbacks(execute=True):
        booking = svc.book_session(session, learner)
    assert booking.status == Booking.CONFIRMED and booking.hold_expires_at is None
    assert booking.starts_at == session.starts_at and booking.price_minor == 0
    assert ("booking", booking.pk, None, "confirmed", learner.pk) in heard


def test_priced_session_holds_the_seat_pending_payment(mentor_factory, learner, session_factory):
    session = session_factory(mentor_factory(), price_minor=2500, currency="USD")
    before = datetime.now(UTC)
    booking = svc.book_session(session, learner)
    assert booking.status == Booking.PENDING_PAYMENT
    assert (booking.price_minor, booking.currency) == (2500, "USD")
    assert before + timedelta(minutes=14) < booking.hold_expires_at <= datetime.now(UTC) + timedelta(minutes=15)
    # the price is frozen: changing the session later does not change the booking
    Session.objects.filter(pk=session.pk).update(price_minor=9900)
    booking.refresh_from_db()
    assert booking.price_minor == 2500


def test_confirm_then_illegal_moves_raise(
    mentor_factory, learner, session_factory, heard, django_capture_on_commit_callbacks
):
    session = session_factory(mentor_factory(), price_minor=1000)
    booking = svc.book_session(session, learner)
    with django_capture_on_commit_callbacks(execute=True):
        svc.confirm_booking(booking, by=None)
    assert booking.status == Booking.CONFIRMED and booking.hold_expires_at is None and booking.confirmed_at
    assert ("booking", booking.pk, "pending_payment", "confirmed", None) in heard
    svc.confirm_booking(booking)  # a webhook retried: no-op
    with pytest.raises(IllegalTransition) as info:
        svc.expire_booking(booking)
    assert info.value.old == "confirmed" and info.value.new == "expired"
    with pytest.raises(IllegalTransition):
        svc.mark_refunded(booking)
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED


def test_domain_events_reach_plugins_after_commit(
    mentor_factory, learner, session_factory, monkeypatch, django_capture_on_commit_callbacks
):
    from core.plugins.manager import get_manager

    events = []
    manager = get_manager()
    call = manager.call

    def record(hook, site_id=None, **kw):
        if hook != "peerlearn_event":
            return call(hook, site_id=site_id, **kw)  # publishing asks the video backends for their size
        events.append(kw["event"])
        return []

    monkeypatch.setattr(manager, "call", record)
    session = session_factory(mentor_factory(), price_minor=1000)
    with django_capture_on_commit_callbacks(execute=True):
        booking = svc.book_session(session, learner)
        svc.confirm_booking(booking)
        svc.cancel_booking(booking, learner)
    names = [e.name for e in events]
    assert names == ["booking.created", "booking.confirmed", "booking.cancelled"]
    assert events[-1].payload["booking_id"] == booking.pk and events[-1].payload["refund_minor"] == 1000


def test_own_session_inactive_and_started(mentor_factory, learner, session_factory):
    mentor = mentor_factory()
    session = session_factory(mentor)
    with pytest.raises(NotAllowed) as info:
        svc.book_session(session, mentor)
    assert info.value.code == "own_session"
    past = Session.objects.create(
        mentor=mentor,
        title="Past",
        starts_at=datetime.now(UTC) - timedelta(hours=1),
        ends_at=datetime.now(UTC),
    )
    with pytest.raises(Conflict) as info:
        svc.book_session(past, learner)
    assert info.value.code == "not_bookable"
    assert not Booking.objects.exists()


def test_capacity_and_double_seat(mentor_factory, user_factory, session_factory):
    session = session_factory(mentor_factory(), capacity=2)
    first, second, third = (user_factory() for _ in range(3))
    svc.book_session(session, first)
    with pytest.raises(Conflict) as info:
        svc.book_session(session, first)
    assert info.value.code == "already_booked"
    svc.book_session(session, second)
    with pytest.raises(Conflict) as info:
        svc.book_session(session, third)
    assert info.value.code == "no_seat" and info.value.status == 409
    assert Booking.objects.active().filter(session=session).count() == 2


def test_learner_cannot_hold_overlapping_bookings(mentor_factory, learner, session_factory):
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    a = session_factory(mentor_factory(), start=start, minutes=60)
    b = session_factory(mentor_factory(), start=start + timedelta(minutes=30), minutes=60)
    c = session_factory(mentor_factory(), start=start + timedelta(minutes=60), minutes=60)
    svc.book_session(a, learner)
    with pytest.raises(Conflict) as info:
        svc.book_session(b, learner)
    assert info.value.code == "learner_clash"
    svc.book_session(c, learner)  # back to back is fine


def test_book_slot_creates_a_one_to_one_session(
    mentor_factory, learner, user_factory, heard, django_capture_on_commit_callbacks
):
    mentor = mentor_factory("America/New_York", lengths=[30, 60], step=30)
    local = (datetime.now(UTC) + timedelta(days=2)).astimezone(ZoneInfo("America/New_York"))
    start = local.replace(hour=10, minute=30, second=0, microsecond=0).astimezone(UTC)
    with django_capture_on_commit_callbacks(execute=True):
        booking = svc.book_slot(mentor, learner, start, 30)
    session = booking.session
    assert session.origin == Session.SLOT and session.capacity == 1 and session.mentor == mentor
    assert (session.starts_at, session.ends_at) == (start, start + timedelta(minutes=30))
    assert booking.status == Booking.CONFIRMED  # the mentor has no priced page: free
    assert ("session", session.pk, "created") in heard
    # the same slot again: taken (409), a time outside the hours: 400, a length not offered: 400
    other = user_factory()
    with pytest.raises(Conflict) as info:
        svc.book_slot(mentor, other, start, 30)
    assert info.value.code == "slot_taken"
    with pytest.raises(InvalidRequest) as info:
        svc.book_slot(mentor, other, start.replace(hour=3), 30)
    assert (info.value.code, info.value.field) == ("outside_availability", "start")
    with pytest.raises(InvalidRequest) as info:
        svc.book_slot(mentor, other, start + timedelta(hours=2), 45)
    assert info.value.field == "duration_minutes"
    with pytest.raises(InvalidRequest) as info:
        svc.book_slot(mentor, other, datetime.now(UTC) - timedelta(hours=1), 30)
    assert info.value.code == "past_start"
    with pytest.raises(NotAllowed):
        svc.book_slot(mentor, mentor, start + timedelta(hours=2), 30)
    assert Session.objects.count() == 1


def test_slot_price_follows_the_mentors_rate(mentor_factory, learner, monkeypatch):
    import core.catalogue.services as catalogue

    mentor = mentor_factory("UTC", lengths=[30, 90], step=30)
    monkeypatch.setattr(catalogue, "mentor_rate", lambda user: (4000, "USD") if user.pk == mentor.pk else None)
    assert svc.slot_price(mentor, 90) == (6000, "USD")
    assert svc.slot_price(mentor, 30) == (2000, "USD")
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    booking = svc.book_slot(mentor, learner, start, 90)
    assert booking.status == Booking.PENDING_PAYMENT and (booking.price_minor, booking.currency) == (6000, "USD")


def test_unpaid_holds_expire_and_free_the_slot(
    mentor_factory, learner, user_factory, session_factory, monkeypatch, heard, django_capture_on_commit_callbacks
):
    import core.catalogue.services as catalogue

    mentor = mentor_factory("UTC")
    monkeypatch.setattr(catalogue, "mentor_rate", lambda user: (3000, "EUR"))
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    slot_booking = svc.book_slot(mentor, learner, start, 60)
    group = session_factory(mentor_factory(), capacity=1, price_minor=500, hours=100)
    group_booking = svc.book_session(group, user_factory())
    assert svc.expire_holds() == 0  # holds still running
    later = datetime.now(UTC) + timedelta(minutes=16)
    with django_capture_on_commit_callbacks(execute=True):
        assert svc.expire_holds(now=later) == 2
    slot_booking.refresh_from_db()
    group_booking.refresh_from_db()
    assert slot_booking.status == group_booking.status == Booking.EXPIRED
    assert slot_booking.closed_at == later
    # the slot session goes with its only booking; the published one stays, seat free again
    assert Session.objects.get(pk=slot_booking.session_id).status == Session.CANCELLED
    assert Session.objects.get(pk=group.pk).status == Session.SCHEDULED
    assert ("session", slot_booking.session_id, "cancelled") in heard
    assert svc.seats_left(group) == 1
    svc.book_slot(mentor, user_factory(), start, 60)  # the time is bookable again


def test_expiry_task_runs_through_celery(mentor_factory, learner, session_factory):
    from core.scheduling import tasks

    booking = svc.book_session(session_factory(mentor_factory(), price_minor=100), learner)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert tasks.expire_holds.apply().get() == 1
    booking.refresh_from_db()
    assert booking.status == Booking.EXPIRED


@pytest.mark.parametrize(
    ("hours_before", "by", "expected_percent"),
    [(48, "learner", 100), (23, "learner", 50), (2, "learner", 50), (2, "mentor", 100), (2, "staff", 100)],
)
def test_cancellation_refund_share_follows_the_policy(
    mentor_factory, learner, user_factory, session_factory, hours_before, by, expected_percent
):
    mentor = mentor_factory()
    session = session_factory(mentor, hours=hours_before, price_minor=3333, capacity=3)
    booking = svc.book_session(session, learner)
    svc.confirm_booking(booking)
    actor = {"learner": learner, "mentor": mentor, "staff": user_factory(is_staff=True)}[by]
    result = svc.cancel_booking(booking, actor, "cannot make it")
    assert result.refund_percent == expected_percent
    assert result.refund_minor == 3333 * expected_percent // 100 == booking.refund_minor
    assert booking.status == Booking.CANCELLED and booking.cancelled_by == actor
    assert booking.cancel_reason == "cannot make it"
    assert not result.session_cancelled


def test_cancelling_an_unpaid_booking_refunds_nothing(mentor_factory, learner, session_factory):
    booking = svc.book_session(session_factory(mentor_factory(), price_minor=3000), learner)
    result = svc.cancel_booking(booking, learner)
    assert (result.refund_percent, result.refund_minor) == (0, 0)


def test_a_stranger_cannot_cancel_and_nothing_changes(mentor_factory, learner, user_factory, session_factory):
    booking = svc.book_session(session_factory(mentor_factory()), learner)
    with pytest.raises(NotAllowed):
        svc.cancel_booking(booking, user_factory())
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    svc.cancel_booking(booking, learner)
    with pytest.raises(IllegalTransition):
        svc.cancel_booking(booking, learner)


def test_mentor_cancels_the_session_for_everyone(
    mentor_factory, user_factory, session_factory, heard, django_capture_on_commit_callbacks
):
    mentor = mentor_factory()
    session = session_factory(mentor, capacity=3, price_minor=1200)
    paid, unpaid = user_factory(), user_factory()
    svc.confirm_booking(svc.book_session(session, paid))
    svc.book_session(session, unpaid)
    with pytest.raises(NotAllowed):
        cancel_session(session, paid)
    with django_capture_on_commit_callbacks(execute=True):
        result = cancel_session(session, mentor, "ill")
    session.refresh_from_db()
    assert session.status == Session.CANCELLED and session.cancel_reason == "ill"
    assert result.session_cancelled and result.refund_minor == 1200
    assert sorted(b.refund_minor for b in result.bookings) == [0, 1200]
    assert set(Booking.objects.filter(session=session).values_list("status", flat=True)) == {"cancelled"}
    assert ("session", session.pk, "cancelled") in heard


def test_start_window_end_and_completion(
    mentor_factory, user_factory, learner, session_factory, heard, django_capture_on_commit_callbacks
):
    mentor = mentor_factory()
    session = session_factory(mentor, hours=1, capacity=2, price_minor=100)
    paid = svc.book_session(session, learner)
    svc.confirm_booking(paid)
    unpaid = svc.book_session(session, user_factory())
    with pytest.raises(Conflict) as info:
        start_session(session, mentor)  # an hour early: the window opens 10 minutes before
    assert info.value.code == "outside_start_window"
    with pytest.raises(NotAllowed):
        start_session(session, learner, now=session.starts_at)
    with pytest.raises(NotAllowed):
        start_session(session, mentor_factory(), now=session.starts_at)
    with django_capture_on_commit_callbacks(execute=True):
        started = start_session(session, mentor, now=session.starts_at - timedelta(minutes=5))
        assert started.status == Session.IN_PROGRESS
        ended = end_session(session, mentor, now=session.ends_at)
    assert ended.status == Session.COMPLETED
    paid.refresh_from_db()
    unpaid.refresh_from_db()
    assert (paid.status, unpaid.status) == (Booking.COMPLETED, Booking.EXPIRED)
    assert ("session", session.pk, "started") in heard and ("session", session.pk, "ended") in heard


def test_no_show_rules(mentor_factory, learner, session_factory):
    mentor = mentor_factory()
    session = session_factory(mentor, hours=1, price_minor=2000)
    booking = svc.confirm_booking(svc.book_session(session, learner))
    with pytest.raises(InvalidRequest):
        svc.mark_no_show(booking, mentor, now=session.starts_at + timedelta(minutes=5))
    with pytest.raises(NotAllowed):
        svc.mark_no_show(booking, learner, now=session.starts_at + timedelta(minutes=15))
    svc.mark_no_show(booking, mentor, now=session.starts_at + timedelta(minutes=15))
    assert booking.status == Booking.NO_SHOW and booking.refund_minor == 0
    svc.mark_refunded(booking)
    assert booking.status == Booking.REFUNDED


def test_sweep_cancels_sessions_the_mentor_never_started_and_ends_overruns(mentor_factory, learner, session_factory):
    mentor = mentor_factory()
    forgotten = session_factory(mentor, hours=1, price_minor=900)
    booking = svc.confirm_booking(svc.book_session(forgotten, learner))
    empty = session_factory(mentor, hours=3)
    running = session_factory(mentor_factory(), hours=1)
    start_session(running, running.mentor, now=running.starts_at)
    counts = sweep_sessions(now=datetime.now(UTC) + timedelta(hours=6))
    assert counts == {"mentor_no_show": 1, "lapsed": 1, "ended": 1}
    booking.refresh_from_db()
    assert booking.status == Booking.CANCELLED and booking.refund_minor == 900 and booking.refund_percent == 100
    assert Session.objects.get(pk=forgotten.pk).cancel_reason == "mentor_no_show"
    assert Session.objects.get(pk=empty.pk).status == Session.CANCELLED
    assert Session.objects.get(pk=running.pk).status == Session.COMPLETED


def test_create_session_refuses_clashes_and_bad_input(mentor_factory, user_factory, session_factory):
    from core.scheduling.services.sessions import create_session

    mentor = mentor_factory()
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    session_factory(mentor, start=start, minutes=60)
    with pytest.raises(Conflict) as info:
        session_factory(mentor, start=start + timedelta(minutes=30))
    assert info.value.code == "mentor_clash"
    cases = [
        ({"start": datetime.now(UTC) - timedelta(minutes=1)}, "start"),
        ({"capacity": 0}, "capacity"),
        ({"duration_minutes": 5}, "duration_minutes"),
        ({"currency": "XYZ"}, "currency"),
        ({"title": "  "}, "title"),
    ]
    for change, field in cases:
        kwargs = {"title": "T", "start": start + timedelta(days=1), "duration_minutes": 60, "capacity": 1, **change}
        with pytest.raises(InvalidRequest) as info:
            create_session(mentor, **kwargs)
        assert info.value.field == field
    with pytest.raises(NotAllowed):
        create_session(user_factory(), title="T", start=start + timedelta(days=1), duration_minutes=60)
    assert Session.objects.count() == 1
