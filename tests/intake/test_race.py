"""Approve vs. the deadline's expiry racing on PostgreSQL: exactly one outcome, every time.

Both lock the booking row (``select_for_update``); whoever gets it first decides, the
other finds the booking no longer pending. Run with DATABASE_URL and REDIS_URL set.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connections

from core.intake.models import ApprovalRequest
from core.intake.services import approval
from core.scheduling.models import Booking, Session
from core.scheduling.services import bookings
from core.scheduling.services.errors import Conflict

from .conftest import next_slot

pytestmark = pytest.mark.realstack
racing = pytest.mark.django_db(transaction=True)

ROUNDS = 8


def _race(*jobs):
    barrier = threading.Barrier(len(jobs))
    outcomes: list = [None] * len(jobs)

    def run(index, job):
        try:
            barrier.wait()
            outcomes[index] = ("ok", job())
        except Conflict as exc:
            outcomes[index] = ("conflict", exc.code)
        except Exception as exc:  # a bug the test must show
            outcomes[index] = ("error", repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


@racing
def test_approve_against_deadline_expiry_ends_in_exactly_one_outcome(asking_mentor, user_factory, good_answers):
    assert connections["default"].vendor == "postgresql"
    seen = set()
    for round_ in range(ROUNDS):
        learner = user_factory()
        booking = bookings.book_slot(
            asking_mentor, learner, next_slot(days=2 + round_, hour=10), 60, answers=good_answers
        )
        deadline = booking.hold_expires_at
        approve_at = deadline - timedelta(seconds=1)  # still in time when it holds the lock first
        expire_at = deadline + timedelta(seconds=1)  # lapsed when the sweep holds it first
        jobs = [
            lambda b=booking.pk, at=approve_at: approval.approve(b, asking_mentor, now=at).status,
            lambda at=expire_at: approval.expire_due_approvals(at),
        ]
        if round_ % 2:
            jobs.reverse()
        outcomes = _race(*jobs)
        if round_ % 2:
            outcomes.reverse()
        (approve_kind, approve_value), (expire_kind, expire_value) = outcomes
        assert "error" not in (approve_kind, expire_kind), outcomes
        final = Booking.objects.get(pk=booking.pk)
        request = ApprovalRequest.objects.get(booking=booking)
        if final.status == Booking.CONFIRMED:
            assert (approve_kind, approve_value) == ("ok", Booking.CONFIRMED)
            assert (expire_kind, expire_value) == ("ok", 0), "the sweep found it decided"
            assert request.decision == ApprovalRequest.APPROVED
            assert Session.objects.get(pk=final.session_id).status == Session.SCHEDULED
        else:
            assert final.status == Booking.EXPIRED
            assert (expire_kind, expire_value) == ("ok", 1)
            assert (approve_kind, approve_value) == ("conflict", "not_pending")
            assert request.decision == ApprovalRequest.EXPIRED
            assert Session.objects.get(pk=final.session_id).status == Session.CANCELLED
        seen.add(final.status)
    assert seen <= {Booking.CONFIRMED, Booking.EXPIRED}
