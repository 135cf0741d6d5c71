"""The dashboard's figures agree with each other and with the tables they count.

* a fact is logged once, even when the live receiver and the backfill both see
  it (the demo seeds bookings and backfills in one transaction);
* "Bookings made today" (live tile) equals the report's bookings for today;
* a mentor's earnings count in the month of the session, not of the payment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

pytestmark = pytest.mark.django_db


def test_a_booking_is_logged_once_when_the_backfill_runs_before_the_live_events(
    mentor, user_factory, django_capture_on_commit_callbacks
):
    from core.analytics.models import Event
    from core.analytics.services import events
    from core.analytics.services.backfill import backfill
    from core.analytics.services.live import live_tiles
    from core.analytics.services.metrics import build_report, parse_request
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    start = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        session = create_session(mentor, title="Group", start=start, duration_minutes=60, capacity=3)
        for _ in range(3):
            book_session(session, user_factory())
        backfill()  # inside the transaction: the live events are not written yet
    events.flush()
    assert Event.objects.filter(name="booking.created").count() == 3
    assert Event.objects.filter(name="booking.confirmed").count() == 3
    report = build_report(parse_request({"granularity": "day"}))
    assert live_tiles()["bookings_today"] == report.totals["bookings"] == 3


def test_earnings_count_in_the_month_of_the_session(mentor, user_factory, make_session, make_booking):
    from core.analytics.services.mentor import mentor_summary
    from core.payments.models import LedgerEntry

    now = datetime(2026, 12, 5, 12, tzinfo=UTC)
    session = make_session(datetime(2026, 11, 29, 18, tzinfo=UTC), price_minor=5_000)
    booking = make_booking(session, user_factory())
    LedgerEntry.objects.create(  # paid on 2 December, for the 29 November session
        booking=booking,
        mentor=mentor,
        kind=LedgerEntry.MENTOR_EARNING,
        amount_minor=4_400,
        currency="EUR",
        created_at=datetime(2026, 12, 2, 9, tzinfo=UTC),
    )
    summary = mentor_summary(mentor, now=now)
    months = [m.strftime("%Y-%m") for m in summary.months]
    assert summary.earnings["EUR"][months.index("2026-11")] == 4_400
    assert summary.earnings["EUR"][months.index("2026-12")] == 0
