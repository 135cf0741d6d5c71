"""Template tags: the mentor's questions in a booking form, and a booking's answers and approval."""

from __future__ import annotations

from django import template
from django.utils import timezone

from core.scheduling.models import Booking

from ..models import ApprovalRequest, TimeProposal
from ..services import approval, questions

register = template.Library()


@register.inclusion_tag("intake/question_fields.html")
def booking_questions(mentor, values=None, error=None, start=None):
    """The mentor's questions as form fields (``q_<id>``), the typed values kept, the error shown;
    with ``start``, a note when the mentor approves such a booking first."""
    values = values or {}
    rows = [
        {
            "question": q,
            "value": values.get(f"q_{q.pk}", ""),
            "error": error if getattr(error, "field", "") == f"answers.{q.pk}" else None,
        }
        for q in questions.questions_of(mentor)
    ]
    general_error = error if error is not None and not any(row["error"] for row in rows) else None
    needs = start is not None and approval.needs_approval(mentor, start, timezone.now())
    return {
        "rows": rows,
        "error": general_error,
        "needs_approval": needs,
        "decision_hours": approval.current_approval_policy().decision_hours if needs else None,
        "mentor": mentor,
    }


@register.inclusion_tag("intake/booking_panel.html", takes_context=True)
def booking_intake(context, booking: Booking):
    """On the booking page: the answers, and the approval's state with what each side can do."""
    from ..views import proposal_options

    user = context["request"].user
    is_mentor = user.pk == booking.session.mentor_id or user.is_staff
    request = ApprovalRequest.objects.filter(booking=booking).first()
    pending = booking.status == Booking.PENDING_APPROVAL
    return {
        "request": context["request"],
        "booking": booking,
        "answers": questions.answers_of(booking),
        "approval": request,
        "pending": pending,
        "is_mentor": is_mentor,
        "is_learner": user.pk == booking.learner_id,
        "proposals": list(TimeProposal.objects.filter(booking=booking, status=TimeProposal.OPEN)) if pending else [],
        "options": proposal_options(booking) if pending and is_mentor else [],
        "csrf_token": context.get("csrf_token"),
    }


@register.simple_tag
def pending_approvals_count(user) -> int:
    if not getattr(user, "is_mentor", False):
        return 0
    return Booking.objects.filter(status=Booking.PENDING_APPROVAL, session__mentor=user).count()
