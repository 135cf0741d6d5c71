"""Demo booking questions and approval: the second demo mentor asks three questions and approves
every booking; one learner's request waits for them and another's was declined (``seed_demo``;
idempotent: nothing is added once that mentor has questions)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from core.scheduling.services import availability, bookings
from core.scheduling.services.errors import SchedulingError

from .models import BookingQuestion
from .services import approval, questions

logger = logging.getLogger("peerlearn.intake")

QUESTIONS = [
    questions.QuestionSpec(label="What would you like to get out of the session?", required=True, max_length=200),
    questions.QuestionSpec(label="Anything I should read or look at first?", kind="long_text", max_length=2000),
    questions.QuestionSpec(
        label="Your level", kind="choice", required=True, choices=("Just starting", "Some experience", "Advanced")
    ),
]


def _request(mentor, learner, answers: dict, length: int):
    now = timezone.now()
    for slot in availability.free_slots(mentor, now + timedelta(days=2), now + timedelta(days=16), length)[:20]:
        try:
            return bookings.book_slot(mentor, learner, slot.start, length, answers=answers)
        except SchedulingError:
            continue  # the learner is busy then: try the next slot
    logger.info("demo: no free slot for a booking request of %s", mentor)
    return None


def seed(context) -> None:
    if len(context.mentors) < 2 or len(context.learners) < 4:
        return
    mentor = context.mentors[1]
    if BookingQuestion.objects.filter(mentor=mentor).exists():
        return
    asked = questions.set_questions(mentor, QUESTIONS)
    approval.save_settings(mentor, "always")
    length = availability.Settings.of(availability.profile_for(mentor)).lengths[0]
    waiting = _request(
        mentor,
        context.learners[2],
        {
            str(asked[0].pk): "Review my project's structure before I apply for jobs.",
            str(asked[2].pk): "Some experience",
        },
        length,
    )
    declined = _request(
        mentor,
        context.learners[3],
        {str(asked[0].pk): "Everything at once.", str(asked[2].pk): "Just starting"},
        length,
    )
    if declined is not None:
        approval.decline(declined, mentor, "I am full that week; please pick a later date.")
    context.report.counts["approval requests"] = int(waiting is not None) + int(declined is not None)
