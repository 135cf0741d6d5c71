"""A booking that awaits approval and has money against it gives it all back when declined or lapsed.

Nothing is charged before a mentor approves (payment starts only from ``pending_payment``),
so the money here stands for a payment recorded another way: an editor restoring a booking
whose late payment was held for review, say. Whatever the source, a released request refunds
it in full through the usual refund path.
"""

from __future__ import annotations

import pytest

from core.intake.services import approval
from core.payments.models import Refund
from core.payments.services import checkout
from core.payments.services.ledger import balances
from core.scheduling.models import Booking

from .helpers import assert_balanced

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid_awaiting_approval(booking_factory, deliver, stripe):
    booking = booking_factory(price_minor=6_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    charge = stripe.complete(started.start)
    assert deliver("stripe", stripe.succeeded_event(started.start, charge)).json()["status"] == "processed"
    Booking.objects.filter(pk=booking.pk).update(status=Booking.PENDING_APPROVAL, hold_expires_at=booking.starts_at)
    booking.refresh_from_db()
    return booking, started


def test_declining_refunds_everything_paid(
    stripe, paid_awaiting_approval, mentor, django_capture_on_commit_callbacks, eager_tasks
):
    booking, started = paid_awaiting_approval
    with django_capture_on_commit_callbacks(execute=True):
        approval.decline(booking, mentor, "Not this week.")
    booking.refresh_from_db()
    assert booking.status == Booking.DECLINED
    refund = Refund.objects.get()
    assert (refund.amount_minor, refund.status) == (6_000, Refund.SUCCEEDED)
    assert balances(booking=booking).held == 0
    assert_balanced(booking, stripe, started.start)


def test_a_lapsed_request_refunds_too_and_only_once(
    stripe, paid_awaiting_approval, django_capture_on_commit_callbacks, eager_tasks
):
    from core.payments.services.refunds import refund_released

    booking, started = paid_awaiting_approval
    with django_capture_on_commit_callbacks(execute=True):
        assert approval.expire_due_approvals(booking.hold_expires_at) == 1
    assert Refund.objects.get().amount_minor == 6_000
    assert refund_released(booking.pk) == [], "run again: nothing left to refund"
    assert Refund.objects.count() == 1
