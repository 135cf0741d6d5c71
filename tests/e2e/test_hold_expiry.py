"""A seat held for payment comes free at its deadline with no worker running.

The live server runs no Celery worker and no beat: the held seat of the last
place in a session is released because the next page that reads it finds the
hold past its deadline. Another learner books the seat in the browser; the
first learner's booking page and checkout say the hold ran out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Strong-pass-123"


def test_a_lapsed_hold_frees_the_last_seat_without_a_worker(live_server, browser, page: Page):
    from core.accounts.models import User
    from core.scheduling.middleware import forget_hold_deadline
    from core.scheduling.models import Booking
    from core.scheduling.services.sessions import create_session

    mentor = User.objects.create_user("maya@example.org", PASSWORD, display_name="Maya Mentor", is_mentor=True)
    first = User.objects.create_user("lee@example.org", PASSWORD, display_name="Lee Learner")
    second = User.objects.create_user("kim@example.org", PASSWORD, display_name="Kim Learner")
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    session = create_session(
        mentor, title="Pandas clinic", start=start, duration_minutes=60, capacity=1, price_minor=2_000, currency="EUR"
    )

    # The first learner takes the only seat and does not pay.
    log_in(page, live_server, first)
    page.goto(f"/sessions/{session.pk}/")
    page.get_by_role("button", name="Book · €20.00").click()
    expect(page.get_by_test_id("booking-status")).to_have_text("Pending payment")
    expect(page.get_by_test_id("hold-deadline")).to_be_visible()
    held = Booking.objects.get(learner=first)

    # Someone else finds the session full while the hold runs.
    other = browser.new_context(base_url=live_server.url)
    other_page = other.new_page()
    log_in(other_page, live_server, second)
    other_page.goto(f"/sessions/{session.pk}/")
    expect(other_page.get_by_role("button", name="Join the waitlist")).to_be_visible()

    # The hold's deadline passes; no worker, no sweep.
    Booking.objects.filter(pk=held.pk).update(hold_expires_at=datetime.now(UTC) - timedelta(seconds=5))
    forget_hold_deadline()  # the deadline the pages cached was the real one, before this jump

    other_page.reload()
    other_page.get_by_role("button", name="Book · €20.00").click()
    expect(other_page.get_by_test_id("booking-status")).to_have_text("Pending payment")
    other.close()

    page.goto(f"/schedule/bookings/{held.pk}/")
    expect(page.get_by_test_id("booking-status")).to_have_text("Expired")
    expect(page.get_by_test_id("hold-deadline")).to_have_count(0)
    page.goto(f"/payments/checkout/{held.pk}/")
    expect(page.locator("#booking-message")).to_have_text("The hold on this seat ran out before the payment arrived.")
    held.refresh_from_db()
    assert held.status == Booking.EXPIRED
    assert Booking.objects.get(learner=second).status == Booking.PENDING_PAYMENT
