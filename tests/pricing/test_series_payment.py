"""A series paid at once: one payment (quote, fee, receipt) for N bookings, per-session refunds, ledger balanced."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from core.payments.errors import PaymentConflict
from core.payments.models import Payment, Refund
from core.payments.services import checkout, events, refunds
from core.payments.services.ledger import balances
from core.pricing.models import Receipt
from core.scheduling.models import Booking, BookingSeries, SchedulingProfile, WeeklyRule
from core.scheduling.services import series

pytestmark = pytest.mark.django_db


@pytest.fixture
def series_mentor(user_factory, monkeypatch):
    mentor = user_factory(is_mentor=True, time_zone="Europe/Berlin", display_name="Mentor Mo")
    SchedulingProfile.objects.create(
        mentor=mentor, min_notice_minutes=0, horizon_days=366, buffer_minutes=0, slot_lengths=[60], slot_step_minutes=60
    )
    for weekday in range(7):
        WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time=time(8), end_time=time(20))
    monkeypatch.setattr("core.catalogue.services.mentor_rate", lambda user: (3_000, "EUR"))
    return mentor


def start_in(days: int) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=10, minute=0, second=0, microsecond=0)


def test_at_once_one_payment_confirms_all_and_refunds_shares(series_mentor, learner, manual, revenue, staff):
    revenue(fee_percent="5")
    made = series.book_series(series_mentor, learner, start_in(10), "weekly", 4, 60, payment_mode=BookingSeries.AT_ONCE)
    occurrences = list(series.occurrences_of(made))
    anchor = occurrences[0].booking
    assert all(o.booking.status == Booking.PENDING_PAYMENT for o in occurrences)
    with pytest.raises(PaymentConflict) as caught:  # later sessions are paid through the first one only
        checkout.start_payment(occurrences[1].booking, "manual", user=learner)
    assert caught.value.code == "series_paid_at_once"
    started = checkout.start_payment(anchor, "manual", user=learner)
    assert started.payment.amount_minor == 4 * 3_000 + 600  # four sessions and the 5 % fee on them
    manual.complete(started.start)
    events.mark_paid(Payment.objects.get(pk=started.payment.pk), staff)
    assert [b.status for b in Booking.objects.order_by("starts_at")] == ["confirmed"] * 4
    assert Payment.objects.filter(status=Payment.SUCCEEDED).count() == 1
    assert Receipt.objects.get(payment=started.payment).total_minor == 12_600
    totals = balances(booking=anchor)
    assert totals.held == 12_600 and totals.balanced

    # the learner cancels session 3 early: a full refund of that session's share (fee not refundable)
    series.cancel_occurrences(made, 3, learner)
    third = Booking.objects.get(pk=occurrences[2].booking.pk)
    refund = refunds.refund_by_policy(third.pk)
    assert refund.amount_minor == 3_000 and refund.status == Refund.PENDING
    assert refunds.refund_by_policy(third.pk) is None  # asked again: nothing more
    manual.refunded_event(started.start, type("R", (), {"refund_reference": refund.reference, "amount_minor": 3_000}))
    events.mark_refund_sent(refund, staff)
    totals = balances(booking=anchor)
    assert totals.held == 9_600 and totals.balanced
    # the anchor's own cancellation refunds only its share, not the whole payment
    series.cancel_occurrences(made, 1, learner)
    anchor_refund = refunds.refund_by_policy(anchor.pk)
    assert anchor_refund.amount_minor == 3_000


def test_per_session_holds_each_later_session_until_before_it(series_mentor, learner):
    made = series.book_series(series_mentor, learner, start_in(10), "weekly", 3, 60)
    rows = [o.booking for o in series.occurrences_of(made)]
    now = datetime.now(UTC)
    assert rows[0].hold_expires_at < now + timedelta(hours=1)
    assert rows[1].hold_expires_at == rows[1].starts_at - timedelta(hours=48)
    assert rows[2].hold_expires_at == rows[2].starts_at - timedelta(hours=48)
    assert series.series_price_minor(rows[0]) is None  # per session: each is its own price


def test_at_once_series_cannot_lose_single_sessions_before_it_is_paid(series_mentor, learner):
    made = series.book_series(series_mentor, learner, start_in(10), "weekly", 3, 60, payment_mode=BookingSeries.AT_ONCE)
    from core.scheduling.services.errors import Conflict

    with pytest.raises(Conflict) as caught:
        series.cancel_occurrences(made, 2, learner)
    assert caught.value.code == "series_unpaid"
    series.cancel_occurrences(made, 1, learner, rest=True)
    assert set(Booking.objects.values_list("status", flat=True)) == {Booking.CANCELLED}


def test_a_bank_transfer_holds_every_session_of_an_at_once_series(
    series_mentor, learner, manual, django_capture_on_commit_callbacks
):
    made = series.book_series(series_mentor, learner, start_in(10), "weekly", 3, 60, payment_mode=BookingSeries.AT_ONCE)
    anchor = series.anchor_booking(made)
    short_hold = anchor.hold_expires_at
    with django_capture_on_commit_callbacks(execute=True):
        checkout.start_payment(anchor, "manual", user=learner)
    rows = [o.booking for o in series.occurrences_of(made)]
    assert rows[0].hold_expires_at > short_hold + timedelta(hours=1)  # the transfer's longer hold
    assert {b.hold_expires_at for b in rows} == {rows[0].hold_expires_at}  # the sessions it pays for wait as long
