"""Series are all or nothing under concurrency, on PostgreSQL: two learners race for overlapping series.

One wins every session; the other gets nothing and the first clash named. Run
with DATABASE_URL and REDIS_URL set (`realstack`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.scheduling.models import Booking, BookingSeries, SeriesOccurrence, Session
from core.scheduling.services import series

from .test_concurrency import race

pytestmark = pytest.mark.realstack
racing = pytest.mark.django_db(transaction=True)

ROUNDS = 5


@racing
def test_two_learners_racing_for_overlapping_series_one_wins_whole(mentor_factory, user_factory):
    mentor = mentor_factory("Europe/Berlin", [(d, "08:00", "20:00") for d in range(7)], horizon=366)
    day = (datetime.now(UTC) + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
    for round_number in range(ROUNDS):
        ada, bob = user_factory(), user_factory()
        first = day + timedelta(days=round_number)
        # Ada: weekly x 6 from day 0; Bob: fortnightly x 4 from week 2, overlapping Ada's weeks 2, 4 and 6.
        jobs = [
            lambda a=ada, f=first: series.book_series(mentor, a, f, "weekly", 6, 60),
            lambda b=bob, f=first: series.book_series(mentor, b, f + timedelta(weeks=1), "fortnightly", 4, 60),
        ]
        results, conflicts, errors = race(jobs)
        assert errors == [], errors
        assert len(results) == 1 and conflicts == ["series_clash"], (results, conflicts)
        winner = results[0]
        loser = bob if winner.learner_id == ada.pk else ada
        assert SeriesOccurrence.objects.filter(series=winner).count() == winner.count
        assert Booking.objects.filter(learner=winner.learner, status=Booking.CONFIRMED).count() == winner.count
        assert not BookingSeries.objects.filter(learner=loser).exists()
        assert not Booking.objects.filter(learner=loser).exists()
    assert Session.objects.filter(mentor=mentor, status=Session.SCHEDULED).count() == sum(
        s.count for s in BookingSeries.objects.all()
    )


@racing
def test_the_loser_is_told_which_session_clashed(mentor_factory, user_factory):
    from threading import Barrier

    mentor = mentor_factory("UTC", [(d, "08:00", "20:00") for d in range(7)], horizon=366)
    first = (datetime.now(UTC) + timedelta(days=4)).replace(hour=12, minute=0, second=0, microsecond=0)
    ada, bob = user_factory(), user_factory()
    caught: list[series.SeriesClash] = []
    barrier = Barrier(2)

    def attempt(learner, start):
        def run():
            barrier.wait()
            try:
                return series.book_series(mentor, learner, start, "weekly", 3, 60)
            except series.SeriesClash as exc:
                caught.append(exc)
                raise

        return run

    results, conflicts, errors = race([attempt(ada, first), attempt(bob, first + timedelta(weeks=2))])
    assert errors == [] and len(results) == 1 and len(caught) == 1
    clash = caught[0].as_dict()
    assert clash["reason"] in (series.SEAT_TAKEN, series.MENTOR_BUSY)
    expected_index = 3 if results[0].learner_id == bob.pk else 1  # where the two series meet
    assert clash["index"] == expected_index
