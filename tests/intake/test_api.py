"""The REST side of booking questions and approval, bad input included (400/403/409 and nothing written)."""

from __future__ import annotations

import pytest

from core.intake.models import ApprovalRequest, BookingAnswer, BookingQuestion, TimeProposal
from core.scheduling.models import Booking, Session

from .conftest import next_slot

pytestmark = pytest.mark.django_db


def _iso(value) -> str:
    return value.isoformat().replace("+00:00", "Z")


@pytest.fixture
def group_session(asking_mentor, session_factory):
    return session_factory(asking_mentor, capacity=3, hours=72)


def test_a_learner_reads_the_questions_and_books_a_session_with_answers(
    api_client, asking_mentor, learner, group_session, qids
):
    api_client.force_authenticate(learner)
    asked = api_client.get(f"/api/mentors/{asking_mentor.pk}/questions/").json()
    assert [q["label"] for q in asked["questions"]] == ["What do you want to learn?", "Anything else?", "Your level"]
    assert asked["questions"][2]["choices"] == ["Beginner", "Advanced"]
    assert asked["approval"]["mode"] == "always" and asked["decision_hours"] == 48
    response = api_client.post(
        f"/api/sessions/{group_session.pk}/book/",
        {"answers": {qids[0]: "Generators", qids[1]: "I use Python at work.", qids[2]: "Advanced"}},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending_approval" and body["hold_expires_at"]
    detail = api_client.get(f"/api/bookings/{body['id']}/request/").json()
    assert [a["value"] for a in detail["answers"]] == ["Generators", "I use Python at work.", "Advanced"]
    assert detail["approval"]["decision"] == ""


@pytest.mark.parametrize(
    ("answers", "code", "question"),  # code: the service's, checked in test_questions (the API says "invalid")
    [
        (lambda q: {q[2]: "Beginner"}, "answer_required", 0),
        (lambda q: {q[0]: "x" * 51, q[2]: "Beginner"}, "answer_too_long", 0),
        (lambda q: {q[0]: "ok", q[1]: "y" * 301, q[2]: "Beginner"}, "answer_too_long", 1),
        (lambda q: {q[0]: "ok", q[2]: "Wizard"}, "unknown_choice", 2),
        (lambda q: {q[0]: "ok", q[2]: "Beginner", "424242": "?"}, "unknown_question", None),
    ],
)
def test_bad_answers_get_a_400_naming_the_question_and_write_nothing(
    api_client, asking_mentor, learner, group_session, qids, answers, code, question
):
    api_client.force_authenticate(learner)
    response = api_client.post(f"/api/sessions/{group_session.pk}/book/", {"answers": answers(qids)}, format="json")
    assert response.status_code == 400
    body = response.json()
    field = "answers" if question is None else f"answers.{qids[question]}"
    assert field in body["errors"], body
    assert body["code"] and body["detail"]
    if question is not None:
        label = BookingQuestion.objects.get(pk=qids[question]).label
        assert label in body["detail"] or label in body["errors"][field][0]
    assert not Booking.objects.exists() and not BookingAnswer.objects.exists()
    assert not ApprovalRequest.objects.exists()


def test_answers_of_the_wrong_shape_are_refused(api_client, asking_mentor, learner, group_session, qids):
    api_client.force_authenticate(learner)
    for bad in (["Generators"], {qids[0]: ["a"]}, "text"):
        response = api_client.post(f"/api/sessions/{group_session.pk}/book/", {"answers": bad}, format="json")
        assert response.status_code == 400, bad
    assert not Booking.objects.exists()


def test_booking_a_slot_through_the_api_takes_answers_too(api_client, asking_mentor, learner, good_answers):
    api_client.force_authenticate(learner)
    start = next_slot()
    missing = api_client.post(
        f"/api/mentors/{asking_mentor.pk}/book/", {"start": _iso(start), "duration_minutes": 60}, format="json"
    )
    assert missing.status_code == 400 and "it is required" in missing.json()["detail"]
    assert not Session.objects.exists(), "no slot session is left behind"
    ok = api_client.post(
        f"/api/mentors/{asking_mentor.pk}/book/",
        {"start": _iso(start), "duration_minutes": 60, "answers": good_answers},
        format="json",
    )
    assert ok.status_code == 201 and ok.json()["status"] == "pending_approval"


def test_the_mentor_sees_requests_with_answers_and_approves(api_client, asking_mentor, learner, good_answers):
    from core.scheduling.services.bookings import book_slot

    booking = book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    api_client.force_authenticate(asking_mentor)
    listed = api_client.get("/api/booking-requests/").json()
    assert [row["booking"]["id"] for row in listed] == [booking.pk]
    assert [a["value"] for a in listed[0]["answers"]] == ["Decorators", "Beginner"]
    approved = api_client.post(f"/api/bookings/{booking.pk}/approve/")
    assert approved.status_code == 200
    assert approved.json()["booking"]["status"] == "confirmed"
    assert approved.json()["approval"]["decision"] == "approved"
    again = api_client.post(f"/api/bookings/{booking.pk}/approve/")
    assert again.status_code == 409 and again.json()["code"] == "not_pending"
    assert api_client.get("/api/booking-requests/").json() == []


def test_the_learner_cannot_approve_and_strangers_do_not_see_it(
    api_client, asking_mentor, learner, user_factory, good_answers
):
    from core.scheduling.services.bookings import book_slot

    booking = book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    api_client.force_authenticate(learner)
    refused = api_client.post(f"/api/bookings/{booking.pk}/approve/")
    assert refused.status_code == 403 and refused.json()["code"]
    api_client.force_authenticate(user_factory())
    assert api_client.post(f"/api/bookings/{booking.pk}/decline/").status_code == 404
    assert api_client.get(f"/api/bookings/{booking.pk}/request/").status_code == 404
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_APPROVAL


def test_decline_with_a_reason(api_client, asking_mentor, learner, good_answers):
    from core.scheduling.services.bookings import book_slot

    booking = book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    api_client.force_authenticate(asking_mentor)
    too_long = api_client.post(f"/api/bookings/{booking.pk}/decline/", {"reason": "x" * 501}, format="json")
    assert too_long.status_code == 400
    declined = api_client.post(f"/api/bookings/{booking.pk}/decline/", {"reason": "Fully booked."}, format="json")
    assert declined.status_code == 200
    assert declined.json()["booking"]["status"] == "declined"
    assert declined.json()["approval"]["reason"] == "Fully booked."


def test_propose_and_accept_in_one_call(api_client, asking_mentor, learner, good_answers):
    from core.scheduling.services.bookings import book_slot

    booking = book_slot(asking_mentor, learner, next_slot(days=3), 60, answers=good_answers)
    api_client.force_authenticate(asking_mentor)
    bad = api_client.post(f"/api/bookings/{booking.pk}/propose/", {"starts": [_iso(next_slot(4, 2))]}, format="json")
    assert bad.status_code == 400 and "is not one of your free slots" in bad.json()["detail"]
    four = [_iso(next_slot(4, h)) for h in (10, 11, 12, 13)]
    assert api_client.post(f"/api/bookings/{booking.pk}/propose/", {"starts": four}, format="json").status_code == 400
    naive = api_client.post(f"/api/bookings/{booking.pk}/propose/", {"starts": ["2030-01-01T10:00:00"]}, format="json")
    assert naive.status_code == 400
    assert not TimeProposal.objects.exists()
    sent = api_client.post(f"/api/bookings/{booking.pk}/propose/", {"starts": four[:2]}, format="json")
    assert sent.status_code == 201 and len(sent.json()) == 2
    api_client.force_authenticate(learner)
    shown = api_client.get(f"/api/bookings/{booking.pk}/request/").json()["proposals"]
    assert [p["start"] for p in shown] == four[:2]
    accepted = api_client.post(f"/api/proposals/{shown[1]['id']}/accept/")
    assert accepted.status_code == 200, accepted.json()
    assert accepted.json()["booking"]["status"] == "confirmed"
    assert accepted.json()["booking"]["start"] == four[1]
    assert [p["status"] for p in accepted.json()["proposals"]] == ["accepted"]
    again = api_client.post(f"/api/proposals/{shown[0]['id']}/accept/")
    assert again.status_code == 409


def test_a_mentor_edits_questions_and_approval_through_the_api(api_client, mentor_factory, learner):
    mentor = mentor_factory()
    api_client.force_authenticate(mentor)
    put = api_client.put(
        "/api/schedule/questions/",
        {
            "questions": [
                {"label": "Goal", "kind": "short_text", "required": True, "max_length": 80},
                {"label": "Level", "kind": "choice", "choices": ["A", "B"]},
            ]
        },
        format="json",
    )
    assert put.status_code == 200, put.json()
    assert [(q["label"], q["position"]) for q in put.json()["questions"]] == [("Goal", 0), ("Level", 1)]
    bad = api_client.put(
        "/api/schedule/questions/", {"questions": [{"label": "L", "kind": "choice", "choices": ["one"]}]}, format="json"
    )
    assert bad.status_code == 400 and "questions[0].choices" in bad.json()["errors"]
    assert [q["label"] for q in api_client.get("/api/schedule/questions/").json()["questions"]] == ["Goal", "Level"]
    assert api_client.put("/api/schedule/approval/", {"mode": "sometimes"}, format="json").status_code == 400
    ok = api_client.put("/api/schedule/approval/", {"mode": "short_notice", "short_notice_hours": 12}, format="json")
    assert ok.json() == {"mode": "short_notice", "short_notice_hours": 12}
    api_client.force_authenticate(learner)
    assert api_client.put("/api/schedule/approval/", {"mode": "always"}, format="json").status_code == 403
