"""Packages end to end at the service level: sell, buy once, book with credits, give back, earn, refund, expire.

After every scenario the ledger is balanced (platform + mentor + tax + unearned = cash held),
and what the ledger holds is what the gift card was charged.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.packages.errors import PackageConflict, PackageRefused
from core.packages.models import CreditRefund, CreditUse, Package, PackagePrice, PackagePurchase, PackageSettings
from core.packages.services import catalogue, credits, purchases
from core.payments.models import LedgerEntry, Payment, Refund
from core.payments.services.ledger import balances
from core.pricing.models import Receipt
from core.scheduling.models import Booking
from core.scheduling.services.bookings import cancel_booking, complete_booking, mark_no_show

from .conftest import assert_balanced, gift_card, slot

pytestmark = pytest.mark.django_db(transaction=True)  # the gift card is drawn on the plugin's own thread and connection


def _policy(**values) -> None:
    from wagtail.models import Site

    setting = PackageSettings.for_site(Site.objects.get(is_default_site=True))
    for name, value in values.items():
        setattr(setting, name, value)
    setting.save()


@pytest.mark.parametrize(
    ("data", "prices", "field", "code"),
    [
        ({"title": "Zero", "sessions": 0}, [{"currency": "EUR", "amount": "10"}], "sessions", "invalid_sessions"),
        ({"title": "Many", "sessions": 51}, [{"currency": "EUR", "amount": "10"}], "sessions", "invalid_sessions"),
        ({"title": "Neg", "sessions": 5}, [{"currency": "EUR", "amount": "-10"}], "prices", "invalid_price"),
        ({"title": "Free", "sessions": 5}, [{"currency": "EUR", "amount": "0"}], "prices", "invalid_price"),
        ({"title": "Cents", "sessions": 5}, [{"currency": "EUR", "amount": "1.005"}], "prices", "invalid_price"),
        ({"title": "Coin", "sessions": 5}, [{"currency": "XXQ", "amount": "10"}], "prices", "currency"),
        ({"title": "None", "sessions": 5}, [], "prices", "required"),
        ({"title": "Len", "sessions": 5, "duration_minutes": 50}, [{"currency": "EUR", "amount": "9"}], None, None),
        ({"title": "", "sessions": 5}, [{"currency": "EUR", "amount": "10"}], "title", "required"),
    ],
)
def test_bad_packages_are_refused_and_write_nothing(mentor, data, prices, field, code):
    with pytest.raises(PackageRefused) as info:
        catalogue.save_package(mentor, data, prices)
    if field:
        assert (info.value.field, info.value.code) == (field, code)
    assert not Package.objects.exists() and not PackagePrice.objects.exists()


def test_a_length_the_mentor_does_not_offer_is_refused(mentor):
    with pytest.raises(PackageRefused) as info:
        catalogue.save_package(
            mentor, {"title": "Short", "sessions": 3, "duration_minutes": 30}, [{"currency": "EUR", "amount": "9"}]
        )
    assert (info.value.code, info.value.field) == ("length_not_offered", "duration_minutes")
    assert not Package.objects.exists()


def test_only_mentors_sell(learner):
    from core.packages.errors import PackageNotAllowed

    with pytest.raises(PackageNotAllowed):
        catalogue.save_package(learner, {"title": "x", "sessions": 2}, [{"currency": "EUR", "amount": "10"}])


def test_buying_charges_once_and_holds_the_money_as_unearned(bought, package, learner):
    purchase = bought()
    assert purchase.status == PackagePurchase.PAID and purchase.credits_left == 5
    assert purchase.expires_at == purchase.paid_at + timedelta(days=90)
    payment = Payment.objects.get(purchase=purchase)
    assert payment.booking_id is None and payment.amount_minor == 20_000
    totals = balances(payment=payment)
    assert totals.held == 20_000 and totals.unearned == 20_000 and totals.mentor_earned == 0 and totals.platform == 0
    assert totals.balanced
    receipt = Receipt.objects.get(payment=payment, kind=Receipt.RECEIPT)
    assert receipt.purchase_id == purchase.pk and receipt.booking_id is None and receipt.total_minor == 20_000
    assert "5 × 60 min" in receipt.lines[0]["description"] and receipt.mentor_id == package.mentor_id
    # Paying again: refused, nothing new written.
    with pytest.raises(Exception, match="already paid"):
        purchases.start_payment(purchase, "giftcard", user=learner, inputs={"code": gift_card()})
    assert Payment.objects.filter(purchase=purchase).count() == 1


def test_fee_and_tax_are_charged_like_a_bookings(bought, package, learner, revenue):
    revenue(fee_percent="5", fixed=50, tax={"DE": "19"}, seller_country="DE")
    purchase = bought()
    payment = Payment.objects.get(purchase=purchase)
    # 200.00 + fee (5 % + 0.50 = 10.50) + 19 % VAT on both (38.00 + 2.00 rounded) = 250.50
    assert payment.amount_minor == 20_000 + 1_050 + 3_800 + 200
    totals = balances(payment=payment)
    assert (totals.unearned, totals.platform, totals.tax) == (20_000, 1_050, 4_000)
    assert totals.balanced


def test_each_booking_draws_one_credit_and_none_without_credits(bought, learner, django_capture_on_commit_callbacks):
    purchase = bought()
    with django_capture_on_commit_callbacks(execute=True):
        bookings = [credits.book_with_credit(purchase, learner, slot(2, 8 + i)) for i in range(5)]
    assert all(b.status == Booking.CONFIRMED and b.price_minor == 0 for b in bookings)
    purchase.refresh_from_db()
    assert purchase.credits_left == 0
    assert CreditUse.objects.filter(purchase=purchase, status=CreditUse.HELD).count() == 5
    before = Booking.objects.count()
    with pytest.raises(PackageConflict) as info:
        credits.book_with_credit(purchase, learner, slot(3, 10))
    assert info.value.code == "no_credits" and info.value.status == 409
    assert Booking.objects.count() == before


def test_a_refused_slot_draws_no_credit(bought, learner):
    from core.scheduling.services.errors import SchedulingError

    purchase = bought()
    with pytest.raises(SchedulingError):
        credits.book_with_credit(purchase, learner, slot(2, 3))  # 03:00: outside the mentor's hours
    purchase.refresh_from_db()
    assert purchase.credits_left == 5 and not CreditUse.objects.exists()


def test_an_unpaid_or_expired_package_books_nothing(giftcards, package, learner, bought):
    pending = purchases.create_purchase(package, learner, "EUR")
    with pytest.raises(PackageConflict) as info:
        credits.book_with_credit(pending, learner, slot())
    assert info.value.code == "not_paid"
    paid = bought()
    PackagePurchase.objects.filter(pk=paid.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(PackageConflict) as info:
        credits.book_with_credit(paid, learner, slot())
    assert info.value.code == "package_expired"
    assert not Booking.objects.exists()


def test_a_session_after_expiry_is_refused(bought, learner):
    purchase = bought()
    PackagePurchase.objects.filter(pk=purchase.pk).update(expires_at=timezone.now() + timedelta(days=1))
    with pytest.raises(PackageRefused) as info:
        credits.book_with_credit(purchase, learner, slot(3))
    assert (info.value.code, info.value.field) == ("after_expiry", "start")


def test_cancelling_in_the_free_window_gives_the_credit_back(bought, learner, django_capture_on_commit_callbacks):
    purchase = bought()
    booking = credits.book_with_credit(purchase, learner, slot(5))
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, learner)
    purchase.refresh_from_db()
    assert purchase.credits_left == 5
    assert CreditUse.objects.get(booking=booking).status == CreditUse.RETURNED
    assert not LedgerEntry.objects.filter(booking=booking).exists()
    assert_balanced(payment__purchase=purchase)


def test_a_late_cancellation_spends_the_credit_and_pays_the_mentor(
    bought, learner, mentor, django_capture_on_commit_callbacks
):
    from wagtail.models import Site

    from core.scheduling.models import SchedulingPolicy

    policy = SchedulingPolicy.for_site(Site.objects.get(is_default_site=True))
    policy.free_cancellation_hours = 24 * 7
    policy.save()
    purchase = bought()
    booking = credits.book_with_credit(purchase, learner, slot(2))
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, learner)  # 2 days before, the free window is 7 days: a late cancellation
    assert CreditUse.objects.get(booking=booking).status == CreditUse.EARNED
    purchase.refresh_from_db()
    assert purchase.credits_left == 4
    earned = balances(booking=booking)
    assert earned.mentor_earned == 4_000 - 480 and earned.platform == 480 and earned.balanced


def test_earnings_are_recognised_per_session_delivered(bought, learner, mentor, django_capture_on_commit_callbacks):
    purchase = bought()
    with django_capture_on_commit_callbacks(execute=True):
        first = credits.book_with_credit(purchase, learner, slot(2, 9))
        second = credits.book_with_credit(purchase, learner, slot(2, 11))
    # Nothing earned at purchase or booking.
    assert balances(mentor=mentor).mentor_earned == 0
    with django_capture_on_commit_callbacks(execute=True):
        complete_booking(first)
    assert balances(booking=first).mentor_earned == 4_000 - 480  # 200.00 / 5, less 12 %
    assert balances(booking=second).mentor_earned == 0
    assert balances(payment__purchase=purchase).unearned == 16_000
    # A signal delivered twice earns once.
    credits.settle_for_booking(first.pk, Booking.COMPLETED, None)
    assert LedgerEntry.objects.filter(booking=first, kind=LedgerEntry.PACKAGE_RELEASE).count() == 1
    assert_balanced(payment__purchase=purchase)


def test_a_no_show_is_earned(bought, learner, mentor, django_capture_on_commit_callbacks):
    purchase = bought()
    booking = credits.book_with_credit(purchase, learner, slot(2))
    with django_capture_on_commit_callbacks(execute=True):
        mark_no_show(booking, None, now=booking.starts_at + timedelta(hours=1))
    assert CreditUse.objects.get(booking=booking).status == CreditUse.EARNED
    assert_balanced(payment__purchase=purchase)


def test_refunding_unused_credits_pro_rata(bought, learner, django_capture_on_commit_callbacks):
    purchase = bought()
    with django_capture_on_commit_callbacks(execute=True):
        done = credits.book_with_credit(purchase, learner, slot(2, 9))
        credits.book_with_credit(purchase, learner, slot(2, 11))  # booked, not yet held: stays booked
        complete_booking(done)
    refund = credits.refund_unused(purchase, by=learner)
    assert refund.status == Refund.SUCCEEDED and refund.amount_minor == 12_000  # 3 of 5 credits
    purchase.refresh_from_db()
    assert (purchase.status, purchase.credits_left, purchase.credits_refunded) == (PackagePurchase.CLOSED, 0, 3)
    note = Receipt.objects.get(refund=refund)
    assert note.kind == Receipt.CREDIT_NOTE and note.purchase_id == purchase.pk and note.total_minor == -12_000
    totals = balances(payment__purchase=purchase)
    assert totals.held == 8_000 and totals.unearned == 4_000 and totals.balanced
    assert CreditRefund.objects.get(refund=refund).credits == 3
    # Nothing left: a second request is refused and writes nothing.
    with pytest.raises(PackageConflict):
        credits.refund_unused(purchase, by=learner)
    assert Refund.objects.count() == 1


def test_refunds_follow_the_site_policy(bought, learner):
    _policy(unused_refund=PackageSettings.NONE)
    purchase = bought()
    with pytest.raises(PackageConflict) as info:
        credits.refund_unused(purchase, by=learner)
    assert info.value.code == "no_refunds" and not Refund.objects.exists()
    purchase.refresh_from_db()
    assert purchase.credits_left == 5


def test_expiry_forfeits_unused_credits_to_the_platform(bought, learner, django_capture_on_commit_callbacks):
    _policy(on_expiry=PackageSettings.EXPIRY_FORFEIT)
    purchase = bought()
    with django_capture_on_commit_callbacks(execute=True):
        booking = credits.book_with_credit(purchase, learner, slot(2))
    PackagePurchase.objects.filter(pk=purchase.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert credits.expire_due() == 1
    purchase.refresh_from_db()
    assert (purchase.status, purchase.credits_left, purchase.credits_forfeited) == (PackagePurchase.EXPIRED, 0, 4)
    totals = balances(payment__purchase=purchase)
    assert totals.unearned == 4_000 and totals.platform == 16_000 and totals.balanced
    # The booked session is still delivered and earned after expiry.
    with django_capture_on_commit_callbacks(execute=True):
        complete_booking(booking)
    totals = balances(payment__purchase=purchase)
    assert totals.unearned == 0 and totals.mentor_earned == 4_000 - 480 and totals.balanced


def test_expiry_refunds_unused_credits_when_the_policy_says_so(bought, learner):
    _policy(on_expiry=PackageSettings.EXPIRY_REFUND)
    purchase = bought()
    PackagePurchase.objects.filter(pk=purchase.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    credits.expire_due()
    purchase.refresh_from_db()
    assert purchase.status == PackagePurchase.CLOSED and purchase.credits_refunded == 5
    refund = Refund.objects.get(payment__purchase=purchase)
    assert refund.amount_minor == 20_000 and refund.status == Refund.SUCCEEDED
    totals = balances(payment__purchase=purchase)
    assert totals.held == 0 and totals.unearned == 0 and totals.balanced


def test_a_cancelled_credit_after_expiry_is_forfeited(bought, learner, django_capture_on_commit_callbacks):
    purchase = bought()
    booking = credits.book_with_credit(purchase, learner, slot(5))
    PackagePurchase.objects.filter(pk=purchase.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    credits.expire_due()
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, learner)
    purchase.refresh_from_db()
    assert purchase.credits_left == 0 and purchase.credits_forfeited == 5
    assert_balanced(payment__purchase=purchase)


def test_inactive_and_own_packages_cannot_be_bought(package, mentor, learner):
    from core.packages.errors import PackageNotAllowed

    with pytest.raises(PackageNotAllowed):
        purchases.create_purchase(package, mentor)
    Package.objects.filter(pk=package.pk).update(active=False)
    package.refresh_from_db()
    with pytest.raises(PackageConflict):
        purchases.create_purchase(package, learner)
    with pytest.raises(PackageRefused):
        Package.objects.filter(pk=package.pk).update(active=True)
        package.refresh_from_db()
        purchases.create_purchase(package, learner, "USD")
    assert not PackagePurchase.objects.exists()


def test_a_bank_transfer_purchase_through_the_editors_marks(harness_for, configure_gateway, package, learner, staff):
    """Manual gateway: credits when an editor marks the transfer arrived; the refund settles when they send it."""
    from core.payments.services import events

    configure_gateway(harness_for("payment_manual"))
    purchase = purchases.create_purchase(package, learner, "EUR")
    started = purchases.start_payment(purchase, "manual", user=learner)
    assert started.payment.status == Payment.PENDING and started.client_data["reference"]
    purchase.refresh_from_db()
    assert purchase.status == PackagePurchase.PENDING and purchase.credits_left == 0
    with pytest.raises(PackageConflict):
        credits.book_with_credit(purchase, learner, slot())

    outcome = events.mark_paid(started.payment, staff)
    assert outcome.status == "processed", outcome.message
    assert events.mark_paid(started.payment, staff).status == "duplicate"  # once per event
    purchase.refresh_from_db()
    assert purchase.status == PackagePurchase.PAID and purchase.credits_left == 5

    refund = credits.refund_unused(purchase, by=learner)
    assert refund.status == Refund.PENDING  # a transfer back, sent by an editor
    totals = balances(payment__purchase=purchase)
    assert totals.held == 20_000 and totals.balanced
    assert events.mark_refund_sent(refund, staff).status == "processed"
    refund.refresh_from_db()
    assert refund.status == Refund.SUCCEEDED
    totals = balances(payment__purchase=purchase)
    assert totals.held == 0 and totals.unearned == 0 and totals.balanced
    assert Receipt.objects.filter(refund=refund, kind=Receipt.CREDIT_NOTE, purchase=purchase).exists()
