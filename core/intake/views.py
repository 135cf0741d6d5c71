"""Pages: a mentor's questions and approval settings, their booking requests, and the
learner's one-click acceptance of a proposed time. Views parse and call the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.scheduling.models import Booking
from core.scheduling.services import availability
from core.scheduling.services.errors import InvalidRequest, SchedulingError

from .models import MAX_QUESTIONS, ApprovalSettings, BookingQuestion, TimeProposal
from .services import approval, questions

PROPOSAL_DAYS = 14
PROPOSAL_SLOTS = 24


def answers_from_post(post) -> dict[str, str]:
    """The booking form's ``q_<id>`` fields as the services' answers mapping."""
    return {key[2:]: value for key, value in post.items() if key.startswith("q_") and key[2:].isdigit()}


def _require_mentor(request: HttpRequest) -> None:
    if not request.user.is_mentor:
        raise PermissionDenied(_("Only mentors have booking questions."))


def _typed_rows(post) -> list[dict]:
    rows = []
    for index in range(MAX_QUESTIONS + 3):
        prefix = f"q-{index}-"
        label = (post.get(prefix + "label") or "").strip()
        if not label:
            continue
        try:
            order = int(post.get(prefix + "order") or index + 1)
        except ValueError:
            order = index + 1
        max_length = (post.get(prefix + "max_length") or "").strip()
        rows.append(
            {
                "order": order,
                "label": label,
                "kind": post.get(prefix + "kind") or BookingQuestion.SHORT,
                "required": post.get(prefix + "required") == "on",
                "max_length": max_length,
                "help_text": post.get(prefix + "help_text") or "",
                "choices": post.get(prefix + "choices") or "",
            }
        )
    return sorted(rows, key=lambda row: row["order"])


def _saved_rows(mentor) -> list[dict]:
    return [
        {
            "order": q.position + 1,
            "label": q.label,
            "kind": q.kind,
            "required": q.required,
            "max_length": q.max_length,
            "help_text": q.help_text,
            "choices": "\n".join(q.choices),
        }
        for q in questions.questions_of(mentor)
    ]


def _spec(row: dict, index: int) -> questions.QuestionSpec:
    raw = str(row["max_length"]).strip()
    if raw and not raw.isdigit():
        raise InvalidRequest(
            _("Question %(n)d: the longest answer must be a whole number.") % {"n": index + 1},
            field=f"questions[{index}].max_length",
        )
    return questions.QuestionSpec(
        label=row["label"],
        kind=row["kind"],
        required=row["required"],
        max_length=int(raw) if raw else None,
        help_text=row["help_text"],
        choices=tuple(line for line in row["choices"].splitlines() if line.strip()),
    )


@login_required
def questions_editor(request: HttpRequest) -> HttpResponse:
    """A mentor's booking questions (ordered) and whether they approve bookings first."""
    _require_mentor(request)
    mentor = request.user
    rows = _saved_rows(mentor)
    rule = approval.settings_of(mentor)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "approval":
                raw_hours = (request.POST.get("short_notice_hours") or "").strip()
                if raw_hours and not raw_hours.isdigit():
                    raise InvalidRequest(_("Give a whole number of hours."), field="short_notice_hours")
                approval.save_settings(mentor, request.POST.get("mode", ""), int(raw_hours) if raw_hours else None)
                messages.success(request, _("Approval settings saved."))
                return redirect("intake:questions")
            rows = _typed_rows(request.POST)
            questions.set_questions(mentor, [_spec(row, index) for index, row in enumerate(rows)])
            messages.success(request, _("Questions saved."))
            return redirect("intake:questions")
        except SchedulingError as exc:
            messages.error(request, exc.message)
            status = 400
            rule = approval.settings_of(mentor)
            if action == "approval":
                rule.mode = request.POST.get("mode", rule.mode)
    blanks = max(1, min(3, MAX_QUESTIONS - len(rows)))
    context = {
        "rows": rows,
        "blank_rows": range(len(rows), len(rows) + blanks),
        "kinds": BookingQuestion.KIND_CHOICES,
        "rule": rule,
        "modes": ApprovalSettings.MODE_CHOICES,
        "decision_hours": approval.current_approval_policy().decision_hours,
        "max_questions": MAX_QUESTIONS,
    }
    return render(request, "intake/questions.html", context, status=status)


def proposal_options(booking: Booking, now: datetime | None = None) -> list[datetime]:
    """Free slots of the booking's length the mentor could propose (next two weeks)."""
    now = now or timezone.now()
    session = booking.session
    if session.capacity != 1:
        return []
    length = int((session.ends_at - session.starts_at).total_seconds() // 60)
    try:
        slots = availability.free_slots(
            session.mentor, now, now + timedelta(days=PROPOSAL_DAYS), length, exclude_session_id=session.pk
        )
    except Exception:  # an unreadable calendar: the mentor can still approve or decline
        return []
    return [slot.start for slot in slots if slot.start != booking.starts_at][:PROPOSAL_SLOTS]


@login_required
def requests_page(request: HttpRequest) -> HttpResponse:
    """A mentor's bookings awaiting approval, with the learners' answers and the three choices."""
    _require_mentor(request)
    pending = list(approval.pending_for(request.user))
    rows = [
        {
            "booking": booking,
            "answers": questions.answers_of(booking),
            "proposals": list(TimeProposal.objects.filter(booking=booking, status=TimeProposal.OPEN)),
            "options": proposal_options(booking),
        }
        for booking in pending
    ]
    return render(request, "intake/requests.html", {"rows": rows})


def _mentor_booking(request: HttpRequest, pk: int) -> Booking:
    queryset = Booking.objects.select_related("session", "session__mentor", "learner")
    if not request.user.is_staff:
        queryset = queryset.filter(session__mentor=request.user)
    return get_object_or_404(queryset, pk=pk)


def _back(request: HttpRequest, booking: Booking) -> HttpResponse:
    target = request.POST.get("next", "")
    if target in ("requests", ""):
        return redirect("intake:requests")
    return redirect("scheduling:booking_detail", pk=booking.pk)


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _mentor_booking(request, pk)
    try:
        approval.approve(booking, request.user)
    except SchedulingError as exc:
        messages.error(request, _("Not approved: %(reason)s") % {"reason": exc.message})
    else:
        messages.success(request, _("Approved: %(learner)s is told.") % {"learner": booking.learner})
    return _back(request, booking)


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _mentor_booking(request, pk)
    try:
        approval.decline(booking, request.user, request.POST.get("reason", ""))
    except SchedulingError as exc:
        messages.error(request, _("Not declined: %(reason)s") % {"reason": exc.message})
    else:
        messages.success(
            request, _("Declined: the seat is free again and %(learner)s is told.") % {"learner": booking.learner}
        )
    return _back(request, booking)


@login_required
@require_POST
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _mentor_booking(request, pk)
    starts = []
    for raw in request.POST.getlist("start"):
        try:
            parsed = parse_datetime(raw)
        except ValueError:
            parsed = None
        if parsed is None or parsed.tzinfo is None:
            messages.error(request, _("Pick times from the list."))
            return _back(request, booking)
        starts.append(parsed.astimezone(UTC))
    try:
        approval.propose_times(booking, request.user, starts)
    except SchedulingError as exc:
        messages.error(request, _("Not sent: %(reason)s") % {"reason": exc.message})
    else:
        messages.success(
            request, _("Sent %(learner)s %(n)d other time(s).") % {"learner": booking.learner, "n": len(starts)}
        )
    return _back(request, booking)


@login_required
@require_POST
def accept(request: HttpRequest, pk: int) -> HttpResponse:
    """The learner's one click on a proposed time."""
    proposal = get_object_or_404(
        TimeProposal.objects.filter(Q(booking__learner=request.user) | Q(booking__session__mentor=request.user)), pk=pk
    )
    try:
        approval.accept_proposal(proposal, request.user)
    except SchedulingError as exc:
        messages.error(request, _("Not moved: %(reason)s") % {"reason": exc.message})
    else:
        messages.success(request, _("Moved to the time you picked."))
    return redirect("scheduling:booking_detail", pk=proposal.booking_id)
