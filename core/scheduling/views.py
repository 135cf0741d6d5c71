"""Pages of scheduling: the availability editor, publishing a session, the slot picker,
the session page and the booking page. Views parse, call a service, render."""

from __future__ import annotations

from collections import OrderedDict
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.dates import WEEKDAYS
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_POST

from core.accounts.models import User
from core.api.inputs import clamp_date
from core.intake.services.approval import needs_approval
from core.intake.views import answers_from_post
from core.pages.cache import cache_page_for_visitors

from . import currency as money
from .forms import OverrideForm, SchedulingProfileForm, SessionForm
from .models import Booking, DateOverride, Session, WaitlistEntry, WeeklyRule
from .services import availability, bookings, rules, sessions, waitlist
from .services.errors import SchedulingError
from .services.policy import current_policy
from .weeks import week_order

PICKER_DAYS = 7


def viewer_zone() -> ZoneInfo:
    zone = timezone.get_current_timezone()
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(str(zone))


def _require_mentor(request: HttpRequest) -> None:
    if not request.user.is_mentor:
        raise PermissionDenied(gettext("Only mentors have a schedule; turn on the mentor role in your profile."))


def _fail(request: HttpRequest, exc: SchedulingError) -> None:
    messages.error(request, exc.message)


# --- the mentor's availability ------------------------------------------------------


def _parse_week(post) -> tuple[dict[int, list[tuple[time, time]]], list[str]]:
    week: dict[int, list[tuple[time, time]]] = {}
    errors = []
    for weekday in range(7):
        starts, ends = post.getlist(f"start-{weekday}"), post.getlist(f"end-{weekday}")
        ranges = []
        for start, end in zip(starts, ends, strict=False):
            if not start and not end:
                continue
            try:
                ranges.append((time.fromisoformat(start), time.fromisoformat(end)))
            except ValueError:
                errors.append(
                    gettext("%(day)s: “%(start)s-%(end)s” is not a time range like 09:00-17:00.")
                    % {"day": WEEKDAYS[weekday], "start": start, "end": end}
                )
        week[weekday] = ranges
    return week, errors


def _saved_week(mentor) -> list[dict]:
    rules_by_day: dict[int, list[WeeklyRule]] = {d: [] for d in range(7)}
    for rule in WeeklyRule.objects.filter(mentor=mentor):
        rules_by_day[rule.weekday].append(rule)
    return [
        {
            "weekday": weekday,
            "name": WEEKDAYS[weekday],
            "ranges": [{"start": f"{r.start_time:%H:%M}", "end": f"{r.end_time:%H:%M}"} for r in rules_by_day[weekday]],
        }
        for weekday in range(7)
    ]


def _typed_week(post) -> list[dict]:
    """The weekly ranges exactly as typed, to show again when they are refused: nothing typed is lost."""
    week = []
    for weekday in range(7):
        pairs = zip(post.getlist(f"start-{weekday}"), post.getlist(f"end-{weekday}"), strict=False)
        ranges = [{"start": start, "end": end} for start, end in pairs if start or end]
        week.append({"weekday": weekday, "name": WEEKDAYS[weekday], "ranges": ranges})
    return week


@login_required
def availability_editor(request: HttpRequest) -> HttpResponse:
    """Weekly hours, date overrides and booking settings of the signed-in mentor."""
    _require_mentor(request)
    mentor = request.user
    profile = availability.profile_for(mentor)
    profile_form = SchedulingProfileForm(initial=SchedulingProfileForm.initial_for(profile))
    override_form = OverrideForm()
    status = 200
    typed_week = None
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "weekly":
            typed_week = _typed_week(request.POST)
        try:
            if action == "weekly":
                week, errors = _parse_week(request.POST)
                if errors:
                    for error in errors:
                        messages.error(request, error)
                    status = 400
                else:
                    rules.set_weekly_rules(mentor, week)
                    messages.success(request, gettext("Your weekly hours are saved."))
                    return redirect("scheduling:availability")
            elif action == "settings":
                profile_form = SchedulingProfileForm(request.POST)
                if profile_form.is_valid():
                    rules.save_profile(mentor, **profile_form.profile_values())
                    messages.success(request, gettext("Your booking settings are saved."))
                    return redirect("scheduling:availability")
                status = 400
            elif action == "add_override":
                override_form = OverrideForm(request.POST)
                if override_form.is_valid():
                    data = override_form.cleaned_data
                    rules.add_override(
                        mentor,
                        day=data["date"],
                        kind=data["kind"],
                        start=data["start_time"],
                        end=data["end_time"],
                        note=data["note"],
                    )
                    messages.success(
                        request,
                        gettext("Saved the change for %(date)s.") % {"date": date_format(data["date"], "l j F")},
                    )
                    return redirect("scheduling:availability")
                status = 400
            elif action == "delete_override":
                rules.delete_override(mentor, int(request.POST.get("override", "0") or 0))
                messages.success(request, gettext("Removed."))
                return redirect("scheduling:availability")
            else:
                messages.error(request, gettext("Unknown action."))
                status = 400
        except SchedulingError as exc:
            _fail(request, exc)
            status = 400
        except ValueError:
            messages.error(request, gettext("That request was malformed."))
            status = 400
        if status == 400 and not any(True for _ in messages.get_messages(request)):
            messages.error(request, gettext("Please correct the errors below; nothing was saved."))
    week = typed_week if status == 400 and typed_week is not None else _saved_week(mentor)
    zone = availability.zone_of(mentor)
    today = datetime.now(zone).date()
    overrides = DateOverride.objects.filter(mentor=mentor, date__gte=today).order_by("date", "start_time")
    now = timezone.now()
    report = availability.availability_report(mentor, now, now + timedelta(days=7))
    preview = report.slots
    order = week_order()
    return render(
        request,
        "scheduling/availability.html",
        {
            "week": sorted(week, key=lambda day: order.index(day["weekday"])),  # from the reader's first weekday
            "profile_form": profile_form,
            "override_form": override_form,
            "overrides": overrides,
            "mentor_zone": str(zone),
            "preview_days": _preview(preview, zone),
            "preview_count": len(preview),
            "availability_stale": report.stale,
            "calendar_connection": getattr(mentor, "calendar_connection", None) if _has_calendar(mentor) else None,
        },
        status=status,
    )


def _has_calendar(mentor) -> bool:
    from django.core.exceptions import ObjectDoesNotExist

    try:
        return mentor.calendar_connection is not None
    except ObjectDoesNotExist:
        return False


def _preview(slots, zone: ZoneInfo, per_day: int = 8) -> list[dict]:
    """Distinct start times per local day, for the editor's summary."""
    rows = []
    for day in group_by_day(slots, zone):
        starts = list(dict.fromkeys(f"{slot['local']:%H:%M}" for slot in day["slots"]))
        rows.append({"date": day["date"], "starts": starts[:per_day], "more": len(starts) > per_day})
    return rows


# --- publishing a session --------------------------------------------------------


@login_required
def session_new(request: HttpRequest) -> HttpResponse:
    """A mentor publishes a session (a group when capacity > 1)."""
    _require_mentor(request)
    zone = availability.zone_of(request.user)
    form = SessionForm(request.POST or None, zone=zone)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            session = sessions.create_session(
                request.user,
                title=data["title"],
                description=data["description"],
                skills=data["skills"],
                start=data["start"],
                duration_minutes=data["duration_minutes"],
                capacity=data["capacity"],
                price_minor=data["price_minor"],
                currency=data["currency"],
            )
        except SchedulingError as exc:
            if exc.field and exc.field in form.fields:
                form.add_error(exc.field, exc.message)
            else:
                form.add_error(None, exc.message)
        else:
            messages.success(request, gettext("Your session is published."))
            return redirect("scheduling:session_detail", pk=session.pk)
    if request.method == "POST":
        messages.error(request, gettext("Please correct the errors below; nothing was saved."))
    return render(
        request,
        "scheduling/session_form.html",
        {"form": form, "mentor_zone": str(zone)},
        status=400 if form.errors else 200,
    )


# --- the slot picker -----------------------------------------------------------------


def group_by_day(slots, zone: ZoneInfo) -> list[dict]:
    """Slots grouped by the viewer's local date, each with its local time and zone abbreviation."""
    days: OrderedDict[date, list[dict]] = OrderedDict()
    for slot in slots:
        local = slot.start.astimezone(zone)
        days.setdefault(local.date(), []).append(
            {
                "start": slot.start,
                "start_iso": slot.start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "local": local,
                "local_end": slot.end.astimezone(zone),
                "abbr": local.tzname(),
                "length": slot.length_minutes,
            }
        )
    return [{"date": day, "slots": rows} for day, rows in days.items()]


def _picker_context(request: HttpRequest, mentor: User, *, exclude_session_id: int | None = None) -> dict:
    zone = viewer_zone()
    booking_rules = availability.Settings.of(availability.profile_for(mentor))
    lengths = list(booking_rules.lengths)
    try:
        length = int(request.GET.get("length", lengths[0]))
    except ValueError:
        length = lengths[0]
    if length not in lengths:
        length = lengths[0]
    today = datetime.now(zone).date()
    try:
        start_day = parse_date(request.GET.get("week", "") or "") or today
    except ValueError:  # well formed but not a date, e.g. 2026-02-31
        start_day = today
    start_day = clamp_date(start_day, today, past_days=0, future_days=booking_rules.horizon.days)
    window_start = datetime.combine(start_day, time(0), zone).astimezone(UTC)
    window_end = datetime.combine(start_day + timedelta(days=PICKER_DAYS), time(0), zone).astimezone(UTC)
    report = availability.availability_report(
        mentor, window_start, window_end, length, exclude_session_id=exclude_session_id
    )
    slots = report.slots
    price = None
    try:
        minor, currency = bookings.slot_price(mentor, length)
        price = money.format_money(minor, currency)
    except Exception:  # the catalogue may be unreachable: show the slots without a price
        price = None
    return {
        "mentor": mentor,
        "zone": str(zone),
        "zone_abbr": datetime.now(zone).tzname(),
        "mentor_zone": mentor.time_zone,
        "lengths": lengths,
        "length": length,
        "days": group_by_day(slots, zone),
        "week_start": start_day,
        "prev_week": start_day - timedelta(days=PICKER_DAYS) if start_day > today else None,
        "next_week": start_day + timedelta(days=PICKER_DAYS),
        "price": price,
        "availability_stale": report.stale,
    }


def _parse_aware(value: str) -> datetime | None:
    """A date-time with its offset from a form, or None for anything else."""
    try:
        parsed = parse_datetime(value or "")
    except ValueError:
        return None
    if parsed is None or parsed.tzinfo is None or not 1970 <= parsed.year <= 2999:
        return None
    return parsed


def slot_picker(request: HttpRequest, pk: int) -> HttpResponse:
    """A mentor's free slots for a week, in the viewer's zone, grouped by day; POST books one."""
    mentor = get_object_or_404(User, pk=pk, is_mentor=True, is_active=True)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('account_login')}?next={request.path}")
        start = _parse_aware(request.POST.get("start", ""))
        try:
            length = int(request.POST.get("duration_minutes", ""))
        except ValueError:
            length = 0
        status = 400
        if start is None or not 0 < length <= 24 * 60:
            messages.error(request, gettext("Pick one of the slots below."))
        elif request.POST.get("confirmed") != "1":
            if availability.is_bookable(mentor, start, start + timedelta(minutes=length)):
                return _confirm_slot(request, mentor, start, length)
            messages.error(request, gettext("That time was just taken or is no longer offered; pick another."))
            status = 409
        else:
            try:
                booking = bookings.book_slot(
                    mentor, request.user, start, length, answers=answers_from_post(request.POST)
                )
            except SchedulingError as exc:
                if (exc.field or "").startswith("answers"):  # keep what was typed, show the error by its question
                    return _confirm_slot(request, mentor, start, length, answer_error=exc)
                _fail(request, exc)
                status = exc.status
            else:
                return redirect("scheduling:booking_detail", pk=booking.pk)
        context = _picker_context(request, mentor)
        return render(request, "scheduling/slot_picker.html", context, status=status)
    return render(request, "scheduling/slot_picker.html", _picker_context(request, mentor))


def _confirm_slot(
    request: HttpRequest,
    mentor: User,
    start: datetime,
    length: int,
    *,
    booking: Booking | None = None,
    answer_error: SchedulingError | None = None,
) -> HttpResponse:
    """One more look before a slot is booked (or a booking moved): what, when, how much, the rules."""
    zone = viewer_zone()
    policy = current_policy()
    price = None
    if booking is None:
        try:
            minor, currency = bookings.slot_price(mentor, length)
            price = money.format_money(minor, currency) if minor else None
        except Exception:  # the catalogue may be unreachable: the booking itself prices it again
            price = None
    context = {
        "mentor": mentor,
        "booking": booking,
        "start": start.astimezone(zone),
        "end": (start + timedelta(minutes=length)).astimezone(zone),
        "start_iso": request.POST.get("start", ""),
        "length": length,
        "zone": str(zone),
        "price": price,
        "policy": policy,
        "back": request.get_full_path(),
        "needs_approval": booking is None and needs_approval(mentor, start, timezone.now()),
        "answer_values": request.POST if answer_error is not None else {},
        "answer_error": answer_error,
    }
    return render(request, "scheduling/slot_confirm.html", context, status=400 if answer_error else 200)


# --- bookings ---------------------------------------------------------------------


def _my_booking(request: HttpRequest, pk: int) -> Booking:
    queryset = Booking.objects.select_related("session", "session__mentor", "learner")
    if not request.user.is_staff:
        queryset = queryset.filter(Q(learner=request.user) | Q(session__mentor=request.user))
    return get_object_or_404(queryset, pk=pk)


@login_required
def booking_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The booking confirmation: what, when (in your zone), the price and what happens next."""
    booking = _my_booking(request, pk)
    policy = current_policy()
    now = timezone.now()
    free_cancel_until = booking.starts_at - timedelta(hours=policy.free_cancellation_hours)
    return render(
        request,
        "scheduling/booking_detail.html",
        {
            "booking": booking,
            "session": booking.session,
            "price": money.format_money(booking.price_minor, booking.currency),
            "refund": None
            if booking.refund_minor is None
            else money.format_money(booking.refund_minor, booking.currency),
            "policy": policy,
            "free_cancel_until": free_cancel_until,
            "free_cancel_open": free_cancel_until > now,
            "started": booking.starts_at <= now,
            "is_learner": booking.learner_id == request.user.pk,
            "can_reschedule": booking.is_active
            and booking.session.capacity == 1
            and booking.session.status == Session.SCHEDULED,
        },
    )


@login_required
@require_POST
def booking_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _my_booking(request, pk)
    try:
        result = bookings.cancel_booking(booking, request.user, request.POST.get("reason", ""))
    except SchedulingError as exc:
        _fail(request, exc)
    else:
        if result.refund_minor:
            messages.success(
                request,
                gettext("Cancelled. %(format_money)s (%(refund_percent)s%%) will be refunded.")
                % {
                    "format_money": money.format_money(result.refund_minor, result.currency),
                    "refund_percent": result.refund_percent,
                },
            )
        else:
            messages.success(request, gettext("Cancelled."))
    return redirect("scheduling:booking_detail", pk=booking.pk)


@login_required
def booking_reschedule(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a 1:1 booking to another free slot of the same mentor."""
    booking = _my_booking(request, pk)
    session = booking.session
    if session.capacity != 1:
        return _move_seat(request, booking)
    status = 200
    if request.method == "POST":
        start = _parse_aware(request.POST.get("start", ""))
        if start is None:
            messages.error(request, gettext("Pick one of the slots below."))
            status = 400
        elif request.POST.get("confirmed") != "1":
            end = start + timedelta(minutes=session.duration_minutes)
            if availability.is_bookable(session.mentor, start, end, exclude_session_id=session.pk):
                return _confirm_slot(request, session.mentor, start, session.duration_minutes, booking=booking)
            messages.error(request, gettext("The new start is not one of the mentor's free slots."))
            status = 400
        else:
            try:
                bookings.reschedule_booking(booking, request.user, start=start)
            except SchedulingError as exc:
                _fail(request, exc)
                status = exc.status
            else:
                messages.success(request, gettext("Moved. Everyone booked is told about the new time."))
                return redirect("scheduling:booking_detail", pk=booking.pk)
    context = _picker_context(request, session.mentor, exclude_session_id=session.pk)
    context.update({"booking": booking, "rescheduling": True})
    # only the booking's own length applies
    length = session.duration_minutes
    if length in context["lengths"]:
        context["length"] = length
        zone = viewer_zone()
        start_day = context["week_start"]
        window_start = datetime.combine(start_day, time(0), zone).astimezone(UTC)
        window_end = datetime.combine(start_day + timedelta(days=PICKER_DAYS), time(0), zone).astimezone(UTC)
        slots = availability.free_slots(session.mentor, window_start, window_end, length, exclude_session_id=session.pk)
        context["days"] = group_by_day(slots, zone)
    context["lengths"] = [length]
    return render(request, "scheduling/slot_picker.html", context, status=status)


def _move_seat(request: HttpRequest, booking: Booking) -> HttpResponse:
    """A group seat moves to another session of the same mentor and price (from that session's page)."""
    if request.method != "POST":
        messages.info(request, gettext("Open the session you want to move to and choose “Move my seat here”."))
        return redirect("scheduling:booking_detail", pk=booking.pk)
    target = Session.objects.filter(pk=request.POST.get("session") or 0, origin=Session.PUBLISHED).first()
    if target is None:
        messages.error(request, gettext("Choose a session to move to."))
        return redirect("scheduling:booking_detail", pk=booking.pk)
    try:
        bookings.reschedule_booking(booking, request.user, target_session=target)
    except SchedulingError as exc:
        _fail(request, exc)
        return redirect("scheduling:session_detail", pk=target.pk)
    messages.success(request, gettext("Your seat is moved to %(title)s.") % {"title": target.title})
    return redirect("scheduling:booking_detail", pk=booking.pk)


def _movable_booking(user, session: Session) -> Booking | None:
    """The user's seat in another upcoming session of this mentor at the same price, if any."""
    if not user.is_authenticated or session.capacity == 1:
        return None
    return (
        Booking.objects.active()
        .filter(
            learner=user,
            session__mentor_id=session.mentor_id,
            session__status=Session.SCHEDULED,
            session__starts_at__gt=timezone.now(),
            price_minor=session.price_minor,
            currency=session.currency,
        )
        .exclude(session=session)
        .select_related("session")
        .order_by("starts_at")
        .first()
    )


# --- the session page and its actions ----------------------------------------------------


def _visible_session(request: HttpRequest, pk: int) -> Session:
    session = get_object_or_404(Session.objects.select_related("mentor").prefetch_related("skills"), pk=pk)
    user = request.user
    if session.origin == Session.SLOT and not (
        user.is_authenticated
        and (user.is_staff or user.pk == session.mentor_id or session.bookings.filter(learner=user).exists())
    ):
        raise Http404(gettext("No such session."))
    return session


def session_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A session: when (in your zone), who, price, seats; book, wait, cancel or start."""
    session = _visible_session(request, pk)
    user = request.user
    booking = entry = None
    attendees = []
    is_mentor = user.is_authenticated and user.pk == session.mentor_id
    if user.is_authenticated:
        booking = Booking.objects.active().filter(session=session, learner=user).first()
        entry = WaitlistEntry.objects.filter(
            session=session, learner=user, status__in=WaitlistEntry.OPEN_STATUSES
        ).first()
    if is_mentor or (user.is_authenticated and user.is_staff):
        attendees = list(Booking.objects.filter(session=session).select_related("learner").order_by("created_at"))
    opens, closes = sessions.start_window(session)
    now = timezone.now()
    left = bookings.seats_left(session, for_learner=user if user.is_authenticated else None)
    cache_page_for_visitors(request, f"session:{session.pk}")
    return render(
        request,
        "scheduling/session_detail.html",
        {
            "session": session,
            "booking": booking,
            "entry": entry,
            "position": waitlist.position(entry) if entry else 0,
            "attendees": attendees,
            "is_mentor": is_mentor,
            "seats_left": left if session.status == Session.SCHEDULED else 0,
            # seats stay live on the visitors' kept page while bookings are taken (core.pages.live_parts)
            "seats_live": session.status == Session.SCHEDULED,
            "price": money.format_money(session.price_minor, session.currency),
            "priced": bool(session.price_minor),
            "book_login_url": f"{reverse('account_login')}?next={quote(request.path, safe='/')}",
            "bookable": session.status == Session.SCHEDULED and session.starts_at > now,
            "can_start": is_mentor and session.status == Session.SCHEDULED and opens <= now <= closes,
            "start_opens": opens,
            "zone": str(viewer_zone()),
            "movable": None if booking else _movable_booking(user, session),
        },
    )


@login_required
@require_POST
def session_book(request: HttpRequest, pk: int) -> HttpResponse:
    session = _visible_session(request, pk)
    try:
        booking = bookings.book_session(session, request.user, answers=answers_from_post(request.POST))
    except SchedulingError as exc:
        _fail(request, exc)
        return redirect("scheduling:session_detail", pk=session.pk)
    return redirect("scheduling:booking_detail", pk=booking.pk)


@login_required
@require_POST
def session_waitlist(request: HttpRequest, pk: int) -> HttpResponse:
    session = _visible_session(request, pk)
    try:
        if request.POST.get("leave"):
            entry = get_object_or_404(
                WaitlistEntry, session=session, learner=request.user, status__in=WaitlistEntry.OPEN_STATUSES
            )
            waitlist.leave_waitlist(entry, request.user)
            messages.success(request, gettext("You left the waitlist."))
        else:
            entry, created = waitlist.join_waitlist(session, request.user)
            messages.success(
                request,
                gettext("You are number %(position)s on the waitlist; we will tell you when a seat frees up.")
                % {"position": waitlist.position(entry)}
                if created
                else gettext("You are already on the waitlist."),
            )
    except SchedulingError as exc:
        _fail(request, exc)
    return redirect("scheduling:session_detail", pk=session.pk)


@login_required
@require_POST
def waitlist_accept(request: HttpRequest, pk: int) -> HttpResponse:
    entry = get_object_or_404(WaitlistEntry, pk=pk, learner=request.user)
    try:
        booking = waitlist.accept_offer(entry, request.user)
    except SchedulingError as exc:
        _fail(request, exc)
        return redirect("scheduling:session_detail", pk=entry.session_id)
    return redirect("scheduling:booking_detail", pk=booking.pk)


@login_required
@require_POST
def session_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    session = _visible_session(request, pk)
    user = request.user
    reason = request.POST.get("reason", "")
    try:
        if user.pk == session.mentor_id or user.is_staff:
            result = sessions.cancel_session(session, user, reason)
            messages.success(
                request,
                ngettext(
                    "The session is cancelled; %(count)s booking cancelled with a full refund.",
                    "The session is cancelled; %(count)s bookings cancelled with a full refund.",
                    len(result.bookings),
                )
                % {"count": len(result.bookings)},
            )
        else:
            booking = Booking.objects.active().filter(session=session, learner=user).first()
            if booking is None:
                raise PermissionDenied(gettext("Only the mentor or a booked learner can cancel."))
            result = bookings.cancel_booking(booking, user, reason)
            refund = money.format_money(result.refund_minor, result.currency) if result.refund_minor else None
            messages.success(request, f"Your booking is cancelled. Refund: {refund}." if refund else "Cancelled.")
    except SchedulingError as exc:
        _fail(request, exc)
    return redirect("scheduling:session_detail", pk=session.pk)


@login_required
@require_POST
def session_start(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_object_or_404(Session, pk=pk)
    try:
        session = sessions.start_session(session, request.user)
    except SchedulingError as exc:
        if exc.status == 403:
            raise PermissionDenied(exc.message) from None
        _fail(request, exc)
        return redirect("scheduling:session_detail", pk=session.pk)
    return redirect(session.room_url)
