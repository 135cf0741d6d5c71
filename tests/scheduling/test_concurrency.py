"""No double booking under simultaneous requests, on PostgreSQL (row locks + exclusion constraints).

Each thread has its own database connection and they all start at one barrier,
so the requests really race. Run with DATABASE_URL and REDIS_URL set.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, connection, connections, transaction

from core.scheduling.models import Booking, Session
from core.scheduling.services import bookings as svc
from core.scheduling.services.errors import Conflict

pytestmark = pytest.mark.realstack
racing = pytest.mark.django_db(transaction=True)  # threads need committed rows

THREADS = 12


def race(jobs) -> tuple[list, list, list]:
    """Run callables at the same instant; returns (results, conflicts, other errors)."""
    barrier = threading.Barrier(len(jobs))
    results, conflicts, errors = [], [], []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait()
            value = job()
            with lock:
                results.append(value)
        except Conflict as exc:
            with lock:
                conflicts.append(exc.code)
        except Exception as exc:  # anything else is a bug the test must show
            with lock:
                errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results, conflicts, errors


@racing
def test_many_learners_one_one_to_one_session_exactly_one_wins(mentor_factory, user_factory, session_factory):
    session = session_factory(mentor_factory(), capacity=1, price_minor=1000)
    learners = [user_factory() for _ in range(THREADS)]
    results, conflicts, errors = race([lambda u=u: svc.book_session(session, u) for u in learners])
    assert errors == []
    assert len(results) == 1 and len(conflicts) == THREADS - 1
    assert set(conflicts) == {"no_seat"}
    assert Booking.objects.active().filter(session=session).count() == 1


@racing
def test_group_session_fills_to_capacity_exactly(mentor_factory, user_factory, session_factory):
    capacity = 3  # the most the default mesh room seats besides the mentor
    session = session_factory(mentor_factory(), capacity=capacity)
    learners = [user_factory() for _ in range(THREADS)]
    results, conflicts, errors = race([lambda u=u: svc.book_session(session, u) for u in learners])
    assert errors == []
    assert len(results) == capacity and len(conflicts) == THREADS - capacity
    assert Booking.objects.active().filter(session=session).count() == capacity


@racing
def test_overlapping_free_slots_of_one_mentor_one_wins(mentor_factory, user_factory):
    mentor = mentor_factory("UTC", lengths=[60], step=30)
    day = (datetime.now(UTC) + timedelta(days=3)).replace(hour=0, minute=0, second=0, microsecond=0)
    starts = [day.replace(hour=10), day.replace(hour=10, minute=30)]
    learners = [user_factory() for _ in range(THREADS)]
    jobs = [lambda u=u, i=i: svc.book_slot(mentor, u, starts[i % 2], 60) for i, u in enumerate(learners)]
    results, conflicts, errors = race(jobs)
    assert errors == []
    assert len(results) == 1 and set(conflicts) == {"slot_taken"}
    assert Session.objects.active().filter(mentor=mentor).count() == 1


@racing
def test_one_learner_two_overlapping_sessions_at_once_one_wins(mentor_factory, user_factory, session_factory):
    learner = user_factory()
    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    sessions = [session_factory(mentor_factory(), start=start + timedelta(minutes=15 * i)) for i in range(4)]
    results, conflicts, errors = race([lambda s=s: svc.book_session(s, learner) for s in sessions])
    assert errors == []
    assert len(results) == 1 and set(conflicts) == {"learner_clash"}


@pytest.mark.django_db
def test_the_database_refuses_overlaps_even_without_the_services(mentor_factory, user_factory):
    assert connection.vendor == "postgresql"
    mentor = mentor_factory()
    start = datetime.now(UTC) + timedelta(days=2)
    Session.objects.create(mentor=mentor, title="A", starts_at=start, ends_at=start + timedelta(hours=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Session.objects.create(
            mentor=mentor, title="B", starts_at=start + timedelta(minutes=59), ends_at=start + timedelta(hours=2)
        )
    # back to back is allowed ([) ranges), and so is an overlap with a cancelled session
    Session.objects.create(
        mentor=mentor, title="C", starts_at=start + timedelta(hours=1), ends_at=start + timedelta(hours=2)
    )
    Session.objects.create(
        mentor=mentor,
        title="D",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        status=Session.CANCELLED,
    )
    learner = user_factory()
    first = Session.objects.create(
        mentor=mentor_factory(), title="E", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    second = Session.objects.create(
        mentor=mentor_factory(), title="F", starts_at=start, ends_at=start + timedelta(hours=1)
    )
    common = {"learner": learner, "starts_at": start, "ends_at": start + timedelta(hours=1), "status": "confirmed"}
    Booking.objects.create(session=first, **common)
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(session=second, **common)
