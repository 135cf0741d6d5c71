"""A mentor's questions and the checking of a learner's answers (unit)."""

from __future__ import annotations

import pytest

from core.intake.models import BookingQuestion
from core.intake.services.questions import QuestionSpec, clean_answers, questions_of, set_questions
from core.scheduling.services.errors import InvalidRequest

pytestmark = pytest.mark.django_db


def test_questions_are_saved_in_order_with_their_limits(mentor_factory):
    mentor = mentor_factory()
    saved = set_questions(
        mentor,
        [
            QuestionSpec(label="  Your   goal ", required=True),
            QuestionSpec(label="Background", kind="long_text", max_length=1000),
            QuestionSpec(label="Level", kind="choice", choices=("Beginner", "Expert", " ")),
        ],
    )
    assert [q.label for q in saved] == ["Your goal", "Background", "Level"]
    assert [q.position for q in saved] == [0, 1, 2]
    assert saved[0].max_length == 200, "short text defaults to its ceiling"
    assert saved[1].max_length == 1000
    assert saved[2].choices == ["Beginner", "Expert"]
    # replacing keeps only the new list
    set_questions(mentor, [QuestionSpec(label="Only this")])
    assert [q.label for q in questions_of(mentor)] == ["Only this"]


@pytest.mark.parametrize(
    ("spec", "code", "field"),
    [
        (QuestionSpec(label="  "), "required", "questions[1].label"),
        (QuestionSpec(label="x" * 201), "too_long", "questions[1].label"),
        (QuestionSpec(label="Q", kind="date"), "invalid_kind", "questions[1].kind"),
        (QuestionSpec(label="Q", max_length=201), "invalid_max_length", "questions[1].max_length"),
        (QuestionSpec(label="Q", kind="long_text", max_length=0), "invalid_max_length", "questions[1].max_length"),
        (QuestionSpec(label="Q", kind="choice", choices=("Only",)), "invalid_choices", "questions[1].choices"),
        (QuestionSpec(label="Q", kind="choice", choices=("A", "A")), "invalid_choices", "questions[1].choices"),
        (QuestionSpec(label="Q", choices=("A", "B")), "invalid_choices", "questions[1].choices"),
    ],
)
def test_a_bad_question_names_itself_and_nothing_is_saved(mentor_factory, spec, code, field):
    mentor = mentor_factory()
    set_questions(mentor, [QuestionSpec(label="Kept")])
    with pytest.raises(InvalidRequest) as caught:
        set_questions(mentor, [QuestionSpec(label="Fine"), spec])
    assert (caught.value.code, caught.value.field) == (code, field)
    assert [q.label for q in questions_of(mentor)] == ["Kept"]


def test_at_most_ten_questions(mentor_factory):
    mentor = mentor_factory()
    with pytest.raises(InvalidRequest) as caught:
        set_questions(mentor, [QuestionSpec(label=f"Q{i}") for i in range(11)])
    assert caught.value.code == "too_many"
    assert not BookingQuestion.objects.filter(mentor=mentor).exists()


def test_answers_are_checked_against_each_question(asking_mentor, qids):
    questions = questions_of(asking_mentor)
    cleaned = clean_answers(questions, {qids[0]: " Decorators ", qids[1]: "", qids[2]: "Advanced"})
    assert [(c.question.label, c.value) for c in cleaned] == [
        ("What do you want to learn?", "Decorators"),
        ("Your level", "Advanced"),
    ]


@pytest.mark.parametrize(
    ("answers", "code", "names"),
    [
        (lambda q: {q[2]: "Beginner"}, "answer_required", "What do you want to learn?"),
        (lambda q: {q[0]: "   ", q[2]: "Beginner"}, "answer_required", "What do you want to learn?"),
        (lambda q: {q[0]: "x" * 51, q[2]: "Beginner"}, "answer_too_long", "What do you want to learn?"),
        (lambda q: {q[0]: "ok", q[1]: "y" * 301, q[2]: "Beginner"}, "answer_too_long", "Anything else?"),
        (lambda q: {q[0]: "ok", q[2]: "Wizard"}, "unknown_choice", "Your level"),
        (lambda q: {q[0]: "ok", q[2]: "Beginner", "999999": "?"}, "unknown_question", "999999"),
        (lambda q: {q[0]: 42, q[2]: "Beginner"}, "invalid_answer", "What do you want to learn?"),
    ],
)
def test_bad_answers_are_refused_naming_the_question(asking_mentor, qids, answers, code, names):
    with pytest.raises(InvalidRequest) as caught:
        clean_answers(questions_of(asking_mentor), answers(qids))
    assert caught.value.code == code
    assert names in caught.value.message


def test_answers_must_be_an_object(asking_mentor):
    with pytest.raises(InvalidRequest) as caught:
        clean_answers(questions_of(asking_mentor), ["Decorators"])
    assert caught.value.code == "invalid_answers"
