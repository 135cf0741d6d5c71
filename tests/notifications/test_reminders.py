"""Reminders 24 h and 15 min before a session: sent once, even run twice or by two workers at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.db import connection

from core.notifications import reminders, tasks
from core.notifications.models import Notification, ReminderSent
from core.scheduling.services import bookings as booking_services

H = timedelta(hours=1)
M = timedelta(minutes=1)


def start_in(hours: float) -> datetime:
    return (datetime.now(UTC) + timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)


@pytest.mark.parametrize(
    ("before_start", "expected"),
    [
        (timedelta(hours=25), None),
        (timedelta(hours=24), "24h"),
        (timedelta(hours=3), "24h"),
        (timedelta(minutes=16), "24h"),
        (timedelta(minutes=15), "15m"),
        (timedelta(minutes=1), "15m"),
        (timedelta(0), None),
        (-timedelta(minutes=5), None),
    ],
)
def test_which_reminder_is_due(before_start, expected):
    start = datetime(2026, 6, 1, 12, tzinfo=UTC)
    assert reminders.kind_due(start, start - before_start) == expected


@pytest.fixture
def booked(mentor, learner, make_session, committed):
    session = make_session(mentor, start=start_in(40))
    with committed():
        booking = booking_services.book_session(session, learner)
    mail.outbox.clear()
    Notification.objects.all().delete()
    return session, booking


def test_each_reminder_goes_once_to_learner_and_mentor(booked, mentor, learner):
    session, _ = booked
    day_before = session.starts_at - 23 * H
    first = reminders.send_due_reminders(day_before)
    second = reminders.send_due_reminders(day_before + M)
    assert first == {"sent": 2, "skipped": 0, "failed": 0}
    assert second == {"sent": 0, "skipped": 0, "failed": 0}
    assert sorted(m.to[0] for m in mail.outbox) == sorted([learner.email, mentor.email])
    learner_mail = next(m for m in mail.outbox if m.to == [learner.email])
    assert learner_mail.subject.startswith("[PeerLearn] Tomorrow: Intro to Python")
    assert "23 hours" in learner_mail.body and "Asia/Kolkata" in learner_mail.body
    assert Notification.objects.filter(kind="reminder.24h").count() == 2

    mail.outbox.clear()
    soon = session.starts_at - 14 * M
    assert reminders.send_due_reminders(soon)["sent"] == 2
    assert reminders.send_due_reminders(soon + M)["sent"] == 0
    assert len(mail.outbox) == 2
    learner_note = Notification.objects.get(user=learner, kind="reminder.15m")
    assert learner_note.url == session.room_url
    assert "14 minutes" in learner_note.body
    assert reminders.send_due_reminders(session.starts_at + M)["sent"] == 0
    assert ReminderSent.objects.count() == 4


def test_a_late_booking_skips_the_day_before_reminder(mentor, learner, make_session, committed):
    session = make_session(mentor, start=start_in(5))
    with committed():
        booking_services.book_session(session, learner)
    mail.outbox.clear()
    assert reminders.send_due_reminders(session.starts_at - 4 * H)["sent"] == 0, "the confirmation just said it"
    assert reminders.send_due_reminders(session.starts_at - 10 * M)["sent"] == 2


def test_pending_and_cancelled_bookings_get_no_reminder(mentor, learner, user_factory, make_session, committed):
    session = make_session(mentor, start=start_in(40), price_minor=900, capacity=3)
    other = user_factory()
    with committed():
        booking_services.book_session(session, learner)  # pending payment
        cancelled = booking_services.book_session(session, other)
        booking_services.confirm_booking(cancelled)
        booking_services.cancel_booking(cancelled, other)
    mail.outbox.clear()
    assert reminders.send_due_reminders(session.starts_at - 10 * M)["sent"] == 0
    assert mail.outbox == []


def test_a_moved_session_is_reminded_again_at_its_new_time(booked, learner, committed):
    session, booking = booked
    reminders.send_due_reminders(session.starts_at - 10 * M)
    assert ReminderSent.objects.filter(kind="15m").count() == 2
    new_start = session.starts_at + 3 * H
    with committed():
        booking_services.reschedule_booking(booking, learner, start=new_start)
    mail.outbox.clear()
    assert reminders.send_due_reminders(new_start - 10 * M)["sent"] == 2
    assert ReminderSent.objects.filter(kind="15m").count() == 4


def test_a_failed_send_leaves_no_claim_and_is_retried(booked, settings):
    session, _ = booked
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there
    counts = reminders.send_due_reminders(session.starts_at - 10 * M)
    assert counts == {"sent": 0, "skipped": 0, "failed": 2}
    assert ReminderSent.objects.count() == 0, "the claim rolled back with the failed send"
    assert Notification.objects.count() == 0, "nor was half a reminder stored"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert reminders.send_due_reminders(session.starts_at - 9 * M)["sent"] == 2
    assert len(mail.outbox) == 2


def test_the_beat_task_is_scheduled_every_minute(booked):
    entry = settings.CELERY_BEAT_SCHEDULE["send-session-reminders"]
    assert entry["task"] == tasks.send_due_reminders.name
    assert entry["schedule"] == 60
    assert tasks.send_due_reminders.delay().get() == {"sent": 0, "skipped": 0, "failed": 0}


@pytest.mark.realstack
@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_reminder_once(mentor, learner, user_factory, make_session):
    """Two threads (two database connections) claim the same due reminders at the same instant."""
    session = make_session(mentor, start=start_in(40), capacity=3)
    learners = [learner] + [user_factory() for _ in range(2)]  # the mesh room holds 3 learners
    for person in learners:
        booking_services.book_session(session, person)
    mail.outbox.clear()
    now = session.starts_at - 10 * M
    due = reminders.due_reminders(now)
    assert len(due) == len(learners) + 1
    barrier = threading.Barrier(2)
    results: list[list[bool]] = [[], []]
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            items = reminders.due_reminders(now)
            barrier.wait(timeout=10)
            for item in items:
                results[index].append(reminders.send_reminder(item, now))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert sum(results[0]) + sum(results[1]) == len(due)
    assert len(results[0]) == len(results[1]) == len(due)
    assert len(mail.outbox) == len(due)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([p.email for p in learners] + [mentor.email])
    assert ReminderSent.objects.count() == len(due)
