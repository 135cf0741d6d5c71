"""Refunds (staff, cancellation policy, gateway down), payouts, refund after payout, the append-only ledger."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.payments.errors import GatewayUnavailable, InvalidPayment, PaymentConflict, PaymentNotAllowed
from core.payments.models import LedgerEntry, LedgerImmutableError, Payment, Refund
from core.payments.services import checkout, events, payouts, refunds
from core.payments.services.ledger import balances
from core.scheduling.models import Booking

from .helpers import assert_balanced

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(booking_factory, deliver):
    """A booking paid and confirmed through a gateway; returns (booking, started, harness)."""

    def pay(harness, gateway: str = "stripe", **booking_kwargs):
        booking = booking_factory(**booking_kwargs)
        started = checkout.start_payment(booking, gateway, user=booking.learner)
        charge = harness.complete(started.start)
        response = deliver(gateway, harness.succeeded_event(started.start, charge))
        assert response.json()["status"] == "processed", response.content
        booking.refresh_from_db()
        assert booking.status == Booking.CONFIRMED
        return booking, started

    return pay


def test_staff_partial_then_full_refund_reverses_commission_pro_rata(stripe, paid, staff):
    booking, started = paid(stripe, price_minor=10_000)
    first = refunds.refund_booking(booking, 2_500, by=staff, note="shortened session")
    assert (first.status, first.amount_minor, first.reference[:3]) == (Refund.SUCCEEDED, 2_500, "re_")
    totals = balances(booking=booking)
    assert totals.held == 7_500 and totals.platform == 1_200 - 300 and totals.mentor_earned == 8_800 - 2_200
    assert_balanced(booking, stripe, started.start)
    rest = refunds.refund_booking(booking, None, by=staff)
    assert rest.amount_minor == 7_500
    totals = balances(booking=booking)
    assert totals.held == 0 and totals.platform == 0 and totals.mentor_earned == 0
    assert_balanced(booking, stripe, started.start)


def test_odd_amounts_reverse_exactly_the_commission_charged(stripe, paid, staff):
    booking, started = paid(stripe, price_minor=999)
    for amount in (333, 333, 333):
        refunds.refund_booking(booking, amount, by=staff)
    totals = balances(booking=booking)
    assert totals.held == 0 and totals.platform == 0 and totals.mentor_earned == 0
    assert_balanced(booking, stripe, started.start)


def test_refund_larger_than_what_is_left_is_refused(stripe, paid, staff):
    booking, started = paid(stripe, price_minor=4_000)
    refunds.refund_booking(booking, 3_000, by=staff)
    with pytest.raises(InvalidPayment) as caught:
        refunds.refund_booking(booking, 1_001, by=staff)
    assert caught.value.field == "amount" and "€10.00 left" in caught.value.message
    assert Refund.objects.count() == 1
    with pytest.raises(InvalidPayment):
        refunds.refund_booking(booking, 0, by=staff)
    assert_balanced(booking, stripe, started.start)


def test_only_staff_refund(stripe, paid, learner):
    booking, _ = paid(stripe)
    with pytest.raises(PaymentNotAllowed):
        refunds.refund_booking(booking, None, by=learner)


def test_refund_with_the_gateway_down_fails_closed(stripe, paid, staff, configure_gateway):
    booking, started = paid(stripe, price_minor=4_000)
    configure_gateway(stripe, outage=True)
    with pytest.raises(GatewayUnavailable) as caught:
        refunds.refund_booking(booking, 1_000, by=staff)
    assert "not made" in caught.value.message and "could not be reached" in caught.value.message
    refund = Refund.objects.get()
    assert refund.status == Refund.FAILED and refund.failure_message
    assert not LedgerEntry.objects.filter(kind="refund").exists()
    assert_balanced(booking, stripe, started.start)
    configure_gateway(stripe)
    done = refunds.refund_booking(booking, 1_000, by=staff)
    assert done.status == Refund.SUCCEEDED
    assert_balanced(booking, stripe, started.start)


def test_learner_cancelling_late_gets_the_policy_share(
    stripe, paid, learner, django_capture_on_commit_callbacks, eager_tasks
):
    from core.scheduling.services.bookings import cancel_booking

    booking, started = paid(stripe, price_minor=6_000, hours=2)  # inside the 24 h free window: 50 %
    with django_capture_on_commit_callbacks(execute=True):
        result = cancel_booking(booking, learner)
    assert result.refund_percent == 50 and result.refund_minor == 3_000
    refund = Refund.objects.get()
    assert (refund.reason, refund.amount_minor, refund.status) == (Refund.CANCELLATION, 3_000, Refund.SUCCEEDED)
    booking.refresh_from_db()
    assert booking.status == Booking.REFUNDED
    assert_balanced(booking, stripe, started.start)
    assert balances(booking=booking).mentor_earned == 3_000 - 360  # the mentor keeps the late share, net
    # running the task again refunds nothing more
    assert refunds.refund_by_policy(booking.pk) is None
    assert Refund.objects.count() == 1


def test_mentor_cancelling_refunds_in_full(stripe, paid, mentor, django_capture_on_commit_callbacks, eager_tasks):
    from core.scheduling.services.sessions import cancel_session

    booking, started = paid(stripe, price_minor=5_000, hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_session(booking.session, mentor, "ill")
    booking.refresh_from_db()
    assert booking.status == Booking.REFUNDED
    assert Refund.objects.get().amount_minor == 5_000
    assert balances(booking=booking).held == 0
    assert_balanced(booking, stripe, started.start)


def test_cancellation_refund_with_the_gateway_down_is_flagged(
    stripe, paid, learner, configure_gateway, django_capture_on_commit_callbacks, eager_tasks
):
    from core.scheduling.services.bookings import cancel_booking

    booking, started = paid(stripe, price_minor=4_000)
    configure_gateway(stripe, outage=True)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, learner)
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.needs_review and "Cancellation refund" in payment.review_reason
    booking.refresh_from_db()
    assert booking.status == Booking.CANCELLED  # not "refunded": no money moved
    assert_balanced(booking, stripe, started.start)
    configure_gateway(stripe)
    refunds.refund_by_policy(booking.pk)  # the retry (task or editor) refunds what is due
    booking.refresh_from_db()
    assert booking.status == Booking.REFUNDED
    assert_balanced(booking, stripe, started.start)


def test_razorpay_pending_refund_settles_on_its_webhook(razorpay, configure_gateway, paid, staff, deliver):
    configure_gateway(razorpay, currencies="INR")
    booking, started = paid(razorpay, "razorpay", price_minor=200_000, currency="INR")
    razorpay.server.refund_status = "pending"
    try:
        refund = refunds.refund_booking(booking, 50_000, by=staff)
    finally:
        razorpay.server.refund_status = "processed"
    assert refund.status == Refund.PENDING
    assert balances(booking=booking).held == 200_000  # not refunded until Razorpay says so
    result = RefundResultLike(refund.reference, refund.amount_minor)
    assert deliver("razorpay", razorpay.refunded_event(started.start, result)).json()["status"] == "processed"
    refund.refresh_from_db()
    assert refund.status == Refund.SUCCEEDED
    assert_balanced(booking, razorpay, started.start)


class RefundResultLike:
    def __init__(self, reference: str, amount: int) -> None:
        self.refund_reference = reference
        self.amount_minor = amount


def test_bank_transfer_marked_paid_then_refund_marked_sent(manual, booking_factory, staff):
    booking = booking_factory(price_minor=8_000)
    started = checkout.start_payment(booking, "manual", user=booking.learner)
    manual.complete(started.start)  # the money arrives at the bank
    outcome = events.mark_paid(Payment.objects.get(pk=started.payment.pk), staff)
    assert outcome.status == "processed"
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    again = events.mark_paid(Payment.objects.get(pk=started.payment.pk), staff)
    assert again.status == "duplicate"
    refund = refunds.refund_booking(booking, 2_000, by=staff)
    assert refund.status == Refund.PENDING  # the editor still has to send it
    assert balances(booking=booking).held == 8_000
    manual.refunded_event(started.start, RefundResultLike(refund.reference, 2_000))  # the bank sends it
    events.mark_refund_sent(refund, staff)
    refund.refresh_from_db()
    assert refund.status == Refund.SUCCEEDED
    assert_balanced(booking, manual, started.start)


def test_stripe_payments_cannot_be_marked_paid_by_hand(stripe, booking_factory, staff):
    booking = booking_factory()
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    with pytest.raises(PaymentNotAllowed):
        events.mark_paid(started.payment, staff)


# --- payouts -------------------------------------------------------------------------------------


def _complete(booking):
    from core.scheduling.services.bookings import complete_booking

    complete_booking(booking, now=timezone.now() + timedelta(days=5))


def test_earnings_pending_then_available_then_paid_out(stripe, paid, mentor, staff):
    one, _ = paid(stripe, price_minor=5_000)
    two, _ = paid(stripe, price_minor=3_000)
    earnings = payouts.mentor_earnings(mentor)
    (total,) = earnings.totals
    assert (total.pending_minor, total.available_minor, total.paid_out_minor) == (4_400 + 2_640, 0, 0)
    _complete(one)
    (total,) = payouts.mentor_earnings(mentor).totals
    assert (total.pending_minor, total.available_minor) == (2_640, 4_400)
    payout = payouts.record_payout(mentor, "EUR", by=staff, reference="SEPA-1")
    assert payout.amount_minor == 4_400
    (total,) = payouts.mentor_earnings(mentor).totals
    assert (total.pending_minor, total.available_minor, total.paid_out_minor) == (2_640, 0, 4_400)
    with pytest.raises(PaymentConflict):
        payouts.record_payout(mentor, "EUR", by=staff)
    lines = {line.booking_id: line for line in payouts.mentor_earnings(mentor).lines}
    assert lines[one.pk].state == "paid_out" and lines[two.pk].state == "pending"


def test_refund_after_payout_is_recovered_from_the_next_payout(stripe, paid, mentor, staff):
    first, started = paid(stripe, price_minor=10_000)
    _complete(first)
    payouts.record_payout(mentor, "EUR", by=staff)  # 8 800 paid out
    refunds.refund_booking(first, None, by=staff)  # a complaint: full refund after the payout
    lines = {line.booking_id: line for line in payouts.mentor_earnings(mentor).lines}
    assert lines[first.pk].balance_minor == -8_800 and lines[first.pk].state == "owed"
    (total,) = payouts.mentor_earnings(mentor).totals
    assert total.available_minor == -8_800
    with pytest.raises(PaymentConflict) as caught:
        payouts.record_payout(mentor, "EUR", by=staff)
    assert caught.value.code == "negative_balance"
    second, _ = paid(stripe, price_minor=20_000)
    _complete(second)
    payout = payouts.record_payout(mentor, "EUR", by=staff)
    assert payout.amount_minor == 17_600 - 8_800
    recovery = LedgerEntry.objects.get(payout=payout, booking=first)
    assert recovery.amount_minor == 8_800 and "recovery" in recovery.memo
    (total,) = payouts.mentor_earnings(mentor).totals
    assert total.available_minor == 0
    assert_balanced(first, stripe, started.start)
    assert sum(p.amount_minor for p in mentor.payouts.all()) == 8_800 + 8_800  # = what the mentor really earned


def test_revenue_report_and_csv(stripe, paid, staff):
    booking, _ = paid(stripe, price_minor=5_000)
    refunds.refund_booking(booking, 1_000, by=staff)
    (period,) = payouts.revenue_by_month()
    assert (period.charged_minor, period.refunded_minor, period.commission_minor) == (5_000, 1_000, 600 - 120)
    csv = payouts.ledger_csv()
    assert csv.splitlines()[0].startswith("entry_id,created_at_utc,kind,amount")
    assert ",charge,50.00,EUR,5000," in csv and ",refund,-10.00,EUR,-1000," in csv


# --- the ledger is append-only ----------------------------------------------------------------------


def test_ledger_entries_cannot_be_changed_or_deleted(stripe, paid):
    paid(stripe)
    entry = LedgerEntry.objects.first()
    entry.amount_minor = 1
    with pytest.raises(LedgerImmutableError):
        entry.save()
    with pytest.raises(LedgerImmutableError):
        entry.delete()
    with pytest.raises(LedgerImmutableError):
        LedgerEntry.objects.filter(pk=entry.pk).update(amount_minor=1)
    with pytest.raises(LedgerImmutableError):
        LedgerEntry.objects.all().delete()
