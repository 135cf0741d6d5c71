"""Fixtures of the booking questions and approval tests (the scheduling fixtures, plus questions)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.scheduling.conftest import learner, mentor_factory, session_factory  # noqa: F401  (fixtures)


@pytest.fixture(autouse=True)
def _celery_eager():
    """Emails and refunds run in-process even on the real stack (where a worker would)."""
    from peerlearn.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def asking_mentor(mentor_factory):  # noqa: F811
    """A mentor (every day 09-17 UTC) who approves every booking and asks three questions."""
    from core.intake.services import approval, questions

    mentor = mentor_factory(display_name="Ada Asks")
    questions.set_questions(
        mentor,
        [
            questions.QuestionSpec(label="What do you want to learn?", kind="short_text", required=True, max_length=50),
            questions.QuestionSpec(label="Anything else?", kind="long_text", max_length=300),
            questions.QuestionSpec(label="Your level", kind="choice", required=True, choices=("Beginner", "Advanced")),
        ],
    )
    approval.save_settings(mentor, "always")
    return mentor


@pytest.fixture
def qids(asking_mentor):
    from core.intake.models import BookingQuestion

    return [str(pk) for pk in BookingQuestion.objects.filter(mentor=asking_mentor).values_list("pk", flat=True)]


@pytest.fixture
def good_answers(qids):
    return {qids[0]: "Decorators", qids[2]: "Beginner"}


def next_slot(days: int = 3, hour: int = 10) -> datetime:
    """A slot start inside the fixtures' 09-17 UTC hours, ``days`` ahead."""
    day = (datetime.now(UTC) + timedelta(days=days)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
