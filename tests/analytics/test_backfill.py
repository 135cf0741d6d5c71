"""History from before the log: rebuilt once, never twice."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from django.core.management import call_command

from core.analytics.models import Event


def test_backfill_rebuilds_business_events_once(db, user_factory, mentor, skills, make_session, make_booking, ledger):
    from core.catalogue.models import Review

    learner = user_factory(display_name="Old Learner")
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    session = make_session(start, skills=[skills["python"]], price_minor=2000)
    done = make_booking(
        session,
        learner,
        status="completed",
        created_at=start - timedelta(days=2),
        confirmed_at=start - timedelta(days=2, minutes=-5),
        closed_at=start + timedelta(hours=1),
    )
    ledger("charge", 2000, "EUR", start - timedelta(days=2), done)
    Review.objects.create(booking=done, mentor=mentor, learner=learner, rating=5)
    Event.objects.all()._prune()  # start from an empty log (rows made without services left none anyway)

    call_command("analytics_backfill", stdout=io.StringIO())
    names = sorted(Event.objects.values_list("name", flat=True))
    users = Event.objects.filter(name="user.signed_up").count()
    assert users == 2  # the mentor and the learner
    assert names.count("booking.created") == 1 and names.count("booking.completed") == 1
    assert names.count("payment.charged") == 1 and names.count("review.submitted") == 1
    completed = Event.objects.get(name="booking.completed")
    assert completed.occurred_at == done.closed_at and completed.skill_ids == [skills["python"].pk]
    assert completed.data["old_status"] == "confirmed"

    before = Event.objects.count()
    call_command("analytics_backfill", stdout=io.StringIO())
    assert Event.objects.count() == before


def test_demo_seeder_backfills_and_fits(db, user_factory):
    from types import SimpleNamespace

    from core.analytics import demo
    from core.analytics.models import PredictionModel

    user_factory()
    context = SimpleNamespace(report=SimpleNamespace(counts={}))
    demo.seed(context)
    assert context.report.counts["prediction models ready"] == 0  # one account: nothing to learn from
    assert PredictionModel.objects.count() == 4
