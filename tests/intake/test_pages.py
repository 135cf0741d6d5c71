"""The pages: the mentor's questions editor, booking with answers, the requests page, one-click accept."""

from __future__ import annotations

import pytest

from core.intake.models import ApprovalSettings, BookingAnswer, BookingQuestion, TimeProposal
from core.intake.services import approval
from core.scheduling.models import Booking
from core.scheduling.services.bookings import book_slot

from .conftest import next_slot

pytestmark = pytest.mark.django_db


def test_the_mentor_edits_questions_and_approval_on_the_page(client, mentor_factory):
    mentor = mentor_factory()
    client.force_login(mentor)
    page = client.get("/schedule/questions/")
    assert page.status_code == 200 and b"Questions for learners who book you" in page.content
    saved = client.post(
        "/schedule/questions/",
        {
            "action": "questions",
            "q-0-order": "2",
            "q-0-label": "Anything else?",
            "q-0-kind": "long_text",
            "q-0-max_length": "500",
            "q-1-order": "1",
            "q-1-label": "Your goal",
            "q-1-kind": "short_text",
            "q-1-required": "on",
            "q-2-label": "Level",
            "q-2-order": "3",
            "q-2-kind": "choice",
            "q-2-choices": "Beginner\nAdvanced\n",
        },
    )
    assert saved.status_code == 302
    assert [(q.label, q.required, q.max_length) for q in BookingQuestion.objects.filter(mentor=mentor)] == [
        ("Your goal", True, 200),
        ("Anything else?", False, 500),
        ("Level", False, 8),  # a choice's limit is its longest choice
    ]
    bad = client.post(
        "/schedule/questions/", {"action": "questions", "q-0-label": "Pick", "q-0-kind": "choice", "q-0-choices": "One"}
    )
    assert bad.status_code == 400 and "give from 2 to 12 choices" in bad.content.decode()
    assert BookingQuestion.objects.filter(mentor=mentor).count() == 3, "nothing changed"
    client.post("/schedule/questions/", {"action": "approval", "mode": "short_notice", "short_notice_hours": "6"})
    rule = ApprovalSettings.objects.get(mentor=mentor)
    assert (rule.mode, rule.short_notice_hours) == ("short_notice", 6)


def test_a_learner_answers_on_the_booking_page_and_a_bad_answer_keeps_the_form(client, asking_mentor, learner, qids):
    client.force_login(learner)
    start = next_slot().isoformat()
    confirm = client.post(f"/mentors/{asking_mentor.pk}/book/", {"start": start, "duration_minutes": "60"})
    html = confirm.content.decode()
    assert "What do you want to learn?" in html and "approves this booking first" in html
    assert "Request this time" in html
    refused = client.post(
        f"/mentors/{asking_mentor.pk}/book/",
        {
            "start": start,
            "duration_minutes": "60",
            "confirmed": "1",
            f"q_{qids[0]}": "Decorators",
            f"q_{qids[2]}": "Wizard",
        },
    )
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "is not one of the choices for “Your level”" in body
    assert 'value="Decorators"' in body, "what was typed is kept"
    assert not Booking.objects.exists()
    booked = client.post(
        f"/mentors/{asking_mentor.pk}/book/",
        {
            "start": start,
            "duration_minutes": "60",
            "confirmed": "1",
            f"q_{qids[0]}": "Decorators",
            f"q_{qids[2]}": "Beginner",
        },
    )
    assert booked.status_code == 302
    booking = Booking.objects.get()
    assert booking.status == Booking.PENDING_APPROVAL
    assert list(BookingAnswer.objects.values_list("value", flat=True)) == ["Decorators", "Beginner"]
    detail = client.get(booked.url).content.decode()
    assert "Your answers" in detail and "Decorators" in detail and "Nothing is charged until they approve" in detail


def test_the_mentor_sees_answers_and_approves_from_the_requests_page(client, asking_mentor, learner, good_answers):
    booking = book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    client.force_login(asking_mentor)
    dashboard = client.get("/dashboard/mentor/").content.decode()
    assert "Booking requests (1)" in dashboard
    page = client.get("/schedule/requests/").content.decode()
    assert "Decorators" in page and "What do you want to learn?" in page and "Propose these times" in page
    detail = client.get(f"/schedule/bookings/{booking.pk}/").content.decode()
    assert "The learner&#x27;s answers" in detail or "The learner's answers" in detail
    done = client.post(f"/schedule/requests/{booking.pk}/approve/", {"next": "requests"})
    assert done.status_code == 302 and done.url == "/schedule/requests/"
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED


def test_the_learner_accepts_a_proposed_time_in_one_click(client, asking_mentor, learner, good_answers):
    booking = book_slot(asking_mentor, learner, next_slot(days=3), 60, answers=good_answers)
    client.force_login(asking_mentor)
    wanted = next_slot(days=4, hour=14)
    client.post(f"/schedule/requests/{booking.pk}/propose/", {"start": [wanted.isoformat()], "next": "booking"})
    (proposal,) = TimeProposal.objects.filter(booking=booking)
    client.force_login(learner)
    page = client.get(f"/schedule/bookings/{booking.pk}/").content.decode()
    assert f"/schedule/proposals/{proposal.pk}/accept/" in page
    client.post(f"/schedule/proposals/{proposal.pk}/accept/")
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED and booking.starts_at == wanted


def test_strangers_and_learners_cannot_decide(client, asking_mentor, learner, user_factory, good_answers):
    booking = book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    client.force_login(learner)
    assert client.post(f"/schedule/requests/{booking.pk}/approve/").status_code == 404
    assert client.get("/schedule/requests/").status_code == 403
    client.force_login(user_factory(is_mentor=True))
    assert client.post(f"/schedule/requests/{booking.pk}/decline/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_APPROVAL
    assert approval.pending_for(asking_mentor).count() == 1


def test_the_demo_seeds_a_waiting_and_a_declined_request_once():
    from core.demo.seed import SeedContext, SeedReport, seed_people, seed_skills
    from core.intake import demo
    from core.scheduling import demo as scheduling_demo

    skills = seed_skills()
    mentors, learners = seed_people(skills, mentors=4, learners=6)
    context = SeedContext(skills=skills, mentors=mentors, learners=learners, home=None, report=SeedReport())
    scheduling_demo.seed(context)
    demo.seed(context)
    assert Booking.objects.filter(status=Booking.PENDING_APPROVAL, session__mentor=mentors[1]).count() == 1
    assert Booking.objects.filter(status=Booking.DECLINED).count() == 1
    assert BookingAnswer.objects.count() == 4
    demo.seed(context)
    assert Booking.objects.filter(status__in=[Booking.PENDING_APPROVAL, Booking.DECLINED]).count() == 2
