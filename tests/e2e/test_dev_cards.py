"""`scripts/dev --cards`: a learner types 4242 4242 4242 4242 and sees the booking confirmed, all offline.

The same wiring as the script: ``scripts/localstripe_dev.py`` runs localstripe
on loopback and delivers its signed webhooks to the site; the Stripe plugin gets
its keys from the environment defaults (``STRIPE_*``). Nothing is confirmed by
the test: localstripe's own ``payment_intent.succeeded`` webhook does it.
"""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a-Strong-pass-123"
WEBHOOK_SECRET = "whsec_peerlearn_e2e"


@pytest.fixture
def dev_localstripe(live_server, monkeypatch):
    from tests.plugins.payments.servers import _wait_for_port, free_port

    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "localstripe_dev.py"),
            "--port",
            str(port),
            "--webhook-url",
            f"{live_server.url}/payments/webhooks/stripe/",
            "--webhook-secret",
            WEBHOOK_SECRET,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process=process)
        base = f"http://127.0.0.1:{port}"
        monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_peerlearn_e2e")
        monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_peerlearn_e2e")
        monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
        monkeypatch.setenv("STRIPE_API_BASE", base)
        monkeypatch.setenv("STRIPE_JS_URL", f"{base}/js.stripe.com/peerlearn/v3/")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def _booking():
    from core.accounts.models import User
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    mentor = User.objects.create_user("maya@example.org", PASSWORD, display_name="Maya Mentor", is_mentor=True)
    learner = User.objects.create_user("lee@example.org", PASSWORD, display_name="Lee Learner")
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    session = create_session(
        mentor, title="Pandas in practice", start=start, duration_minutes=60, price_minor=3_500, currency="EUR"
    )
    return book_session(session, learner), learner


def _type_card(page: Page, number: str) -> None:
    card = page.locator("#stripe-card-element")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("10115")


def test_a_typed_test_card_confirms_the_booking(live_server, page: Page, dev_localstripe):
    from core.payments.models import Payment
    from core.scheduling.models import Booking

    booking, learner = _booking()
    log_in(page, live_server, learner)
    page.goto(f"/payments/checkout/{booking.pk}/")
    page.get_by_label("Card (Stripe)").check()
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/stripe/$"))

    _type_card(page, "4000000000000002")  # a declined card first: said once, nothing charged
    page.get_by_role("button", name="Pay €35.00").click()
    expect(page.locator("#stripe-card-errors")).to_have_text("Your card was declined.")
    assert Booking.objects.get(pk=booking.pk).status == Booking.PENDING_PAYMENT

    _type_card(page, "4242424242424242")
    page.get_by_role("button", name="Pay €35.00").click()
    expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/result/$"))
    expect(page.locator("#booking-status")).to_have_text("Confirmed", timeout=20_000)
    expect(page.locator("#booking-message")).to_have_text("Your booking is confirmed.")
    expect(page.get_by_text("Your seat is held until")).to_be_hidden()
    assert Booking.objects.get(pk=booking.pk).status == Booking.CONFIRMED
    assert Payment.objects.get(booking=booking).status == Payment.SUCCEEDED

    page.goto(f"/schedule/bookings/{booking.pk}/")
    expect(page.get_by_test_id("booking-status")).to_have_text("Confirmed")
    expect(page.get_by_text("held until")).to_have_count(0)
