"""Coupons: each reason a code is refused (nothing written), holding, replacing, releasing."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from core.pricing.errors import CouponRefused, PricingConflict
from core.pricing.models import Coupon, CouponRedemption
from core.pricing.services import coupons
from core.scheduling.services.bookings import expire_booking

pytestmark = pytest.mark.django_db


def _refused(booking, code: str) -> str:
    before = (CouponRedemption.objects.count(), list(Coupon.objects.values_list("uses", flat=True)))
    with pytest.raises(CouponRefused) as caught:
        coupons.apply(booking, code, user=booking.learner)
    assert caught.value.field == "coupon"
    assert (CouponRedemption.objects.count(), list(Coupon.objects.values_list("uses", flat=True))) == before
    return caught.value.code


def test_percentage_coupon_is_held_and_counted(booking_factory, coupon_factory):
    coupon = coupon_factory("WELCOME10")
    booking = booking_factory(price_minor=4_000)
    redemption = coupons.apply(booking, " welcome10 ", user=booking.learner)
    assert (redemption.discount_minor, redemption.status, redemption.bearer) == (400, "held", "platform")
    coupon.refresh_from_db()
    assert coupon.uses == 1
    assert coupons.apply(booking, "WELCOME10", user=booking.learner).pk == redemption.pk  # again: same hold
    coupon.refresh_from_db()
    assert coupon.uses == 1


def test_fixed_coupon_needs_the_session_currency(booking_factory, coupon_factory):
    coupon_factory("TENOFF", kind=Coupon.FIXED, amount_minor=1_000, currency="USD")
    booking = booking_factory(price_minor=4_000, currency="EUR")
    assert _refused(booking, "TENOFF") == "coupon_currency"


def test_each_reason_is_named(booking_factory, coupon_factory, mentor, user_factory):
    now = timezone.now()
    booking = booking_factory(price_minor=4_000)
    assert _refused(booking, "NOPE") == "unknown_coupon"
    coupon_factory("LATER", valid_from=now + timedelta(days=3))
    assert _refused(booking, "LATER") == "coupon_not_started"
    coupon_factory("OLD", valid_from=now - timedelta(days=30), valid_until=now - timedelta(days=1))
    assert _refused(booking, "OLD") == "coupon_expired"
    coupon_factory("OFF", active=False)
    assert _refused(booking, "OFF") == "coupon_inactive"
    coupon_factory("GONE", max_uses=0)
    assert _refused(booking, "GONE") == "coupon_used_up"
    other_mentor = user_factory(is_mentor=True)
    only_other = coupon_factory("OTHERS")
    only_other.mentors.add(other_mentor)
    assert _refused(booking, "OTHERS") == "coupon_not_applicable"
    coupon_factory("THEIRS", owner=other_mentor)
    assert _refused(booking, "THEIRS") == "coupon_not_applicable"


def test_skill_restriction(booking_factory, coupon_factory, session_factory):
    from core.taxonomy.models import Skill

    python = Skill.objects.create(name="Python")
    design = Skill.objects.create(name="Design")
    coupon = coupon_factory("PYTHON20", percent=Decimal("20"))
    coupon.skills.add(python)
    session = session_factory(price_minor=5_000)
    session.skills.add(design)
    booking = booking_factory(session=session)
    assert _refused(booking, "PYTHON20") == "coupon_not_applicable"
    session.skills.add(python)
    assert coupons.apply(booking, "PYTHON20", user=booking.learner).discount_minor == 1_000


def test_per_learner_limit_and_first_booking(booking_factory, coupon_factory):
    coupon_factory("ONCE", max_uses_per_learner=1)
    first = booking_factory(price_minor=4_000)
    coupons.apply(first, "ONCE", user=first.learner)
    second = booking_factory(price_minor=4_000)
    assert _refused(second, "ONCE") == "coupon_used_by_you"
    coupon_factory("FIRST", first_booking_only=True, max_uses_per_learner=5)
    first.confirmed_at = timezone.now()
    first.save(update_fields=["confirmed_at"])
    assert _refused(second, "FIRST") == "coupon_first_booking"


def test_a_new_code_replaces_the_old_and_blank_takes_it_off(booking_factory, coupon_factory):
    a = coupon_factory("AAA10")
    b = coupon_factory("BBB20", percent=Decimal("20"))
    booking = booking_factory(price_minor=4_000)
    coupons.apply(booking, "AAA10", user=booking.learner)
    coupons.apply(booking, "BBB20", user=booking.learner)
    a.refresh_from_db()
    b.refresh_from_db()
    assert (a.uses, b.uses) == (0, 1)
    assert coupons.apply(booking, "", user=booking.learner) is None
    b.refresh_from_db()
    assert b.uses == 0
    assert not CouponRedemption.objects.exclude(status="released").exists()


def test_preview_writes_nothing(booking_factory, coupon_factory):
    coupon_factory("PEEK", percent=Decimal("25"))
    booking = booking_factory(price_minor=4_000)
    quote = coupons.preview(booking, "peek")
    assert (quote.discount_minor, quote.total_minor, quote.coupon_code) == (1_000, 3_000, "PEEK")
    assert not CouponRedemption.objects.exists()
    assert Coupon.objects.get(code="PEEK").uses == 0


def test_expiry_releases_the_held_use(booking_factory, coupon_factory, django_capture_on_commit_callbacks):
    coupon = coupon_factory("LAPSE", max_uses=1)
    booking = booking_factory(price_minor=4_000)
    coupons.apply(booking, "LAPSE", user=booking.learner)
    with django_capture_on_commit_callbacks(execute=True):  # scheduling's signals follow the commit
        expire_booking(booking)
    coupon.refresh_from_db()
    assert coupon.uses == 0
    assert CouponRedemption.objects.get().status == CouponRedemption.RELEASED


def test_only_the_learner_and_only_before_paying(booking_factory, coupon_factory, user_factory):
    coupon_factory("MINE")
    booking = booking_factory(price_minor=4_000)
    with pytest.raises(PricingConflict):
        coupons.apply(booking, "MINE", user=user_factory())
    expire_booking(booking)
    with pytest.raises(PricingConflict) as caught:
        coupons.apply(booking, "MINE", user=booking.learner)
    assert caught.value.code == "not_payable"


def test_coupon_model_refuses_over_100_percent_and_negative_amounts():
    with pytest.raises(ValidationError) as caught:
        Coupon(code="TOOMUCH", kind=Coupon.PERCENT, percent=Decimal("120")).full_clean()
    assert "percent" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        Coupon(code="NEG", kind=Coupon.FIXED, amount_minor=-5, currency="EUR").full_clean()
    assert "amount_minor" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        Coupon(code="x", kind=Coupon.PERCENT, percent=Decimal("10")).full_clean()
    assert "code" in caught.value.message_dict


def test_the_same_code_again_after_a_transfer_started_is_accepted(manual, booking_factory, coupon_factory):
    from core.payments.services import checkout

    coupon_factory("TEN")
    booking = booking_factory(price_minor=4_000)
    coupons.apply(booking, "TEN", user=booking.learner)
    started = checkout.start_payment(booking, "manual", user=booking.learner)
    assert started.payment.amount_minor == 3_600
    assert coupons.apply(booking, "ten", user=booking.learner).coupon.code == "TEN"  # a retried pay request
    with pytest.raises(PricingConflict) as caught:
        coupons.apply(booking, "", user=booking.learner)
    assert caught.value.code == "payment_started"
