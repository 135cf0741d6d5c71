"""The pages: checkout shows the breakdown and takes a coupon, receipts and billing details, a mentor's coupons."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.pricing.models import BillingDetails, Coupon, CouponRedemption, Receipt
from core.scheduling.models import Booking

pytestmark = pytest.mark.django_db


def test_checkout_shows_fee_and_applies_a_coupon(client, stripe, revenue, booking_factory, coupon_factory):
    revenue(fee_percent="5", fixed=50)
    coupon_factory("TEN")
    booking = booking_factory(price_minor=4_000)
    client.force_login(booking.learner)
    page = client.get(f"/payments/checkout/{booking.pk}/").content.decode()
    assert 'data-testid="fee">€2.50' in page and 'data-testid="amount">€42.50' in page
    response = client.post(f"/payments/checkout/{booking.pk}/coupon/", {"coupon": "ten"}, follow=True)
    page = response.content.decode()
    assert "Coupon TEN applied." in page
    assert 'data-testid="discount">−€4.00' in page and 'data-testid="amount">€38.30' in page
    response = client.post(f"/payments/checkout/{booking.pk}/coupon/", {"remove": "1"}, follow=True)
    assert 'data-testid="amount">€42.50' in response.content.decode()


def test_checkout_says_why_a_coupon_is_refused(client, booking_factory):
    booking = booking_factory(price_minor=4_000)
    client.force_login(booking.learner)
    response = client.post(f"/payments/checkout/{booking.pk}/coupon/", {"coupon": "NOPE"}, follow=True)
    assert "There is no coupon “NOPE”." in response.content.decode()
    assert not CouponRedemption.objects.exists()


def test_the_pay_page_asks_for_the_total(client, stripe, revenue, booking_factory):
    revenue(fee_percent="5")
    booking = booking_factory(price_minor=4_000)
    client.force_login(booking.learner)
    page = client.get(f"/payments/checkout/{booking.pk}/stripe/").content.decode()
    assert "Pay €42.00" in page


def test_a_covered_booking_is_confirmed_from_the_checkout(client, stripe, booking_factory, coupon_factory):
    coupon_factory("ONUS", percent=Decimal("100"))
    booking = booking_factory(price_minor=4_000)
    client.force_login(booking.learner)
    client.post(f"/payments/checkout/{booking.pk}/coupon/", {"coupon": "ONUS"})
    page = client.get(f"/payments/checkout/{booking.pk}/").content.decode()
    assert "Confirm booking" in page
    response = client.post(f"/payments/checkout/{booking.pk}/covered/")
    assert response.status_code == 302 and response["Location"].endswith("/result/")
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED


def test_receipts_page_lists_and_saves_billing_details(client, stripe, revenue, booking_factory, pay, learner):
    revenue(fee_percent="5")
    pay(booking_factory(price_minor=4_000), stripe)
    client.force_login(learner)
    page = client.get("/payments/receipts/").content.decode()
    number = Receipt.objects.get().number
    assert number in page and f"/payments/receipts/{number}.pdf" in page
    bad = client.post("/payments/receipts/", {"country": "Germany", "tax_id": "<script>"})
    assert bad.status_code == 400 and not BillingDetails.objects.exists()
    good = client.post("/payments/receipts/", {"country": "de", "tax_id": "DE 123/456", "legal_name": "Ada L."})
    assert good.status_code == 302
    assert BillingDetails.objects.get(user=learner).country == "DE"


def test_mentor_creates_an_own_coupon(client, mentor, booking_factory):
    client.force_login(mentor)
    assert client.get("/payments/coupons/").status_code == 200
    response = client.post(
        "/payments/coupons/", {"code": "grace20", "kind": "percent", "percent": "20", "max_uses": "5"}
    )
    assert response.status_code == 302
    coupon = Coupon.objects.get()
    assert (coupon.code, coupon.owner, coupon.bearer) == ("GRACE20", mentor, Coupon.MENTOR)
    refused = client.post("/payments/coupons/", {"code": "TOOBIG", "kind": "percent", "percent": "150"})
    assert refused.status_code == 400 and Coupon.objects.count() == 1
    client.post("/payments/coupons/", {"deactivate": str(coupon.pk)})
    coupon.refresh_from_db()
    assert not coupon.active


def test_learners_have_no_coupon_page(client, learner):
    client.force_login(learner)
    assert client.get("/payments/coupons/").status_code == 302
    assert not Coupon.objects.exists()


def test_mentor_monthly_statement_page_and_pdf(client, stripe, revenue, booking_factory, pay, mentor, staff):
    from django.utils import timezone

    from core.payments.services import payouts

    revenue(fee_percent="5")
    booking = booking_factory(price_minor=4_000)
    pay(booking, stripe)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.COMPLETED)
    payouts.record_payout(mentor, "EUR", by=staff)
    client.force_login(mentor)
    month = timezone.now().strftime("%Y-%m")
    page = client.get("/payments/statement/", {"month": month}).content.decode()
    assert "€40.00" in page and "€4.80" in page and page.count("€35.20") == 2  # earned and paid out
    assert "€2.00" not in page  # the learner's service fee is not the mentor's
    pdf = client.get("/payments/statement/", {"month": month, "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for bad in ("2026-13", "3000-01", "yesterday"):
        response = client.get("/payments/statement/", {"month": bad}, follow=True)
        assert "Statement" in response.content.decode() and response.redirect_chain
