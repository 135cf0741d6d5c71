"""Notifications, emails and .ics invitations speak their reader's language (profile setting)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import translation

from core.notifications.models import Notification
from core.scheduling.services import bookings as booking_services

pytestmark = pytest.mark.django_db


def test_a_confirmation_reaches_each_person_in_their_own_language(mentor, learner, make_session, committed):
    learner.preferred_language = "hi"
    learner.save(update_fields=["preferred_language"])
    mentor.preferred_language = "es"
    mentor.save(update_fields=["preferred_language"])
    session = make_session(mentor)
    with translation.override("en"), committed():  # whoever acts, each reader gets their own language
        booking_services.book_session(session, learner)

    learner_note = Notification.objects.get(user=learner)
    mentor_note = Notification.objects.get(user=mentor)
    assert learner_note.title == "बुक हो गया: Intro to Python"
    assert "Maya Mentor के साथ" in learner_note.body
    assert mentor_note.title == "Nueva reserva: Lee Learner para Intro to Python"

    (to_learner,) = [m for m in mail.outbox if m.to == [learner.email]]
    (to_mentor,) = [m for m in mail.outbox if m.to == [mentor.email]]
    assert "पुष्टि: Intro to Python" in to_learner.subject
    assert "नमस्ते Lee Learner" in to_learner.body or "Lee Learner" in to_learner.body
    assert "आपकी बुकिंग पक्की हो गई है।" in to_learner.body
    assert "Lee Learner reservó una plaza en tu sesión." in to_mentor.body
    invitation = next(
        part.get_payload(decode=True).decode()
        for part in to_learner.message().walk()
        if part.get_content_type() == "text/calendar"
    )
    assert "Maya Mentor के साथ" in invitation, "the .ics description is in the reader's language too"


def test_without_a_setting_the_site_language_is_used(mentor, learner, make_session, committed):
    session = make_session(mentor)
    with translation.override("hi"), committed():
        booking_services.book_session(session, learner)
    assert Notification.objects.get(user=learner).title == "Booked: Intro to Python"
    (to_learner,) = [m for m in mail.outbox if m.to == [learner.email]]
    assert to_learner.subject.startswith("[PeerLearn] Confirmed: Intro to Python")
