"""A learner pays a booking with a gift card and sees it confirmed at once, without any webhook."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import enable_plugin, log_in, priced_booking

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Strong-pass-123"


def _setup():
    from plugins.payments.giftcard.models import GiftCard

    enable_plugin("payment_giftcard")
    booking, learner = priced_booking(PASSWORD)
    card = GiftCard.objects.create(code="GC-E2E1-TEST-CARD", currency="EUR", initial_minor=5_000)
    return booking, learner, card


def test_pay_with_a_gift_card_and_see_the_booking_confirmed(live_server, page: Page):
    from core.payments.models import LedgerEntry, WebhookEventRecord
    from core.scheduling.models import Booking

    booking, learner, card = _setup()
    log_in(page, live_server, learner)

    page.goto(f"/payments/checkout/{booking.pk}/")
    page.get_by_label("Gift card").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/giftcard/$"))

    code = page.get_by_label("Gift card code")
    code.fill("gc-none-such-card")
    page.get_by_role("button", name="Pay €35.00").click()
    expect(page.locator("#payment-fields")).to_contain_text("No gift card has this code")
    expect(page.get_by_label("Gift card code")).to_have_attribute("aria-invalid", "true")

    page.get_by_label("Gift card code").fill("gc-e2e1-test-card")  # typed in lower case
    page.get_by_role("button", name="Pay €35.00").click()
    expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/result/$"))
    expect(page.locator("#booking-status")).to_have_text("Confirmed")
    expect(page.locator("#booking-message")).to_have_text("Your booking is confirmed.")

    booking.refresh_from_db()
    card.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert card.balance_minor == 1_500
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").get().amount_minor == 3_500
    assert list(WebhookEventRecord.objects.values_list("source", flat=True)) == ["start"]  # no webhook came
