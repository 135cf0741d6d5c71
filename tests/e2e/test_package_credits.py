"""A learner buys a package on the mentor's page, pays once with a gift card, and books with a credit.

Follows test_coupon_checkout / test_giftcard_checkout: the live server, Debian's Chromium,
the gift card gateway (it settles while the learner pays: no webhook to play).
"""

from __future__ import annotations

import re
from datetime import time

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import enable_plugin, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Strong-pass-123"


def _setup():
    from core.accounts.models import User
    from core.catalogue.models import MentorIndexPage, MentorPage
    from core.catalogue.profiles import bio_from_text
    from core.packages.services.catalogue import save_package
    from core.scheduling.models import SchedulingProfile, WeeklyRule
    from plugins.payments.giftcard.models import GiftCard

    site = enable_plugin("payment_giftcard")
    root = site.root_page.specific
    index = MentorIndexPage(title="Mentors", slug="mentors", intro="Find your mentor.")
    root.add_child(instance=index)
    index.save_revision().publish()
    mentor = User.objects.create_user(
        "maya@example.org", PASSWORD, display_name="Maya Mentor", is_mentor=True, time_zone="UTC"
    )
    page = MentorPage(
        title="Maya Mentor",
        slug="maya-mentor",
        user=mentor,
        headline="Python from scratch",
        bio=bio_from_text("I teach Python."),
        languages=["en"],
        hourly_rate_minor=4_000,
        currency="EUR",
    )
    index.add_child(instance=page)
    page.save_revision(user=mentor).publish()
    SchedulingProfile.objects.create(
        mentor=mentor, min_notice_minutes=0, horizon_days=30, buffer_minutes=0, slot_lengths=[60], slot_step_minutes=60
    )
    for weekday in range(7):
        WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time=time(6), end_time=time(22))
    package = save_package(
        mentor,
        {"title": "Three Python sessions", "sessions": 3, "duration_minutes": 60, "validity_days": 60},
        [{"currency": "EUR", "amount": "105.00"}],
    )
    learner = User.objects.create_user("lee@example.org", PASSWORD, display_name="Lee Learner")
    GiftCard.objects.create(code="GC-PACK-E2E1-CARD", currency="EUR", initial_minor=20_000)
    return page, package, learner


def test_learner_buys_a_package_and_books_with_a_credit(live_server, page: Page):
    from core.packages.models import CreditUse, PackagePurchase
    from core.payments.services.ledger import balances
    from core.pricing.models import Receipt
    from core.scheduling.models import Booking

    mentor_page, package, learner = _setup()
    log_in(page, live_server, learner)

    page.goto(mentor_page.url)
    offer = page.locator(f"[data-package='{package.pk}']")
    expect(offer).to_contain_text("Three Python sessions")
    expect(offer).to_contain_text("€105.00")
    with page.expect_navigation():
        offer.get_by_role("link", name="Buy").click()
    expect(page.get_by_test_id("amount")).to_have_text("€105.00")

    page.get_by_label("Gift card").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    page.get_by_label("Gift card code").fill("gc-pack-e2e1-card")
    with page.expect_navigation():
        page.get_by_role("button", name="Pay €105.00").click()
    expect(page.get_by_test_id("purchase-status")).to_contain_text("you have 3 credits")

    with page.expect_navigation():
        page.get_by_role("link", name="Book a session with a credit").click()
    expect(page.get_by_test_id("credits-left")).to_contain_text("3 credits left")
    first_slot = page.locator("[data-slot]").first
    start = first_slot.get_attribute("data-slot")
    with page.expect_navigation():
        first_slot.click()
    expect(page).to_have_url(re.compile(r"/schedule/bookings/\d+/$"))
    expect(page.get_by_text("Booked with one credit: your session is confirmed.")).to_be_visible()

    page.goto("/packages/credits/")
    expect(page.get_by_test_id("credits-left")).to_have_text("2 of 3 credits left")

    purchase = PackagePurchase.objects.get(learner=learner)
    assert purchase.status == PackagePurchase.PAID and purchase.credits_left == 2
    use = CreditUse.objects.get(purchase=purchase)
    assert use.booking.status == Booking.CONFIRMED and use.booking.starts_at.isoformat().startswith(start[:16])
    assert Receipt.objects.filter(purchase=purchase, kind=Receipt.RECEIPT, total_minor=10_500).exists()
    totals = balances(payment__purchase=purchase)
    assert totals.held == 10_500 and totals.unearned == 10_500 and totals.balanced
