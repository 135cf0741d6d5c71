"""The log hears the core: bookings, sessions, money, reviews, rooms, recommendations and sign-ups."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.analytics.models import Event
from core.analytics.services.events import flush


def names(**filters) -> list[str]:
    """The core's own events matching ``filters`` (the ``domain.*`` copies are tested in test_domain_events)."""
    flush()
    rows = Event.objects.filter(**filters).exclude(name__startswith="domain.")
    return list(rows.order_by("id").values_list("name", flat=True))


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run on-commit work (signals, the log) as if each service call had committed."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def test_booking_lifecycle_and_money(db, committed, user_factory, mentor, skills):
    from core.payments.models import LedgerEntry
    from core.scheduling.services.bookings import book_session, confirm_booking
    from core.scheduling.services.sessions import create_session

    learner = user_factory(display_name="Ada")
    start = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0, second=0)
    session = committed(
        create_session,
        mentor,
        title="Python basics",
        start=start,
        duration_minutes=60,
        price_minor=2500,
        currency="EUR",
        skills=[skills["python"]],
    )
    assert names(session_id=session.pk) == ["session.created"]
    booking = committed(book_session, session, learner)
    committed(confirm_booking, booking)
    assert names(booking_id=booking.pk) == ["booking.created", "booking.confirmed"]
    created = Event.objects.get(name="booking.created", booking_id=booking.pk)
    assert (created.user_id, created.mentor_id, created.amount_minor, created.currency) == (
        learner.pk,
        mentor.pk,
        2500,
        "EUR",
    )
    assert created.skill_ids == [skills["python"].pk]
    assert created.data["old_status"] is None and created.data["lead_hours"] > 70
    assert created.occurred_at == booking.created_at

    committed(LedgerEntry.objects.create, booking=booking, kind="charge", amount_minor=2500, currency="EUR")
    committed(LedgerEntry.objects.create, booking=booking, kind="commission", amount_minor=300, currency="EUR")
    charged = Event.objects.filter(booking_id=booking.pk, name__startswith="payment.")
    assert [(e.name, e.amount_minor, e.user_id, e.skill_ids) for e in charged] == [
        ("payment.charged", 2500, learner.pk, [skills["python"].pk])
    ]


def test_reviews_rooms_and_recommendations(db, committed, user_factory, mentor, make_session, make_booking):
    from core.catalogue.models import Review
    from core.recommendations.models import RecommendationEvent
    from core.rooms.models import Attendance

    learner = user_factory()
    session = make_session(datetime.now(UTC) - timedelta(days=1))
    booking = make_booking(session, learner, status="completed")
    committed(Review.objects.create, booking=booking, mentor=mentor, learner=learner, rating=4)
    committed(Attendance.objects.create, session=session, user=learner, role="learner", peer_id="p1")
    committed(
        RecommendationEvent.objects.create, user=learner, item=f"mentor:{mentor.pk}", kind="click", surface="home"
    )
    assert names(user_id=learner.pk) == ["review.submitted", "room.joined", "recommendation.click"]
    review = Event.objects.get(name="review.submitted")
    assert (review.mentor_id, review.session_id, review.data["rating"]) == (mentor.pk, session.pk, 4)
    click = Event.objects.get(name="recommendation.click")
    feedback = RecommendationEvent.objects.get()
    assert click.data == {
        "item": f"mentor:{mentor.pk}",
        "surface": "home",
        "position": None,
        "impression_id": str(feedback.impression_id),
        "experiment_id": None,
        "variant": "",
    }
    joined = Event.objects.get(name="room.joined")
    assert joined.data == {"role": "learner", "attendance_id": Attendance.objects.get().pk}


def test_every_new_account_is_one_sign_up(db, committed, user_factory, skills):
    from allauth.account.signals import user_signed_up

    def create():
        user = user_factory(display_name="New", is_mentor=True)
        user.interests.set([skills["sql"]])
        user_signed_up.send(sender=type(user), request=None, user=user)
        return user

    user = committed(create)
    assert names(user_id=user.pk) == ["user.signed_up"]
    event = Event.objects.get(user_id=user.pk)
    assert event.skill_ids == [skills["sql"].pk]
    assert event.data["roles"] == ["learner", "mentor"]
    assert event.occurred_at == user.date_joined


def test_a_failing_receiver_never_breaks_the_booking(db, committed, user_factory, mentor, monkeypatch, caplog):
    from core.analytics import receivers
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    def broken(*args, **kwargs):
        raise RuntimeError("analytics is down")

    monkeypatch.setattr(receivers, "session_skill_ids", broken)
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0, second=0)
    session = committed(create_session, mentor, title="Free chat", start=start, duration_minutes=30)
    booking = committed(book_session, session, user_factory())
    assert booking.status == "confirmed"
    assert "analytics receiver" in caplog.text
