"""The payments REST API: pay, booking detail, refund, earnings, gateways; errors are JSON with a reason."""

from __future__ import annotations

import pytest

from core.payments.models import Payment, Refund
from core.payments.services import checkout

pytestmark = pytest.mark.django_db


def test_pay_returns_what_stripe_js_needs_and_resumes(stripe, booking_factory, api_client):
    booking = booking_factory(price_minor=4_200)
    api_client.force_authenticate(booking.learner)
    first = api_client.post(f"/api/bookings/{booking.pk}/pay/", {"gateway": "stripe"}, format="json")
    assert first.status_code == 200, first.content
    data = first.json()
    assert data["gateway"] == "stripe"
    assert data["client_data"]["client_secret"].startswith(data["client_data"]["reference"])
    assert data["client_data"]["publishable_key"] == "pk_test_harness"
    assert data["payment"]["amount_minor"] == 4_200 and data["payment"]["amount"] == "42.00"
    again = api_client.post(f"/api/bookings/{booking.pk}/pay/", {"gateway": "stripe"}, format="json").json()
    assert again["payment"]["id"] == data["payment"]["id"]
    assert again["client_data"]["reference"] == data["client_data"]["reference"]


def test_pay_with_razorpay_returns_order_and_key(razorpay, configure_gateway, booking_factory, api_client):
    configure_gateway(razorpay, currencies="INR")
    booking = booking_factory(price_minor=150_000, currency="INR")
    api_client.force_authenticate(booking.learner)
    data = api_client.post(f"/api/bookings/{booking.pk}/pay/", {"gateway": "razorpay"}, format="json").json()
    assert data["client_data"]["order_id"].startswith("order_")
    assert data["client_data"]["key_id"] == razorpay.key_id
    assert "key_secret" not in str(data)


@pytest.mark.parametrize(
    "body, status, field_or_code",
    [
        ({}, 400, "gateway"),
        ({"gateway": "no such!"}, 400, "gateway"),
        ({"gateway": "paypal"}, 400, "gateway"),
    ],
)
def test_pay_bad_input(body, status, field_or_code, stripe, booking_factory, api_client):
    booking = booking_factory()
    api_client.force_authenticate(booking.learner)
    response = api_client.post(f"/api/bookings/{booking.pk}/pay/", body, format="json")
    assert response.status_code == status
    data = response.json()
    assert data["detail"]
    assert field_or_code in data.get("errors", {}) or data["code"] == field_or_code
    assert not Payment.objects.exists()


def test_pay_with_the_gateway_down_is_502_with_a_message(harness_for, configure_gateway, booking_factory, api_client):
    configure_gateway(harness_for("payment_stripe"), outage=True)
    booking = booking_factory()
    api_client.force_authenticate(booking.learner)
    response = api_client.post(f"/api/bookings/{booking.pk}/pay/", {"gateway": "stripe"}, format="json")
    assert response.status_code == 502
    assert response.json()["code"] == "gateway_refused"
    assert "could not be reached" in response.json()["detail"]


def test_someone_else_cannot_pay_or_see_payments(stripe, booking_factory, api_client, user_factory, mentor):
    booking = booking_factory()
    checkout.start_payment(booking, "stripe", user=booking.learner)
    api_client.force_authenticate(user_factory())
    assert api_client.post(f"/api/bookings/{booking.pk}/pay/", {"gateway": "stripe"}).status_code == 404
    assert api_client.get(f"/api/bookings/{booking.pk}/").status_code == 404
    api_client.force_authenticate(mentor)
    seen = api_client.get(f"/api/bookings/{booking.pk}/").json()
    assert seen["status"] == "pending_payment" and seen["payments"] == []


def test_booking_detail_shows_status_and_payments(stripe, booking_factory, api_client, deliver):
    booking = booking_factory(price_minor=3_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    charge = stripe.complete(started.start)
    deliver("stripe", stripe.succeeded_event(started.start, charge))
    api_client.force_authenticate(booking.learner)
    data = api_client.get(f"/api/bookings/{booking.pk}/").json()
    assert data["status"] == "confirmed"
    assert data["session"]["title"].startswith("Data analysis")
    (payment,) = data["payments"]
    assert payment["status"] == "succeeded" and payment["gateway"] == "stripe" and payment["refunds"] == []


def test_refund_endpoint(stripe, booking_factory, api_client, deliver, staff, learner):
    booking = booking_factory(price_minor=3_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    deliver("stripe", stripe.succeeded_event(started.start, stripe.complete(started.start)))
    api_client.force_authenticate(learner)
    assert api_client.post(f"/api/bookings/{booking.pk}/refund/", {}, format="json").status_code == 403
    api_client.force_authenticate(staff)
    too_much = api_client.post(f"/api/bookings/{booking.pk}/refund/", {"amount": "30.01"}, format="json")
    assert too_much.status_code == 400 and "amount" in too_much.json()["errors"]
    bad = api_client.post(f"/api/bookings/{booking.pk}/refund/", {"amount": "1.234"}, format="json")
    assert bad.status_code == 400 and "decimal" in bad.json()["errors"]["amount"][0]
    both = api_client.post(f"/api/bookings/{booking.pk}/refund/", {"amount": "1", "amount_minor": 1}, format="json")
    assert both.status_code == 400
    part = api_client.post(f"/api/bookings/{booking.pk}/refund/", {"amount": "10.00", "note": "late"}, format="json")
    assert part.status_code == 200, part.content
    assert part.json()["amount_minor"] == 1_000 and part.json()["status"] == "succeeded"
    rest = api_client.post(f"/api/bookings/{booking.pk}/refund/", {}, format="json")
    assert rest.json()["amount_minor"] == 2_000
    done = api_client.post(f"/api/bookings/{booking.pk}/refund/", {}, format="json")
    assert done.status_code == 409 and done.json()["code"] == "fully_refunded"
    assert Refund.objects.count() == 2


def test_earnings_endpoint(stripe, booking_factory, api_client, deliver, mentor, learner):
    booking = booking_factory(price_minor=5_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    deliver("stripe", stripe.succeeded_event(started.start, stripe.complete(started.start)))
    api_client.force_authenticate(learner)
    assert api_client.get("/api/earnings/").status_code == 403
    api_client.force_authenticate(mentor)
    data = api_client.get("/api/earnings/").json()
    assert data["totals"] == [
        {
            "currency": "EUR",
            "pending_minor": 4_400,
            "available_minor": 0,
            "paid_out_minor": 0,
            "pending": "44.00",
            "available": "0.00",
            "paid_out": "0.00",
        }
    ]
    (line,) = data["lines"]
    assert (line["booking"], line["paid_minor"], line["commission_minor"], line["state"]) == (
        booking.pk,
        5_000,
        600,
        "pending",
    )


def test_gateways_endpoint(stripe, manual, razorpay, configure_gateway, api_client, learner):
    configure_gateway(razorpay, currencies="INR")
    api_client.force_authenticate(learner)
    eur = {g["identifier"] for g in api_client.get("/api/payments/gateways/?currency=eur").json()}
    assert eur == {"stripe", "manual"}
    inr = {g["identifier"] for g in api_client.get("/api/payments/gateways/?currency=INR").json()}
    assert inr == {"stripe", "manual", "razorpay"}
    assert api_client.get("/api/payments/gateways/?currency=euro").status_code == 400


def test_endpoints_are_in_the_schema(api_client, learner):
    api_client.force_authenticate(learner)
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ("/api/bookings/{id}/", "/api/bookings/{id}/pay/", "/api/bookings/{id}/refund/", "/api/earnings/"):
        assert path in schema["paths"], path
