"""Scheduling events become notifications and emails with .ics invitations (RFC 5545 / iTIP)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.core import mail

from core.notifications.calendar import session_uid
from core.notifications.models import CalendarSequence, Notification
from core.scheduling.models import Booking, Session
from core.scheduling.services import bookings as booking_services
from core.scheduling.services import sessions as session_services
from core.scheduling.services import waitlist as waitlist_services

pytestmark = pytest.mark.django_db


def calendars(message) -> list[tuple[str, icalendar.Calendar, str]]:
    """(method parameter, parsed calendar, filename) of every text/calendar part of an email."""
    found = []
    for part in message.message().walk():
        if part.get_content_type() == "text/calendar":
            text = part.get_payload(decode=True).decode("utf-8")
            found.append((part.get_param("method"), icalendar.Calendar.from_ical(text), part.get_filename()))
    return found


def only_event(calendar: icalendar.Calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def mail_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def kinds(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("kind", flat=True))


def test_free_booking_confirms_with_invitations_for_both(mentor, learner, make_session, committed):
    session = make_session(mentor)
    with committed():
        booking = booking_services.book_session(session, learner)
    assert booking.status == Booking.CONFIRMED
    assert kinds(learner) == ["booking.confirmed"]
    assert kinds(mentor) == ["booking.received"]

    (learner_mail,) = mail_to(learner)
    assert learner_mail.subject.startswith("[PeerLearn] Confirmed: Intro to Python")
    assert "(Asia/Kolkata)" in learner_mail.subject, "times in the learner's own zone, named"
    local = session.starts_at.astimezone(ZoneInfo("Asia/Kolkata"))
    assert local.strftime("%H:%M") in learner_mail.body
    assert "Asia/Kolkata" in learner_mail.body
    assert learner_mail.alternatives and learner_mail.alternatives[0][1] == "text/html"
    ((method, calendar, filename),) = calendars(learner_mail)
    assert method == "REQUEST" and calendar["METHOD"] == "REQUEST" and filename == "invite.ics"
    event = only_event(calendar)
    assert str(event["UID"]) == session_uid(session.pk)
    assert event["SEQUENCE"] == 0
    assert event.decoded("DTSTART") == session.starts_at
    assert event.decoded("DTSTART").tzinfo is not None and event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == session.ends_at
    assert str(event["ATTENDEE"]) == f"mailto:{learner.email}"
    assert mentor.email not in learner_mail.message().as_string(), "the mentor's address is not disclosed"

    (mentor_mail,) = mail_to(mentor)
    assert "New booking: Lee Learner" in mentor_mail.subject
    assert "(America/New_York)" in mentor_mail.body
    ((_, mentor_calendar, _),) = calendars(mentor_mail)
    assert str(only_event(mentor_calendar)["UID"]) == session_uid(session.pk)


def test_priced_booking_waits_for_payment_then_confirms(mentor, learner, make_session, committed):
    session = make_session(mentor, price_minor=2500, currency="EUR")
    with committed():
        booking = booking_services.book_session(session, learner)
    assert booking.status == Booking.PENDING_PAYMENT
    assert kinds(learner) == ["booking.pending_payment"]
    assert kinds(mentor) == []
    assert mail.outbox == [], "no invitation before the seat is paid for"
    with committed():
        booking_services.confirm_booking(booking)
    assert kinds(learner)[-1] == "booking.confirmed"
    assert len(mail_to(learner)) == 1 and len(mail_to(mentor)) == 1


def test_reschedule_keeps_the_uid_and_raises_the_sequence(mentor, learner, make_session, committed):
    session = make_session(mentor)
    with committed():
        booking = booking_services.book_session(session, learner)
    mail.outbox.clear()
    new_start = session.starts_at + timedelta(hours=5)
    with committed():
        booking_services.reschedule_booking(booking, learner, start=new_start)
    assert kinds(learner)[-1] == "session.rescheduled"
    assert kinds(mentor)[-1] == "session.rescheduled"
    for person in (learner, mentor):
        (message,) = mail_to(person)
        assert message.subject.startswith("[PeerLearn] New time:")
        ((method, calendar, _),) = calendars(message)
        assert method == "REQUEST"
        event = only_event(calendar)
        assert str(event["UID"]) == session_uid(session.pk)
        assert event["SEQUENCE"] == 1
        assert event.decoded("DTSTART") == new_start.astimezone(UTC)
    assert CalendarSequence.objects.get(session=session).sequence == 1


def test_learner_cancellation_sends_cancel_with_a_higher_sequence(mentor, learner, make_session, committed):
    session = make_session(mentor, hours=72, price_minor=1000)
    with committed():
        booking = booking_services.book_session(session, learner)
        booking_services.confirm_booking(booking)
    mail.outbox.clear()
    with committed():
        booking_services.cancel_booking(booking, learner, "cannot make it")
    (message,) = mail_to(learner)
    assert message.subject.startswith("[PeerLearn] Cancelled: Intro to Python")
    assert "€10.00" in message.body, "full refund outside the late window"
    ((method, calendar, filename),) = calendars(message)
    assert method == "CANCEL" and calendar["METHOD"] == "CANCEL" and filename == "cancel.ics"
    event = only_event(calendar)
    assert str(event["STATUS"]) == "CANCELLED"
    assert event["SEQUENCE"] >= 1
    assert str(event["UID"]) == session_uid(session.pk)
    assert kinds(mentor)[-1] == "booking.cancelled"
    assert "Lee Learner cancelled" in Notification.objects.filter(user=mentor).first().title


def test_mentor_cancelling_the_session_tells_everyone(mentor, learner, user_factory, make_session, committed):
    other = user_factory(time_zone="Europe/Paris")
    session = make_session(mentor, capacity=3, title="Group calculus")
    with committed():
        booking_services.book_session(session, learner)
        booking_services.book_session(session, other)
    mail.outbox.clear()
    with committed():
        session_services.cancel_session(session, mentor, "ill")
    for person in (learner, other):
        assert kinds(person)[-1] == "booking.cancelled"
        note = Notification.objects.filter(user=person).first()
        assert "Maya Mentor cancelled" in note.body
        ((method, calendar, _),) = calendars(mail_to(person)[0])
        assert method == "CANCEL"
    mentor_notes = kinds(mentor)
    assert mentor_notes.count("booking.cancelled") == 0, "no per-learner notice for the mentor's own action"
    assert mentor_notes[-1] == "session.cancelled"
    (mentor_mail,) = mail_to(mentor)
    ((method, calendar, _),) = calendars(mentor_mail)
    assert method == "CANCEL" and str(only_event(calendar)["STATUS"]) == "CANCELLED"


def test_seat_moved_to_another_group_session(mentor, learner, make_session, committed):
    first = make_session(mentor, capacity=3, hours=48, title="Group A")
    second = make_session(mentor, capacity=3, hours=96, title="Group B")
    with committed():
        booking = booking_services.book_session(first, learner)
    mail.outbox.clear()
    with committed():
        booking_services.reschedule_booking(booking, learner, target_session=second)
    assert kinds(learner)[-1] == "booking.rescheduled"
    assert kinds(mentor)[-1] == "booking.rescheduled"
    (message,) = mail_to(learner)
    parts = {filename: (method, calendar) for method, calendar, filename in calendars(message)}
    assert parts["invite.ics"][0] == "REQUEST"
    assert str(only_event(parts["invite.ics"][1])["UID"]) == session_uid(second.pk)
    assert parts["cancel-previous.ics"][0] == "CANCEL"
    cancelled = only_event(parts["cancel-previous.ics"][1])
    assert str(cancelled["UID"]) == session_uid(first.pk) and cancelled["SEQUENCE"] == 1


def test_waitlist_offer_and_session_start_notify_the_learner(mentor, learner, user_factory, make_session, committed):
    first_learner = user_factory()
    soon = (datetime.now(UTC) + timedelta(minutes=5)).replace(second=0, microsecond=0)
    session = make_session(mentor, capacity=1, start=soon)
    with committed():
        taken = booking_services.book_session(session, first_learner)
        waitlist_services.join_waitlist(session, learner)
        booking_services.cancel_booking(taken, first_learner)
    assert kinds(learner) == ["waitlist.offered"]
    offer = Notification.objects.get(user=learner)
    assert "kept for you until" in offer.body and "(Asia/Kolkata)" in offer.body
    assert any("A seat is free for you" in m.subject for m in mail_to(learner))

    with committed():
        booking_services.book_session(session, learner)
        session_services.start_session(session, mentor)
    started = Notification.objects.filter(user=learner, kind="session.started").get()
    assert started.url == f"/sessions/{session.pk}/room/"
    assert Session.objects.get(pk=session.pk).status == Session.IN_PROGRESS


def test_the_sequence_rises_by_one_per_change_in_one_statement(mentor, make_session, django_assert_num_queries):
    from core.notifications.calendar import bump_sequence, current_sequence

    first, second = make_session(mentor), make_session(mentor, hours=96)
    with django_assert_num_queries(1):
        assert bump_sequence(first.pk) == 1
    assert [bump_sequence(first.pk), bump_sequence(second.pk), bump_sequence(first.pk)] == [2, 1, 3]
    assert (current_sequence(first.pk), current_sequence(second.pk)) == (3, 1)
    row = CalendarSequence.objects.get(session=first)
    assert row.updated is not None and row.updated.tzinfo is not None
