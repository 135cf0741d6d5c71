"""The REST API: a quote with a coupon to try, paying with a coupon, receipts and their PDFs; bad input is 4xx."""

from __future__ import annotations

from decimal import Decimal

import pytest

from core.payments.models import LedgerEntry, Payment
from core.pricing.models import Coupon, CouponRedemption, Receipt
from core.scheduling.models import Booking

pytestmark = pytest.mark.django_db


def test_quote_shows_the_breakdown_and_previews_a_coupon(revenue, booking_factory, coupon_factory, api_client):
    revenue(fee_percent="5", fixed=50, tax={"DE": "19"}, seller_country="DE")
    coupon_factory("SPRING", percent=Decimal("25"))
    booking = booking_factory(price_minor=4_000)
    api_client.force_authenticate(booking.learner)
    plain = api_client.get(f"/api/bookings/{booking.pk}/quote/").json()
    assert (plain["price"], plain["fee"], plain["tax"], plain["total"]) == ("40.00", "2.50", "8.08", "50.58")
    tried = api_client.get(f"/api/bookings/{booking.pk}/quote/", {"coupon": "spring"}).json()
    assert (tried["discount"], tried["coupon_code"], tried["discount_bearer"]) == ("10.00", "SPRING", "platform")
    assert tried["total_minor"] == 3_000 + 200 + 570 + 38
    assert not CouponRedemption.objects.exists()
    detail = api_client.get(f"/api/bookings/{booking.pk}/").json()
    assert detail["price_breakdown"]["total_minor"] == plain["total_minor"]


@pytest.mark.parametrize(
    "code, reason",
    [("NOSUCH", "There is no coupon"), ("EXPIRED", "expired on"), ("USEDUP", "has been used up")],
)
def test_quote_names_why_a_coupon_cannot_be_used(code, reason, booking_factory, coupon_factory, api_client):
    from datetime import timedelta

    from django.utils import timezone

    coupon_factory("EXPIRED", valid_until=timezone.now() - timedelta(days=1))
    coupon_factory("USEDUP", max_uses=0)
    booking = booking_factory(price_minor=4_000)
    api_client.force_authenticate(booking.learner)
    response = api_client.get(f"/api/bookings/{booking.pk}/quote/", {"coupon": code})
    assert response.status_code == 400
    data = response.json()
    assert data["detail"] and reason in data["errors"]["coupon"][0]


def test_pay_with_a_coupon_charges_the_discounted_total(stripe, revenue, booking_factory, coupon_factory, api_client):
    revenue(fee_percent="5")
    coupon_factory("TEN")
    booking = booking_factory(price_minor=4_000)
    api_client.force_authenticate(booking.learner)
    response = api_client.post(
        f"/api/bookings/{booking.pk}/pay/", {"gateway": "stripe", "coupon": "ten"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["payment"]["amount_minor"] == 3_600 + 180
    intent = stripe.client.v1.payment_intents.retrieve(response.json()["client_data"]["reference"])
    assert intent.amount == 3_780


@pytest.mark.parametrize(
    "coupon, status, code",
    [("NOSUCH", 400, "unknown_coupon"), ("x" * 41, 400, "invalid"), ("BAD\x00CODE", 400, "nul_character")],
)
def test_pay_with_a_bad_coupon_writes_nothing(coupon, status, code, stripe, booking_factory, api_client):
    booking = booking_factory(price_minor=4_000)
    api_client.force_authenticate(booking.learner)
    response = api_client.post(
        f"/api/bookings/{booking.pk}/pay/", {"gateway": "stripe", "coupon": coupon}, format="json"
    )
    assert response.status_code == status, response.content
    data = response.json()
    assert data["detail"]
    assert data.get("code") == code or "coupon" in data.get("errors", {})
    assert not Payment.objects.exists() and not CouponRedemption.objects.exists()


def test_pay_with_a_full_coupon_confirms_without_a_gateway(stripe, booking_factory, coupon_factory, api_client):
    coupon_factory("GIFT", percent=Decimal("100"), bearer=Coupon.MENTOR)
    booking = booking_factory(price_minor=4_000)
    api_client.force_authenticate(booking.learner)
    response = api_client.post(
        f"/api/bookings/{booking.pk}/pay/", {"gateway": "stripe", "coupon": "GIFT"}, format="json"
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["status"] == "confirmed" and data["payment"] is None and data["quote"]["total"] == "0.00"
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert not Payment.objects.exists() and not LedgerEntry.objects.exists()  # the mentor gave it away


def test_receipts_list_and_pdf_for_learner_mentor_not_others(
    stripe, revenue, booking_factory, pay, api_client, user_factory
):
    revenue(fee_percent="5")
    booking = booking_factory(price_minor=4_000)
    pay(booking, stripe)
    receipt = Receipt.objects.get()
    api_client.force_authenticate(booking.learner)
    listed = api_client.get("/api/receipts/").json()
    assert [r["number"] for r in listed] == [receipt.number] and listed[0]["total"] == "42.00"
    pdf = api_client.get(f"/api/receipts/{receipt.number}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    api_client.force_authenticate(booking.session.mentor)
    assert [r["number"] for r in api_client.get("/api/receipts/").json()] == [receipt.number]
    api_client.force_authenticate(user_factory())
    assert api_client.get("/api/receipts/").json() == []
    assert api_client.get(f"/api/receipts/{receipt.number}/pdf").status_code == 404


def test_quote_of_someone_elses_booking_is_404(booking_factory, api_client, user_factory):
    booking = booking_factory(price_minor=4_000)
    api_client.force_authenticate(user_factory())
    assert api_client.get(f"/api/bookings/{booking.pk}/quote/").status_code == 404


def test_pay_with_a_good_coupon_and_an_unknown_gateway_holds_nothing(
    stripe, booking_factory, coupon_factory, api_client
):
    coupon_factory("TEN")
    booking = booking_factory(price_minor=4_000)
    api_client.force_authenticate(booking.learner)
    response = api_client.post(
        f"/api/bookings/{booking.pk}/pay/", {"gateway": "paypal", "coupon": "TEN"}, format="json"
    )
    assert response.status_code == 400 and "gateway" in response.json()["errors"]
    assert not CouponRedemption.objects.exists() and Coupon.objects.get().uses == 0
