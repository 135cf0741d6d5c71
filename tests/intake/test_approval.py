"""The approval part of the booking state machine: holding, approving, declining, the deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from core.intake.models import ApprovalRequest, BookingAnswer, TimeProposal
from core.intake.services import approval
from core.notifications.models import Notification
from core.scheduling.models import Booking, Session
from core.scheduling.services import bookings
from core.scheduling.services.bookings import TRANSITIONS
from core.scheduling.services.errors import Conflict, IllegalTransition, InvalidRequest, NotAllowed

from .conftest import next_slot

pytestmark = pytest.mark.django_db


def test_the_state_table_has_approval_states():
    assert TRANSITIONS[Booking.PENDING_APPROVAL] == {
        Booking.CONFIRMED,
        Booking.PENDING_PAYMENT,
        Booking.DECLINED,
        Booking.EXPIRED,
        Booking.CANCELLED,
    }
    assert TRANSITIONS[Booking.DECLINED] == frozenset()
    assert Booking.PENDING_APPROVAL in Booking.ACTIVE_STATUSES, "the seat is held while the mentor decides"
    assert Booking.DECLINED not in Booking.ACTIVE_STATUSES
    # nothing goes back to waiting for approval
    assert all(Booking.PENDING_APPROVAL not in targets for targets in TRANSITIONS.values())


def test_a_declined_booking_moves_no_further(asking_mentor, learner, good_answers):
    booking = bookings.book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    approval.decline(booking, asking_mentor)
    with pytest.raises(IllegalTransition):
        bookings.confirm_booking(booking)


def test_booking_holds_the_seat_until_the_deadline_and_stores_the_answers(asking_mentor, learner, good_answers):
    start = next_slot()
    booking = bookings.book_slot(asking_mentor, learner, start, 60, answers=good_answers)
    assert booking.status == Booking.PENDING_APPROVAL
    request = ApprovalRequest.objects.get(booking=booking)
    assert request.decide_by == booking.hold_expires_at
    assert booking.hold_expires_at - booking.created_at == timedelta(hours=48), "the site's default deadline"
    assert [(a.label, a.value) for a in BookingAnswer.objects.filter(booking=booking)] == [
        ("What do you want to learn?", "Decorators"),
        ("Your level", "Beginner"),
    ]
    # the seat is taken meanwhile
    from core.scheduling.services.availability import is_bookable

    assert not is_bookable(asking_mentor, start, start + timedelta(hours=1))


def test_the_deadline_is_never_after_the_start(asking_mentor, learner, good_answers):
    start = next_slot(days=2, hour=10)
    now = start - timedelta(hours=5)
    booking = bookings.book_slot(asking_mentor, learner, start, 60, now=now, answers=good_answers)
    assert booking.hold_expires_at == start


def test_bad_answers_write_nothing(asking_mentor, learner, qids):
    with pytest.raises(InvalidRequest) as caught:
        bookings.book_slot(asking_mentor, learner, next_slot(), 60, answers={qids[0]: "x" * 51, qids[2]: "Beginner"})
    assert caught.value.code == "answer_too_long"
    assert not Booking.objects.exists() and not Session.objects.exists()
    assert not BookingAnswer.objects.exists() and not ApprovalRequest.objects.exists()


def test_short_notice_mode_asks_only_close_to_the_start(mentor_factory, learner):
    mentor = mentor_factory()
    approval.save_settings(mentor, "short_notice", 24)
    now = timezone.now()
    far = bookings.book_slot(mentor, learner, next_slot(days=5), 60, answers={})
    assert far.status == Booking.CONFIRMED, "free and far ahead: confirmed at once"
    assert approval.needs_approval(mentor, now + timedelta(hours=23), now)
    assert not approval.needs_approval(mentor, now + timedelta(hours=25), now)


def test_approving_a_free_booking_confirms_it_and_tells_both(
    asking_mentor, learner, good_answers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = bookings.book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    assert Notification.objects.filter(user=asking_mentor, kind="booking.approval_requested").exists()
    assert Notification.objects.filter(user=learner, kind="booking.approval_pending").exists()
    assert any("Approve a booking" in m.subject and m.to == [asking_mentor.email] for m in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        approved = approval.approve(booking, asking_mentor)
    assert approved.status == Booking.CONFIRMED and approved.hold_expires_at is None
    request = ApprovalRequest.objects.get(booking=booking)
    assert (request.decision, request.decided_by) == (ApprovalRequest.APPROVED, asking_mentor)
    assert Notification.objects.filter(user=learner, kind="booking.confirmed").exists()
    assert any(m.to == [learner.email] and "Confirmed" in m.subject for m in mail.outbox)


def test_approving_a_priced_booking_moves_it_to_payment(mentor_factory, user_factory, session_factory):
    mentor = mentor_factory()
    approval.save_settings(mentor, "always")
    session = session_factory(mentor, price_minor=2500)
    learner = user_factory()
    now = timezone.now()
    booking = bookings.book_session(session, learner, answers={}, now=now)
    assert booking.status == Booking.PENDING_APPROVAL
    approved = approval.approve(booking, mentor, now=now + timedelta(hours=1))
    assert approved.status == Booking.PENDING_PAYMENT
    assert approved.hold_expires_at == now + timedelta(hours=1, minutes=15), "the usual payment hold from approval"


def test_only_the_mentor_decides(asking_mentor, learner, user_factory, good_answers):
    booking = bookings.book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    for person in (learner, user_factory()):
        with pytest.raises(NotAllowed):
            approval.approve(booking, person)
        with pytest.raises(NotAllowed):
            approval.decline(booking, person)
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_APPROVAL


def test_declining_releases_the_seat_and_tells_the_learner(
    asking_mentor, learner, good_answers, django_capture_on_commit_callbacks
):
    start = next_slot()
    booking = bookings.book_slot(asking_mentor, learner, start, 60, answers=good_answers)
    with django_capture_on_commit_callbacks(execute=True):
        declined = approval.decline(booking, asking_mentor, "I am away that week.")
    assert declined.status == Booking.DECLINED and declined.closed_at is not None
    assert declined.session.__class__.objects.get(pk=declined.session_id).status == Session.CANCELLED
    note = Notification.objects.get(user=learner, kind="booking.declined")
    assert "I am away that week." in note.body
    assert any(m.to == [learner.email] and "Declined" in m.subject for m in mail.outbox)
    from core.scheduling.services.availability import is_bookable

    assert is_bookable(asking_mentor, start, start + timedelta(hours=1)), "the slot is free again"
    with pytest.raises(Conflict) as caught:
        approval.approve(booking, asking_mentor)
    assert caught.value.code == "not_pending"


def test_the_deadline_passing_releases_the_seat(
    asking_mentor, learner, good_answers, django_capture_on_commit_callbacks
):
    from core.intake.tasks import expire_approvals

    booking = bookings.book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    assert approval.expire_due_approvals(booking.hold_expires_at - timedelta(seconds=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert approval.expire_due_approvals(booking.hold_expires_at) == 1
    booking.refresh_from_db()
    assert booking.status == Booking.EXPIRED
    assert ApprovalRequest.objects.get(booking=booking).decision == ApprovalRequest.EXPIRED
    assert Notification.objects.filter(user=learner, kind="booking.approval_expired").exists()
    assert Notification.objects.filter(user=asking_mentor, kind="booking.approval_expired").exists()
    assert expire_approvals() == 0, "the beat task finds nothing left"


def test_the_beat_task_expires_lapsed_requests(asking_mentor, learner, good_answers):
    from core.intake.tasks import expire_approvals

    booking = bookings.book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    assert expire_approvals() == 1
    booking.refresh_from_db()
    assert booking.status == Booking.EXPIRED


def test_approving_after_the_deadline_releases_instead(asking_mentor, learner, good_answers):
    booking = bookings.book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    with pytest.raises(Conflict) as caught:
        approval.approve(booking, asking_mentor, now=booking.hold_expires_at + timedelta(minutes=1))
    assert caught.value.code == "deadline_passed"
    booking.refresh_from_db()
    assert booking.status == Booking.EXPIRED


def test_the_learner_may_withdraw_a_request_for_free(
    asking_mentor, learner, good_answers, django_capture_on_commit_callbacks
):
    booking = bookings.book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    with django_capture_on_commit_callbacks(execute=True):
        result = bookings.cancel_booking(booking, learner)
    assert result.refund_minor == 0 and result.refund_percent == 0
    assert ApprovalRequest.objects.get(booking=booking).decision == ApprovalRequest.WITHDRAWN


def test_proposing_and_accepting_moves_and_approves_in_one_step(
    asking_mentor, learner, good_answers, django_capture_on_commit_callbacks
):
    start = next_slot(days=3, hour=10)
    booking = bookings.book_slot(asking_mentor, learner, start, 60, answers=good_answers)
    times = [next_slot(days=4, hour=11), next_slot(days=5, hour=12), next_slot(days=6, hour=13)]
    with django_capture_on_commit_callbacks(execute=True):
        proposals = approval.propose_times(booking, asking_mentor, times)
    assert len(proposals) == 3
    assert Notification.objects.filter(user=learner, kind="booking.times_proposed").exists()
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_APPROVAL and booking.hold_expires_at <= start
    chosen = next(p for p in proposals if p.starts_at == times[1])
    moved = approval.accept_proposal(chosen.pk, learner)
    assert moved.status == Booking.CONFIRMED
    assert moved.starts_at == times[1] and moved.session.starts_at == times[1]
    assert dict(TimeProposal.objects.filter(booking=booking).values_list("starts_at", "status")) == {
        times[0]: TimeProposal.DROPPED,
        times[1]: TimeProposal.ACCEPTED,
        times[2]: TimeProposal.DROPPED,
    }
    assert ApprovalRequest.objects.get(booking=booking).decision == ApprovalRequest.MOVED


def test_a_taken_proposal_changes_nothing(asking_mentor, learner, user_factory, good_answers):
    booking = bookings.book_slot(asking_mentor, learner, next_slot(days=3), 60, answers=good_answers)
    wanted = next_slot(days=4, hour=11)
    (proposal,) = approval.propose_times(booking, asking_mentor, [wanted])
    # someone else books the proposed time first (the mentor now approves every booking)
    bookings.book_slot(asking_mentor, user_factory(), wanted, 60, answers=good_answers)
    with pytest.raises(Conflict) as caught:
        approval.accept_proposal(proposal, learner)
    assert caught.value.code == "slot_taken"
    booking.refresh_from_db()
    proposal.refresh_from_db()
    assert booking.status == Booking.PENDING_APPROVAL and booking.starts_at == next_slot(days=3)
    assert proposal.status == TimeProposal.OPEN


@pytest.mark.parametrize(
    ("times", "code"),
    [
        (lambda: [], "invalid_proposals"),
        (lambda: [next_slot(4, 10), next_slot(4, 11), next_slot(4, 12), next_slot(4, 13)], "invalid_proposals"),
        (lambda: [next_slot(4, 10), next_slot(4, 10)], "invalid_proposals"),
        (lambda: [next_slot(4, 3)], "outside_availability"),
        (lambda: [timezone.now() - timedelta(hours=1)], "past_start"),
        (lambda: [next_slot(3, 10)], "same_time"),
    ],
)
def test_bad_proposals_are_refused(asking_mentor, learner, good_answers, times, code):
    booking = bookings.book_slot(asking_mentor, learner, next_slot(3, 10), 60, answers=good_answers)
    with pytest.raises(InvalidRequest) as caught:
        approval.propose_times(booking, asking_mentor, times())
    assert caught.value.code == code
    assert not TimeProposal.objects.exists()


def test_only_the_learner_accepts(asking_mentor, learner, user_factory, good_answers):
    booking = bookings.book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    (proposal,) = approval.propose_times(booking, asking_mentor, [next_slot(days=4, hour=11)])
    with pytest.raises(NotAllowed):
        approval.accept_proposal(proposal, asking_mentor)
    with pytest.raises(NotAllowed):
        approval.propose_times(booking, learner, [next_slot(days=4, hour=12)])


def test_a_reader_expires_a_lapsed_request_without_a_worker(asking_mentor, learner, good_answers):
    """Availability (like every page, through the middleware) expires the approval holds it reads."""
    from core.scheduling.services.availability import is_bookable

    start = next_slot()
    booking = bookings.book_slot(asking_mentor, learner, start, 60, answers=good_answers)
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=timezone.now() - timedelta(seconds=1))
    assert is_bookable(asking_mentor, start, start + timedelta(hours=1)), "the seat is free at its deadline"
    booking.refresh_from_db()
    assert booking.status == Booking.EXPIRED
    assert ApprovalRequest.objects.get(booking=booking).decision == ApprovalRequest.EXPIRED
