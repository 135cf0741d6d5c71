"""A mentor's booking questions: editing the ordered list, and checking a learner's answers.

Answers come as a mapping of question id to text (the API's ``answers`` object, the booking
page's ``q_<id>`` fields). Every refusal is an :class:`InvalidRequest` naming the question, raised
before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core.scheduling.services.errors import InvalidRequest

from ..models import CHOICE_LIMIT, MAX_CHOICES, MAX_QUESTIONS, BookingAnswer, BookingQuestion


@dataclass(frozen=True)
class QuestionSpec:
    """One question as a mentor types it (the page's form or the API's PUT)."""

    label: str
    kind: str = BookingQuestion.SHORT
    required: bool = False
    max_length: int | None = None
    help_text: str = ""
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class CleanAnswer:
    question: BookingQuestion
    value: str


def questions_of(mentor) -> list[BookingQuestion]:
    return list(BookingQuestion.objects.filter(mentor=mentor).order_by("position", "id"))


def _field(index: int, name: str) -> str:
    return f"questions[{index}].{name}"


def _check_spec(index: int, spec: QuestionSpec) -> QuestionSpec:
    label = " ".join((spec.label or "").split())
    if not label:
        raise InvalidRequest(
            _("Question %(n)d has no text.") % {"n": index + 1}, code="required", field=_field(index, "label")
        )
    if len(label) > 200:
        raise InvalidRequest(
            _("Question %(n)d is longer than 200 characters.") % {"n": index + 1},
            code="too_long",
            field=_field(index, "label"),
        )
    if spec.kind not in BookingQuestion.KIND_LIMITS:
        raise InvalidRequest(
            _("Question %(n)d: the kind must be short_text, long_text or choice.") % {"n": index + 1},
            code="invalid_kind",
            field=_field(index, "kind"),
        )
    if len(spec.help_text or "") > 300:
        raise InvalidRequest(
            _("Question %(n)d: the hint is longer than 300 characters.") % {"n": index + 1},
            code="too_long",
            field=_field(index, "help_text"),
        )
    ceiling = BookingQuestion.KIND_LIMITS[spec.kind]
    max_length = spec.max_length if spec.max_length is not None else ceiling
    if isinstance(max_length, bool) or not isinstance(max_length, int) or not 1 <= max_length <= ceiling:
        raise InvalidRequest(
            _("Question %(n)d: the longest answer must be from 1 to %(max)d characters.")
            % {"n": index + 1, "max": ceiling},
            code="invalid_max_length",
            field=_field(index, "max_length"),
        )
    choices: tuple[str, ...] = ()
    if spec.kind == BookingQuestion.CHOICE:
        choices = tuple(" ".join(str(c).split()) for c in spec.choices if str(c).strip())
        if len(choices) < 2 or len(choices) > MAX_CHOICES:
            raise InvalidRequest(
                _("Question %(n)d: give from 2 to %(max)d choices.") % {"n": index + 1, "max": MAX_CHOICES},
                code="invalid_choices",
                field=_field(index, "choices"),
            )
        if len(set(choices)) != len(choices) or any(len(c) > CHOICE_LIMIT for c in choices):
            raise InvalidRequest(
                _("Question %(n)d: each choice must be different and at most %(max)d characters.")
                % {"n": index + 1, "max": CHOICE_LIMIT},
                code="invalid_choices",
                field=_field(index, "choices"),
            )
        max_length = max(len(c) for c in choices)
    elif spec.choices:
        raise InvalidRequest(
            _("Question %(n)d: only a choice question has choices.") % {"n": index + 1},
            code="invalid_choices",
            field=_field(index, "choices"),
        )
    return QuestionSpec(
        label=label,
        kind=spec.kind,
        required=bool(spec.required),
        max_length=max_length,
        help_text=(spec.help_text or "").strip(),
        choices=choices,
    )


def set_questions(mentor, specs: Sequence[QuestionSpec]) -> list[BookingQuestion]:
    """Replace a mentor's questions with ``specs``, in that order (all checked first; nothing saved on error).

    Answers already given keep their own copy of the wording (``BookingAnswer.label``).
    """
    if len(specs) > MAX_QUESTIONS:
        raise InvalidRequest(
            _("Ask at most %(max)d questions.") % {"max": MAX_QUESTIONS}, code="too_many", field="questions"
        )
    checked = [_check_spec(index, spec) for index, spec in enumerate(specs)]
    with transaction.atomic():
        BookingQuestion.objects.filter(mentor=mentor).delete()
        BookingQuestion.objects.bulk_create(
            [
                BookingQuestion(
                    mentor=mentor,
                    position=index,
                    kind=spec.kind,
                    label=spec.label,
                    help_text=spec.help_text,
                    required=spec.required,
                    max_length=spec.max_length,
                    choices=list(spec.choices),
                )
                for index, spec in enumerate(checked)
            ]
        )
    return questions_of(mentor)


def clean_answers(questions: Sequence[BookingQuestion], answers: Mapping | None) -> list[CleanAnswer]:
    """Check ``answers`` (question id -> text) against ``questions``; the answers to store, in order."""
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping):
        raise InvalidRequest(
            _("Give the answers as an object of question id to text."), code="invalid_answers", field="answers"
        )
    by_id = {str(q.pk): q for q in questions}
    for key in answers:
        if str(key) not in by_id:
            raise InvalidRequest(
                _("There is no question %(id)s for this mentor.") % {"id": str(key)[:20]},
                code="unknown_question",
                field="answers",
            )
    given = {str(key): value for key, value in answers.items()}
    cleaned = []
    for question in questions:
        field = f"answers.{question.pk}"
        raw = given.get(str(question.pk))
        if raw is not None and not isinstance(raw, str):
            raise InvalidRequest(
                _("The answer to “%(q)s” must be text.") % {"q": question.label}, code="invalid_answer", field=field
            )
        value = (raw or "").strip()
        if not value:
            if question.required:
                raise InvalidRequest(
                    _("Please answer “%(q)s”: it is required.") % {"q": question.label},
                    code="answer_required",
                    field=field,
                )
            continue
        if "\x00" in value:
            raise InvalidRequest(
                _("The answer to “%(q)s” contains a character that is not allowed.") % {"q": question.label},
                code="invalid_answer",
                field=field,
            )
        if question.kind == BookingQuestion.CHOICE:
            if value not in question.choices:
                raise InvalidRequest(
                    _("“%(v)s” is not one of the choices for “%(q)s”.") % {"v": value[:100], "q": question.label},
                    code="unknown_choice",
                    field=field,
                )
        elif len(value) > question.max_length:
            raise InvalidRequest(
                _("The answer to “%(q)s” is %(n)d characters long; at most %(max)d are allowed.")
                % {"q": question.label, "n": len(value), "max": question.max_length},
                code="answer_too_long",
                field=field,
            )
        cleaned.append(CleanAnswer(question=question, value=value))
    return cleaned


def store_answers(booking, cleaned: Sequence[CleanAnswer]) -> None:
    BookingAnswer.objects.bulk_create(
        [
            BookingAnswer(
                booking=booking,
                question=item.question,
                position=item.question.position,
                label=item.question.label,
                kind=item.question.kind,
                value=item.value,
            )
            for item in cleaned
        ]
    )


def answers_of(booking) -> list[BookingAnswer]:
    return list(BookingAnswer.objects.filter(booking=booking).order_by("position", "id"))
