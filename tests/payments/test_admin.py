"""The Payments menu of the Wagtail admin: lists, mark paid, refund, payouts, revenue, reconcile, settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from core.payments.models import LedgerEntry, Payment, Payout, Refund
from core.payments.services import checkout, events
from core.scheduling.models import Booking

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/payments/payments/",
        "/admin/payments/refunds/",
        "/admin/payments/events/",
        "/admin/payments/payouts/",
        "/admin/payments/ledger/",
        "/admin/payments-admin/payouts-due/",
        "/admin/payments-admin/revenue/",
    ],
)
def test_pages_load(url, admin_client, stripe, booking_factory, deliver):
    booking = booking_factory()
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    deliver("stripe", stripe.succeeded_event(started.start, stripe.complete(started.start)))
    response = admin_client.get(url)
    assert response.status_code == 200, url
    assert "/new/" not in response.content.decode()  # nothing here is added or edited by hand


def test_lists_cannot_add_or_edit(admin_client):
    assert admin_client.get("/admin/payments/ledger/new/").status_code == 404
    assert admin_client.get("/admin/payments/payments/edit/1/").status_code == 404


def test_editor_marks_a_bank_transfer_paid(admin_client, manual, booking_factory):
    booking = booking_factory()
    started = checkout.start_payment(booking, "manual", user=booking.learner)
    listing = admin_client.get("/admin/payments/payments/").content.decode()
    assert f"/admin/payments-admin/payment/{started.payment.pk}/mark-paid/" in listing
    confirm = admin_client.get(f"/admin/payments-admin/payment/{started.payment.pk}/mark-paid/")
    assert confirm.status_code == 200 and started.payment.reference in confirm.content.decode()
    done = admin_client.post(f"/admin/payments-admin/payment/{started.payment.pk}/mark-paid/", follow=True)
    assert done.status_code == 200
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").count() == 1


def test_editor_refunds_from_the_admin(admin_client, stripe, booking_factory, deliver):
    booking = booking_factory(price_minor=4_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    deliver("stripe", stripe.succeeded_event(started.start, stripe.complete(started.start)))
    url = f"/admin/payments-admin/payment/{started.payment.pk}/refund/"
    assert "€40.00" in admin_client.get(url).content.decode()
    refused = admin_client.post(url, {"amount": "41"})
    assert refused.status_code == 400 and "more than" in refused.content.decode()
    assert not Refund.objects.exists()
    admin_client.post(url, {"amount": "15.00", "note": "partial"})
    assert Refund.objects.get().amount_minor == 1_500


def test_editor_records_a_payout(admin_client, stripe, booking_factory, deliver, mentor):
    from core.scheduling.services.bookings import complete_booking

    booking = booking_factory(price_minor=5_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    deliver("stripe", stripe.succeeded_event(started.start, stripe.complete(started.start)))
    complete_booking(booking, now=timezone.now() + timedelta(days=5))
    page = admin_client.get("/admin/payments-admin/payouts-due/").content.decode()
    assert "€44.00" in page and mentor.email in page
    admin_client.post(
        "/admin/payments-admin/payouts-due/", {"mentor": mentor.pk, "currency": "EUR", "reference": "SEPA-42"}
    )
    payout = Payout.objects.get()
    assert (payout.amount_minor, payout.reference) == (4_400, "SEPA-42")
    export = admin_client.get("/admin/payments/ledger/?export=csv")
    assert export.status_code == 200 and b"payout" in b"".join(export.streaming_content)


def test_revenue_csv_export(admin_client, stripe, booking_factory, deliver):
    booking = booking_factory(price_minor=5_000)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    deliver("stripe", stripe.succeeded_event(started.start, stripe.complete(started.start)))
    page = admin_client.get("/admin/payments-admin/revenue/").content.decode()
    assert "€50.00" in page and "€6.00" in page
    csv = admin_client.get("/admin/payments-admin/revenue/?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    assert b"commission,6.00,EUR,600" in csv.content


def test_reconcile_recovers_a_lost_webhook_once(admin_client, stripe, booking_factory):
    booking = booking_factory()
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    stripe.complete(started.start)  # paid at Stripe, but the webhook never arrives
    response = admin_client.post("/admin/payments-admin/reconcile/", follow=True)
    assert response.status_code == 200
    assert "1 paid without a webhook recorded now" in response.content.decode()
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.status == Payment.SUCCEEDED and not payment.needs_review
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    admin_client.post("/admin/payments-admin/reconcile/")  # a second run, then the late webhook: nothing twice
    deliver_late = stripe.succeeded_event(started.start)
    assert events.handle_webhook("stripe", *deliver_late).status in ("duplicate", "processed")
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").count() == 1


def test_reconcile_flags_an_amount_the_gateway_disagrees_with(admin_client, stripe, booking_factory):
    booking = booking_factory()
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    stripe.complete(started.start)
    Payment.objects.filter(pk=started.payment.pk).update(amount_minor=started.payment.amount_minor + 1)
    admin_client.post("/admin/payments-admin/reconcile/")
    admin_client.post("/admin/payments-admin/reconcile/")  # the same difference is not appended twice
    payment = Payment.objects.get(pk=started.payment.pk)
    assert payment.needs_review and payment.review_reason.count("The gateway's payment is") == 1


def test_commission_setting_is_validated(admin_client):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/payments/paymentsettings/{site.pk}/"
    assert admin_client.get(url).status_code == 200
    refused = admin_client.post(
        url, {"commission_percent": "20", "late_payment_action": "refund", "manual_hold_hours": "72"}
    )
    assert refused.status_code == 200 and "less than or equal to 15" in refused.content.decode()
    admin_client.post(url, {"commission_percent": "10.5", "late_payment_action": "review", "manual_hold_hours": "48"})
    from core.payments.models import PaymentSettings

    assert PaymentSettings.for_site(site).commission_bp == 1050
    assert PaymentSettings.for_site(site).manual_hold_hours == 48


def test_people_without_permission_are_refused(client, user_factory, stripe, booking_factory):
    booking = booking_factory()
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    client.force_login(user_factory(is_staff=True))  # staff, but no payment permissions
    assert client.post(f"/admin/payments-admin/payment/{started.payment.pk}/mark-paid/").status_code in (302, 403)
    assert client.get("/admin/payments-admin/payouts-due/").status_code in (302, 403)


def test_a_payment_reads_as_money_not_as_columns(admin_client, manual, booking_factory):
    booking = booking_factory(price_minor=4_050)
    started = checkout.start_payment(booking, "manual", user=booking.learner)
    html = admin_client.get(f"/admin/payments/payments/inspect/{started.payment.pk}/").content.decode()
    assert "€40.50" in html and "12 %" in html
    for internal in ("Amount minor", "Commission bp", "Idempotency key", started.payment.idempotency_key):
        assert internal not in html, internal


@pytest.mark.parametrize("query", ["?from=0001-01&to=9999-12", "?to=9999-12&format=csv", "?from=nonsense"])
def test_revenue_months_far_out_or_malformed_are_kept_in_range(admin_client, query):
    response = admin_client.get(f"/admin/payments-admin/revenue/{query}")
    assert response.status_code == 200
