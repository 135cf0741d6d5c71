"""What booking asks of this app: the learner's answers and whether the mentor approves first.

:func:`prepare` runs before the booking is written (a refusal writes nothing); the
returned :class:`Intake` is recorded in the booking's own transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..models import ApprovalRequest
from . import approval, questions


@dataclass
class Intake:
    answers: list[questions.CleanAnswer] = field(default_factory=list)
    decide_by: datetime | None = None
    requested_at: datetime | None = None

    def record(self, booking) -> None:
        """Store the answers and the approval request with the new booking (same transaction)."""
        questions.store_answers(booking, self.answers)
        if self.decide_by is not None:
            ApprovalRequest.objects.create(booking=booking, requested_at=self.requested_at, decide_by=self.decide_by)


def prepare(mentor, answers: Mapping | None, *, start: datetime, now: datetime) -> Intake:
    """Check ``answers`` against the mentor's questions (skipped when ``None``) and decide on approval."""
    cleaned = [] if answers is None else questions.clean_answers(questions.questions_of(mentor), answers)
    decide_by = approval.decision_deadline(start, now) if approval.needs_approval(mentor, start, now) else None
    return Intake(answers=cleaned, decide_by=decide_by, requested_at=now)
