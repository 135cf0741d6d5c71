"""A hold ends at its deadline with no worker running: whoever reads it next sees it expired.

No test here calls the Celery sweep (``expire_holds``): availability, booking,
payment start, the booking page and the API each find the lapsed hold expired.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.scheduling.middleware import forget_hold_deadline
from core.scheduling.models import Booking, Session
from core.scheduling.services import availability
from core.scheduling.services import bookings as svc

pytestmark = pytest.mark.django_db


def _lapse(booking: Booking) -> None:
    """The hold ran out a minute ago (time passing, without any sweep).

    The clock cannot jump back here, so the deadline pages cached is from before the jump: forgotten.
    """
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=datetime.now(UTC) - timedelta(minutes=1))
    forget_hold_deadline()


@pytest.fixture
def priced(monkeypatch):
    import core.catalogue.services as catalogue

    monkeypatch.setattr(catalogue, "mentor_rate", lambda user: (3000, "EUR"))


def _slot_start() -> datetime:
    return (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)


def test_a_lapsed_slot_hold_frees_the_time_in_availability(mentor_factory, learner, priced):
    mentor = mentor_factory("UTC")
    start = _slot_start()
    held = svc.book_slot(mentor, learner, start, 60)
    window = (start, start + timedelta(hours=1))
    assert availability.Slot(start, start + timedelta(hours=1)) not in availability.free_slots(mentor, *window)
    _lapse(held)
    assert availability.Slot(start, start + timedelta(hours=1)) in availability.free_slots(mentor, *window)
    held.refresh_from_db()
    assert held.status == Booking.EXPIRED
    assert Session.objects.get(pk=held.session_id).status == Session.CANCELLED
    assert mentor.pk in availability.mentors_with_free_time([mentor.pk], 7)


def test_another_learner_books_the_time_of_a_lapsed_hold(mentor_factory, learner, user_factory, priced):
    mentor = mentor_factory("UTC")
    start = _slot_start()
    held = svc.book_slot(mentor, learner, start, 60)
    _lapse(held)
    other = svc.book_slot(mentor, user_factory(), start, 60)
    assert other.status == Booking.PENDING_PAYMENT
    held.refresh_from_db()
    assert held.status == Booking.EXPIRED


def test_the_same_learner_books_again_after_their_hold_lapsed(mentor_factory, learner, session_factory):
    session = session_factory(mentor_factory(), capacity=1, price_minor=500)
    held = svc.book_session(session, learner)
    _lapse(held)
    again = svc.book_session(session, learner)
    assert again.pk != held.pk and again.status == Booking.PENDING_PAYMENT
    assert Booking.objects.get(pk=held.pk).status == Booking.EXPIRED


def test_a_full_group_seat_comes_free_when_its_hold_lapses(mentor_factory, learner, user_factory, session_factory):
    session = session_factory(mentor_factory(), capacity=1, price_minor=500)
    held = svc.book_session(session, learner)
    with pytest.raises(svc.Conflict):
        svc.book_session(session, user_factory())
    _lapse(held)
    assert svc.book_session(session, user_factory()).status == Booking.PENDING_PAYMENT


def test_pages_and_the_api_read_a_lapsed_hold_as_expired(client, api_client, mentor_factory, learner, session_factory):
    session = session_factory(mentor_factory(), price_minor=500)
    held = svc.book_session(session, learner)
    client.force_login(learner)
    page = client.get(f"/schedule/bookings/{held.pk}/")
    assert "Your seat is held until" in page.content.decode()
    _lapse(held)
    page = client.get(f"/schedule/bookings/{held.pk}/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "Your seat is held until" not in body and "Expired" in body
    second = svc.book_session(session_factory(mentor_factory(), price_minor=500), learner)
    _lapse(second)
    api_client.force_authenticate(learner)
    answer = api_client.get("/api/bookings/")
    statuses = {row["id"]: row["status"] for row in answer.json()["results"]}
    assert statuses[second.pk] == Booking.EXPIRED


def test_the_sweep_only_tidies_what_nobody_read(mentor_factory, learner, session_factory):
    held = svc.book_session(session_factory(mentor_factory(), price_minor=500), learner)
    assert svc.expire_due_holds(bookings=[held.pk]) == 0  # still running
    _lapse(held)
    svc.book_session(session_factory(mentor_factory(), price_minor=500), learner)  # reads the learner's holds
    assert svc.expire_holds() == 0  # nothing left for the sweep
    assert Booking.objects.get(pk=held.pk).status == Booking.EXPIRED


def test_a_longer_hold_for_a_transfer_is_announced_with_its_date(
    mentor_factory, learner, session_factory, django_capture_on_commit_callbacks
):
    from core.notifications.models import Notification

    held = svc.book_session(session_factory(mentor_factory(), price_minor=500, hours=200), learner)
    until = datetime.now(UTC) + timedelta(hours=72)
    with django_capture_on_commit_callbacks(execute=True):
        svc.extend_hold(held, until)
    note = Notification.objects.filter(user=learner, kind="booking.hold_extended").get()
    local = until.astimezone(__import__("zoneinfo").ZoneInfo("Europe/Berlin"))
    assert f"{local:%a} {local.day} {local:%b}, {local:%H:%M}" in note.body


def test_pages_look_for_lapsed_holds_only_when_one_may_have_run_out(client, learner, mentor_factory, session_factory):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def booking_queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            client.get("/no-such-page/")
        return sum('"scheduling_booking"' in query["sql"] for query in captured)

    assert booking_queries() == 2  # expire what is due, then find the next deadline
    assert booking_queries() == 0  # the next deadline is cached: no query
    held = svc.book_session(session_factory(mentor_factory(), price_minor=500), learner)
    assert booking_queries() == 2  # a new hold: look again
    assert booking_queries() == 0
    _lapse(held)
    client.get("/no-such-page/")
    assert Booking.objects.get(pk=held.pk).status == Booking.EXPIRED


def test_a_process_trusts_the_deadline_it_read_for_seconds_and_never_past_it():
    from django.core.cache import cache

    from core.scheduling import middleware

    now = datetime.now(UTC)
    cache.set(middleware.DEADLINE_KEY, (now + timedelta(seconds=2)).timestamp())
    assert not middleware.holds_may_have_lapsed(now)
    cache.delete(middleware.DEADLINE_KEY)  # as another process does when a hold is taken there
    assert not middleware.holds_may_have_lapsed(now + timedelta(seconds=1))  # remembered: no cache read
    assert middleware.holds_may_have_lapsed(now + timedelta(seconds=2))  # at the deadline it reads (nothing: look)

    forget_hold_deadline()
    cache.set(middleware.DEADLINE_KEY, (now + timedelta(minutes=10)).timestamp())
    assert not middleware.holds_may_have_lapsed(now)
    cache.delete(middleware.DEADLINE_KEY)
    assert not middleware.holds_may_have_lapsed(now + timedelta(seconds=middleware.LOCAL_SECONDS - 1))
    assert middleware.holds_may_have_lapsed(now + timedelta(seconds=middleware.LOCAL_SECONDS))  # read again

    cache.set(middleware.DEADLINE_KEY, (now + timedelta(minutes=10)).timestamp())
    assert not middleware.holds_may_have_lapsed(now)
    forget_hold_deadline()  # a hold taken in this process
    assert middleware.holds_may_have_lapsed(now)
