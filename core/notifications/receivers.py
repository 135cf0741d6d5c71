"""Turn scheduling events into notifications, emails and calendar updates.

The scheduling app sends its signals after commit (``core/scheduling/signals.py``).
Each receiver here stores in-app notifications (they are pushed live to open
pages) and hands emails to Celery; for bookings and sessions that happens once
the answer of the request that changed them is sent (``core.ops.after_response``). Calendar SEQUENCE numbers are bumped
here, when the change happens, and travel with the email task.

A receiver never raises into the code that sent the signal: the booking is
already committed, and a failure to tell someone is logged, not turned into an
error page for the person who booked.
"""

from __future__ import annotations

import functools
import logging

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.accounts.language import speaking_to
from core.ops.after_response import after_response
from core.pages.cache import bump_on_commit
from core.scheduling.currency import format_money
from core.scheduling.models import Booking, Session, WaitlistEntry
from core.scheduling.signals import booking_transitioned, hold_extended, session_changed, waitlist_offered

from . import calendar, ical, links, services
from .models import Notification
from .tasks import send_session_email

log = logging.getLogger(__name__)


CANCEL_REASONS = {
    "mentor_no_show": gettext_lazy("it was not started in time, so every learner gets a full refund"),
    "not started": gettext_lazy("it was not started"),
    "session cancelled": "",
}


def guarded(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            fn(*args, **kwargs)
        except Exception:  # logged: the change itself is committed and must stand
            log.exception("notification receiver %s failed", fn.__name__)

    return wrapper


def _email(name: str, recipient, session: Session, invitations=(), booking: Booking | None = None, **extra) -> None:
    """Queue one email; none about a session that is already over (history being recorded, e.g. demo data)."""
    if session.ends_at <= timezone.now():
        return
    send_session_email.delay(
        name,
        recipient.pk,
        session.pk,
        invitations=[dict(item) for item in invitations],
        booking_id=booking.pk if booking else None,
        extra=extra,
    )


def _invite(session: Session, method: str, sequence: int, filename: str = "invite.ics") -> dict:
    return {"session_id": session.pk, "method": method, "sequence": sequence, "filename": filename}


def _refund_text(booking: Booking) -> str:
    if booking.refund_minor:
        return " " + _("%(amount)s will be refunded.") % {
            "amount": format_money(booking.refund_minor, booking.currency)
        }
    return ""


def _dashboard_for(user, session: Session) -> str:
    return links.mentor_dashboard() if user.pk == session.mentor_id else links.learner_dashboard()


def _session_of(booking: Booking) -> Session:
    """The booking's session with its mentor: as the sender loaded it (the booking services do), else read."""
    if Booking.session.is_cached(booking) and Session.mentor.is_cached(booking.session):
        return booking.session
    return Session.objects.select_related("mentor").get(pk=booking.session_id)


# --- bookings ------------------------------------------------------------------------
@receiver(booking_transitioned, dispatch_uid="notifications.booking_transitioned")
@after_response
@guarded
def on_booking_transitioned(sender, booking: Booking, old_status, new_status, actor=None, **kwargs) -> None:
    session = _session_of(booking)
    learner, mentor = booking.learner, session.mentor
    title = session.title

    if new_status == Booking.PENDING_PAYMENT and old_status is None:
        with speaking_to(learner):
            deadline = (
                " " + _("Pay by %(time)s to keep it.") % {"time": links.time_only(booking.hold_expires_at, learner)}
                if booking.hold_expires_at
                else ""
            )
            services.notify(
                learner,
                "booking.pending_payment",
                _("Seat held: %(title)s") % {"title": title},
                _("%(when)s with %(mentor)s.")
                % {"when": links.when(session.starts_at, learner, session.ends_at), "mentor": mentor}
                + deadline,
                links.checkout_page(booking),
            )

    elif new_status == Booking.CONFIRMED:
        sequence = calendar.current_sequence(session.pk)
        with speaking_to(learner):
            services.notify(
                learner,
                "booking.confirmed",
                _("Booked: %(title)s") % {"title": title},
                _("%(when)s with %(mentor)s.")
                % {"when": links.when(session.starts_at, learner, session.ends_at), "mentor": mentor},
                links.booking_page(booking),
            )
        with speaking_to(mentor):
            services.notify(
                mentor,
                "booking.received",
                _("New booking: %(learner)s for %(title)s") % {"learner": learner, "title": title},
                links.when(session.starts_at, mentor, session.ends_at),
                links.mentor_dashboard(),
            )
        _email("booking_confirmed", learner, session, [_invite(session, ical.METHOD_REQUEST, sequence)], booking)
        _email("booking_received", mentor, session, [_invite(session, ical.METHOD_REQUEST, sequence)], booking)

    elif new_status == Booking.CANCELLED:
        sequence = calendar.bump_sequence(session.pk)
        by_learner = actor is not None and actor.pk == learner.pk
        by_mentor = actor is not None and actor.pk == mentor.pk
        with speaking_to(learner):
            when_learner = links.when(session.starts_at, learner)
            if by_learner:
                body = _("You cancelled your seat for %(when)s.") % {"when": when_learner}
            elif by_mentor:
                body = _("%(mentor)s cancelled %(when)s.") % {"mentor": mentor, "when": when_learner}
            elif booking.cancel_reason == "mentor_no_show":
                body = _("The mentor did not start the session of %(when)s.") % {"when": when_learner}
            else:
                body = _("Your seat for %(when)s was cancelled.") % {"when": when_learner}
            body += _refund_text(booking)
            services.notify(
                learner,
                "booking.cancelled",
                _("Cancelled: %(title)s") % {"title": title},
                body,
                links.learner_dashboard(),
            )
        if old_status == Booking.CONFIRMED:  # they had an invitation: take it out of their calendar
            with speaking_to(learner):
                refund = format_money(booking.refund_minor or 0, booking.currency)
            _email(
                "booking_cancelled",
                learner,
                session,
                [_invite(session, ical.METHOD_CANCEL, sequence, "cancel.ics")],
                booking,
                by_learner=by_learner,
                by_mentor=by_mentor,
                refund=refund,
            )
        if not by_mentor:
            with speaking_to(mentor):
                services.notify(
                    mentor,
                    "booking.cancelled",
                    _("%(learner)s cancelled: %(title)s") % {"learner": learner, "title": title},
                    _("Their seat for %(when)s is free again.") % {"when": links.when(session.starts_at, mentor)},
                    links.mentor_dashboard(),
                )

    elif new_status == Booking.EXPIRED and old_status == Booking.PENDING_PAYMENT:
        with speaking_to(learner):
            services.notify(
                learner,
                "booking.expired",
                _("Hold expired: %(title)s") % {"title": title},
                _(
                    "The seat was released because the payment did not arrive in time. "
                    "You can book again if seats are left."
                ),
                links.learner_dashboard(),
            )

    elif new_status == Booking.COMPLETED:
        with speaking_to(learner):
            services.notify(
                learner,
                "booking.completed",
                _("How was %(title)s?") % {"title": title},
                _("Rate your session with %(mentor)s: it helps other learners and your mentor.") % {"mentor": mentor},
                links.session_page(session),
            )

    elif new_status == Booking.NO_SHOW:
        with speaking_to(learner):
            services.notify(
                learner,
                "booking.no_show",
                _("Marked absent: %(title)s") % {"title": title},
                _("%(mentor)s marked you absent from the session of %(when)s.")
                % {"mentor": mentor, "when": links.when(session.starts_at, learner)},
                links.learner_dashboard(),
            )

    elif new_status == Booking.REFUNDED:
        amount = booking.refund_minor if booking.refund_minor is not None else booking.price_minor
        with speaking_to(learner):
            services.notify(
                learner,
                "booking.refunded",
                _("Refunded: %(title)s") % {"title": title},
                _("%(amount)s is on its way back to you.") % {"amount": format_money(amount, booking.currency)},
                links.learner_dashboard(),
            )


# --- sessions ------------------------------------------------------------------------


@receiver(hold_extended, dispatch_uid="notifications.hold_extended")
@guarded
def on_hold_extended(sender, booking: Booking, **kwargs) -> None:
    """The payment deadline moved (a bank transfer): the learner hears the one deadline that holds now."""
    learner = booking.learner
    with speaking_to(learner):
        until = links.time_only(booking.hold_expires_at, learner)
        services.notify(
            learner,
            "booking.hold_extended",
            _("Pay by %(time)s: %(title)s") % {"time": until, "title": booking.session.title},
            _("Your seat is held until %(time)s for your payment to arrive.") % {"time": until},
            links.booking_page(booking),
        )


@receiver(session_changed, dispatch_uid="notifications.session_changed")
@after_response
@guarded
def on_session_changed(sender, session: Session, change: str, booking=None, previous=None, **kwargs) -> None:
    session = Session.objects.select_related("mentor").get(pk=session.pk)
    mentor = session.mentor
    if change == "rescheduled" and booking is not None and previous is not None:
        _seat_moved(session, booking, previous)
    elif change == "rescheduled":
        sequence = calendar.bump_sequence(session.pk)
        seats = Booking.objects.filter(session=session, status__in=Booking.ACTIVE_STATUSES).select_related("learner")
        for seat in seats:
            with speaking_to(seat.learner):
                services.notify(
                    seat.learner,
                    "session.rescheduled",
                    _("New time: %(title)s") % {"title": session.title},
                    _("Now %(when)s.") % {"when": links.when(session.starts_at, seat.learner, session.ends_at)},
                    links.learner_dashboard(),
                )
            if seat.status == Booking.CONFIRMED:
                _email(
                    "session_rescheduled",
                    seat.learner,
                    session,
                    [_invite(session, ical.METHOD_REQUEST, sequence)],
                    seat,
                )
        with speaking_to(mentor):
            services.notify(
                mentor,
                "session.rescheduled",
                _("New time: %(title)s") % {"title": session.title},
                _("Now %(when)s.") % {"when": links.when(session.starts_at, mentor, session.ends_at)},
                links.mentor_dashboard(),
            )
        _email("session_rescheduled", mentor, session, [_invite(session, ical.METHOD_REQUEST, sequence)])
    elif change == "cancelled":
        sequence = calendar.bump_sequence(session.pk)
        had_learners = Booking.objects.filter(session=session, confirmed_at__isnull=False).exists()
        if not had_learners and session.origin == Session.PUBLISHED and session.cancel_reason == "not started":
            return  # an unbooked session that simply lapsed: nothing to tell
        if session.origin != Session.SLOT:  # a 1:1 slot goes with its booking: the mentor was told then
            with speaking_to(mentor):
                reason = str(CANCEL_REASONS.get(session.cancel_reason, session.cancel_reason))
                when_mentor = links.when(session.starts_at, mentor)
                services.notify(
                    mentor,
                    "session.cancelled",
                    _("Cancelled: %(title)s") % {"title": session.title},
                    _("The session of %(when)s is off: %(reason)s.") % {"when": when_mentor, "reason": reason}
                    if reason
                    else _("The session of %(when)s is off.") % {"when": when_mentor},
                    links.mentor_dashboard(),
                )
        if had_learners:
            _email(
                "session_cancelled",
                mentor,
                session,
                [_invite(session, ical.METHOD_CANCEL, sequence, "cancel.ics")],
            )
    elif change == "started":
        seats = Booking.objects.filter(session=session, status=Booking.CONFIRMED).select_related("learner")
        for seat in seats:
            with speaking_to(seat.learner):
                services.notify(
                    seat.learner,
                    "session.started",
                    _("%(title)s has started") % {"title": session.title},
                    _("%(mentor)s opened the room: join now.") % {"mentor": mentor},
                    links.room(session),
                )


def _seat_moved(session: Session, booking: Booking, previous: Session) -> None:
    """A learner's seat moved to another session: cancel the old event, invite to the new one."""
    learner = booking.learner
    old_sequence = calendar.bump_sequence(previous.pk)
    new_sequence = calendar.current_sequence(session.pk)
    with speaking_to(learner):
        services.notify(
            learner,
            "booking.rescheduled",
            _("Moved: %(title)s") % {"title": session.title},
            _("Your seat is now %(when)s (was %(previous)s).")
            % {
                "when": links.when(session.starts_at, learner, session.ends_at),
                "previous": links.when(previous.starts_at, learner),
            },
            links.learner_dashboard(),
        )
        previous_when = links.when(previous.starts_at, learner, previous.ends_at)
    with speaking_to(session.mentor):
        services.notify(
            session.mentor,
            "booking.rescheduled",
            _("%(learner)s moved to %(title)s") % {"learner": learner, "title": session.title},
            _("From %(previous)s to %(when)s.")
            % {
                "previous": links.when(previous.starts_at, session.mentor),
                "when": links.when(session.starts_at, session.mentor),
            },
            links.mentor_dashboard(),
        )
    if booking.status == Booking.CONFIRMED:
        _email(
            "seat_moved",
            learner,
            session,
            [
                _invite(session, ical.METHOD_REQUEST, new_sequence, "invite.ics"),
                _invite(previous, ical.METHOD_CANCEL, old_sequence, "cancel-previous.ics"),
            ],
            booking,
            previous_when=previous_when,
            previous_title=previous.title,
        )


# --- waitlist ------------------------------------------------------------------------
@receiver(waitlist_offered, dispatch_uid="notifications.waitlist_offered")
@guarded
def on_waitlist_offered(sender, entry: WaitlistEntry, **kwargs) -> None:
    entry = WaitlistEntry.objects.select_related("session", "session__mentor", "learner").get(pk=entry.pk)
    session, learner = entry.session, entry.learner
    with speaking_to(learner):
        until = links.time_only(entry.offer_expires_at, learner) if entry.offer_expires_at else _("soon")
        services.notify(
            learner,
            "waitlist.offered",
            _("A seat is free: %(title)s") % {"title": session.title},
            _("It is kept for you until %(time)s. Take it before it goes to the next person.") % {"time": until},
            links.session_page(session),
        )
    _email("waitlist_offered", learner, session, (), None, offer_until=until)


@receiver([post_save, post_delete], sender=Notification, dispatch_uid="notifications-unread-stale")
def unread_changed(sender, instance: Notification, **kwargs) -> None:
    """A notification made, read, edited or deleted (one by one): the kept unread count is stale."""
    bump_on_commit(services.unread_tag(instance.user_id))
