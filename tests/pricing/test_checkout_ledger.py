"""Paying with a fee, a coupon and tax through real gateways (Stripe through localstripe): amounts, ledger, receipts.

After every scenario the ledger's split (platform + mentor + tax) adds up to what
is held, and what is held is what the gateway holds.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.payments.errors import PaymentConflict
from core.payments.models import LedgerEntry, Payment
from core.payments.services import checkout, refunds
from core.payments.services.ledger import balances
from core.pricing.models import Coupon, CouponRedemption, Receipt
from core.pricing.services import coupons, free
from core.scheduling.models import Booking
from core.scheduling.services.bookings import cancel_booking

from .conftest import assert_ledger_balanced

pytestmark = pytest.mark.django_db


def _kinds(booking) -> dict[str, int]:
    totals: dict[str, int] = {}
    for entry in LedgerEntry.objects.filter(booking=booking):
        totals[entry.kind] = totals.get(entry.kind, 0) + entry.amount_minor
    return totals


def test_fee_is_charged_through_the_stripe_sdk_and_is_platform_revenue(stripe, revenue, booking_factory, pay):
    revenue(fee_percent="5", fixed=50, cap=1_000)
    booking = booking_factory(price_minor=4_000)
    started = pay(booking, stripe)
    assert started.payment.amount_minor == 4_250
    intent = stripe.client.v1.payment_intents.retrieve(started.payment.reference)
    assert intent.amount == 4_250  # the PaymentIntent the SDK made carries the fee
    assert booking.status == Booking.CONFIRMED
    kinds = _kinds(booking)
    assert kinds == {"charge": 4_250, "commission": 480, "mentor_earning": 3_520, "fee": 250}
    totals = balances(booking=booking)
    assert (totals.platform, totals.mentor_earned) == (730, 3_520)  # commission never on the fee
    assert_ledger_balanced(booking, stripe, started.start)
    receipt = Receipt.objects.get(payment=started.payment)
    assert receipt.number == "PL-000001" and receipt.total_minor == 4_250
    assert [line["amount_minor"] for line in receipt.lines] == [4_000, 250]


def test_platform_coupon_mentor_earns_on_full_price(stripe, revenue, booking_factory, coupon_factory, pay):
    revenue(fee_percent="5")
    coupon_factory("HALF", percent=Decimal("50"), bearer=Coupon.PLATFORM)
    booking = booking_factory(price_minor=4_000)
    coupons.apply(booking, "HALF", user=booking.learner)
    started = pay(booking, stripe)
    assert started.payment.amount_minor == 2_000 + 100
    kinds = _kinds(booking)
    assert kinds["discount"] == -2_000 and kinds["mentor_earning"] == 3_520 and kinds["commission"] == 480
    assert kinds["fee"] == 100
    assert CouponRedemption.objects.get(booking=booking).status == CouponRedemption.USED
    assert_ledger_balanced(booking, stripe, started.start)


def test_mentor_coupon_lowers_the_mentor_base(stripe, revenue, booking_factory, coupon_factory, pay, mentor):
    revenue()
    coupon_factory("MYSTUDENTS", kind=Coupon.FIXED, amount_minor=1_000, currency="EUR", owner=mentor)
    booking = booking_factory(price_minor=4_000)
    coupons.apply(booking, "mystudents", user=booking.learner)
    started = pay(booking, stripe)
    assert started.payment.amount_minor == 3_000
    kinds = _kinds(booking)
    assert "discount" not in kinds
    assert (kinds["commission"], kinds["mentor_earning"]) == (360, 2_640)
    assert_ledger_balanced(booking, stripe, started.start)


def test_exclusive_tax_is_its_own_ledger_entry_and_on_the_receipt(stripe, revenue, booking_factory, pay, learner):
    from core.pricing.models import BillingDetails

    revenue(fee_percent="5", tax={"IN": "18"}, seller_country="DE")
    BillingDetails.objects.create(user=learner, country="IN", tax_id="27AAPFU0939F1ZV", legal_name="Ada L.")
    booking = booking_factory(price_minor=10_000)
    started = pay(booking, stripe)
    assert started.payment.amount_minor == 10_000 + 500 + 1_800 + 90
    assert _kinds(booking)["tax"] == 1_890
    assert balances(booking=booking).tax == 1_890
    assert_ledger_balanced(booking, stripe, started.start)
    receipt = Receipt.objects.get(payment=started.payment)
    assert (receipt.tax_minor, receipt.net_minor, receipt.tax_label) == (1_890, 10_500, "VAT 18 % (IN)")
    assert receipt.buyer_details["tax_id"] == "27AAPFU0939F1ZV" and receipt.seller["tax_id"] == "DE123456789"


def test_inclusive_tax_comes_out_of_the_mentor_base(stripe, revenue, booking_factory, pay):
    revenue(tax={"DE": "19"}, seller_country="DE", inclusive=True)
    booking = booking_factory(price_minor=11_900)
    started = pay(booking, stripe)
    assert started.payment.amount_minor == 11_900
    kinds = _kinds(booking)
    assert (kinds["tax"], kinds["commission"], kinds["mentor_earning"]) == (1_900, 1_200, 8_800)
    assert_ledger_balanced(booking, stripe, started.start)


def test_cancellation_keeps_a_non_refundable_fee(
    stripe, revenue, booking_factory, coupon_factory, pay, eager_tasks, django_capture_on_commit_callbacks
):
    revenue(fee_percent="5", fixed=50, refundable=False, tax={"DE": "19"}, seller_country="DE")
    coupon_factory("TEN", bearer=Coupon.PLATFORM)
    booking = booking_factory(price_minor=4_000, hours=24 * 10)  # well inside the free window
    coupons.apply(booking, "TEN", user=booking.learner)
    started = pay(booking, stripe)
    # session 3 600 + its VAT 684; fee 230 + its VAT 44
    assert started.payment.amount_minor == 3_600 + 684 + 230 + 44
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, booking.learner, "plans changed")
    booking.refresh_from_db()
    assert booking.status == Booking.REFUNDED
    assert_ledger_balanced(booking, stripe, started.start)
    totals = balances(booking=booking)
    assert totals.held == 274 and totals.platform == 230 and totals.tax == 44 and totals.mentor_earned == 0
    assert CouponRedemption.objects.get(booking=booking).status == CouponRedemption.RELEASED
    note = Receipt.objects.get(kind=Receipt.CREDIT_NOTE)
    assert note.total_minor == -4_284 and note.tax_minor == -684
    assert list(Receipt.objects.order_by("sequence").values_list("number", flat=True)) == ["PL-000001", "PL-000002"]


def test_refundable_fee_goes_back_with_the_session(
    stripe, revenue, booking_factory, pay, eager_tasks, django_capture_on_commit_callbacks
):
    revenue(fee_percent="5", refundable=True)
    booking = booking_factory(price_minor=4_000, hours=24 * 10)
    started = pay(booking, stripe)
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, booking.learner, "")
    totals = balances(booking=booking)
    assert (totals.held, totals.platform, totals.mentor_earned) == (0, 0, 0)
    assert_ledger_balanced(booking, stripe, started.start)


def test_staff_partial_refunds_reverse_every_part_exactly(stripe, revenue, booking_factory, pay, staff):
    revenue(fee_percent="7", fixed=33, tax={"DE": "19"}, seller_country="DE", refundable=True)
    booking = booking_factory(price_minor=9_999)
    started = pay(booking, stripe)
    total = started.payment.amount_minor
    for amount in (1_001, 2_999, total - 4_000):
        refunds.refund_booking(booking, amount, by=staff)
        assert_ledger_balanced(booking, stripe, started.start)
    totals = balances(booking=booking)
    assert (totals.held, totals.platform, totals.mentor_earned, totals.tax) == (0, 0, 0, 0)
    assert Receipt.objects.filter(kind=Receipt.CREDIT_NOTE).count() == 3


def test_razorpay_and_manual_charge_the_same_total(razorpay, manual, revenue, booking_factory, pay):
    revenue(fee_percent="5")
    booking = booking_factory(price_minor=4_000)
    started = pay(booking, razorpay, "razorpay")
    assert started.payment.amount_minor == 4_200
    assert_ledger_balanced(booking, razorpay, started.start)
    other = booking_factory(price_minor=4_000)
    started = checkout.start_payment(other, "manual", user=other.learner)
    assert started.payment.amount_minor == 4_200


def test_a_new_coupon_replaces_the_open_payment(stripe, revenue, booking_factory, coupon_factory):
    revenue(fee_percent="5")
    coupon_factory("TEN")
    booking = booking_factory(price_minor=4_000)
    first = checkout.start_payment(booking, "stripe", user=booking.learner)
    coupons.apply(booking, "TEN", user=booking.learner)
    second = checkout.start_payment(booking, "stripe", user=booking.learner)
    assert second.payment.pk != first.payment.pk and second.payment.amount_minor == 3_600 + 180
    assert Payment.objects.get(pk=first.payment.pk).status == Payment.ABANDONED


def test_full_platform_coupon_confirms_without_a_gateway(
    stripe, revenue, booking_factory, coupon_factory, django_capture_on_commit_callbacks
):
    revenue(fee_percent="5", fixed=50)
    coupon = coupon_factory("FREE", percent=Decimal("100"), max_uses=1)
    booking = booking_factory(price_minor=4_000, hours=24 * 10)
    coupons.apply(booking, "FREE", user=booking.learner)
    with pytest.raises(PaymentConflict) as caught:
        checkout.start_payment(booking, "stripe", user=booking.learner)
    assert caught.value.code == "nothing_to_pay"
    free.confirm_covered(booking, user=booking.learner)
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED and not Payment.objects.filter(booking=booking).exists()
    totals = balances(booking=booking)
    assert (totals.held, totals.mentor_earned, totals.platform) == (0, 3_520, -3_520) and totals.balanced
    assert Receipt.objects.get(booking=booking).total_minor == 0
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, booking.learner, "")
    totals = balances(booking=booking)
    assert (totals.held, totals.mentor_earned, totals.platform) == (0, 0, 0)
    coupon.refresh_from_db()
    assert coupon.uses == 0


def test_zero_total_refused_when_something_is_due(revenue, booking_factory):
    from core.pricing.errors import PricingConflict

    booking = booking_factory(price_minor=4_000)
    with pytest.raises(PricingConflict):
        free.confirm_covered(booking, user=booking.learner)
    assert not LedgerEntry.objects.exists()
