"""Tell both sides what happened to a booking that awaits approval (in-app and email).

Sent after commit by the scheduling signals; a failure to tell is logged, never raised
(the decision itself is committed). Confirmation after approval is told by
``core.notifications`` like any confirmed booking.
"""

from __future__ import annotations

import functools
import logging

from django.dispatch import receiver
from django.utils.translation import gettext as _

from core.accounts.language import speaking_to
from core.notifications import links, services
from core.notifications.tasks import send_session_email
from core.scheduling.models import Booking, Session
from core.scheduling.signals import booking_transitioned

from .models import ApprovalRequest
from .signals import times_proposed

log = logging.getLogger(__name__)


def guarded(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            fn(*args, **kwargs)
        except Exception:  # logged: the decision is committed and must stand
            log.exception("approval receiver %s failed", fn.__name__)

    return wrapper


def requests_page() -> str:
    return "/schedule/requests/"


def _email(name: str, recipient, booking: Booking, **extra) -> None:
    send_session_email.delay(name, recipient.pk, booking.session_id, booking_id=booking.pk, extra=extra)


@receiver(booking_transitioned, dispatch_uid="intake.booking_transitioned")
@guarded
def on_booking_transitioned(sender, booking: Booking, old_status, new_status, actor=None, **kwargs) -> None:
    if old_status is None and new_status == Booking.PENDING_APPROVAL:
        _requested(booking)
    elif old_status != Booking.PENDING_APPROVAL:
        return
    elif new_status == Booking.PENDING_PAYMENT:
        _approved_to_pay(booking)
    elif new_status == Booking.DECLINED:
        _declined(booking)
    elif new_status == Booking.EXPIRED:
        _expired(booking)
    elif new_status == Booking.CANCELLED:
        withdrawn = actor is not None and actor.pk == booking.learner_id
        ApprovalRequest.objects.filter(booking=booking, decision=ApprovalRequest.PENDING).update(
            decision=ApprovalRequest.WITHDRAWN if withdrawn else ApprovalRequest.DECLINED
        )


def _requested(booking: Booking) -> None:
    session = Session.objects.select_related("mentor").get(pk=booking.session_id)
    learner, mentor = booking.learner, session.mentor
    with speaking_to(mentor):
        services.notify(
            mentor,
            "booking.approval_requested",
            _("Approve a booking: %(learner)s for %(title)s") % {"learner": learner, "title": session.title},
            _("%(when)s. Decide by %(deadline)s, or the seat is released.")
            % {
                "when": links.when(session.starts_at, mentor, session.ends_at),
                "deadline": links.time_only(booking.hold_expires_at, mentor),
            },
            requests_page(),
        )
    with speaking_to(learner):
        services.notify(
            learner,
            "booking.approval_pending",
            _("Request sent: %(title)s") % {"title": session.title},
            _("%(mentor)s approves bookings first; you will hear by %(deadline)s. Your seat is held meanwhile.")
            % {"mentor": mentor, "deadline": links.time_only(booking.hold_expires_at, learner)},
            links.booking_page(booking),
        )
    _email("approval_requested", mentor, booking, requests_url=links.absolute(requests_page()))


def _approved_to_pay(booking: Booking) -> None:
    learner = booking.learner
    with speaking_to(learner):
        services.notify(
            learner,
            "booking.approved",
            _("Approved: %(title)s") % {"title": booking.session.title},
            _("Your mentor approved your booking. Pay by %(deadline)s to confirm it.")
            % {"deadline": links.time_only(booking.hold_expires_at, learner)},
            links.checkout_page(booking),
        )
    _email("approval_approved", learner, booking, pay_url=links.absolute(links.checkout_page(booking)))


def _declined(booking: Booking) -> None:
    learner = booking.learner
    reason = ApprovalRequest.objects.filter(booking=booking).values_list("reason", flat=True).first() or ""
    with speaking_to(learner):
        body = _("%(mentor)s cannot take this booking; the seat is released.") % {"mentor": booking.session.mentor}
        if reason:
            body = f"{body} “{reason}”"
        services.notify(
            learner,
            "booking.declined",
            _("Declined: %(title)s") % {"title": booking.session.title},
            body,
            links.booking_page(booking),
        )
    _email("approval_declined", learner, booking, reason=reason)


def _expired(booking: Booking) -> None:
    learner, mentor = booking.learner, booking.session.mentor
    with speaking_to(learner):
        services.notify(
            learner,
            "booking.approval_expired",
            _("No answer in time: %(title)s") % {"title": booking.session.title},
            _("%(mentor)s did not decide in time, so the seat is released. You can book another time.")
            % {"mentor": mentor},
            links.booking_page(booking),
        )
    with speaking_to(mentor):
        services.notify(
            mentor,
            "booking.approval_expired",
            _("Request lapsed: %(learner)s for %(title)s") % {"learner": learner, "title": booking.session.title},
            _("You did not decide in time, so the seat was released."),
            requests_page(),
        )
    _email("approval_expired", learner, booking)


@receiver(times_proposed, dispatch_uid="intake.times_proposed")
@guarded
def on_times_proposed(sender, booking: Booking, proposals, **kwargs) -> None:
    learner = booking.learner
    times = ", ".join(links.when(p.starts_at, learner) for p in proposals)
    with speaking_to(learner):
        services.notify(
            learner,
            "booking.times_proposed",
            _("Another time? %(title)s") % {"title": booking.session.title},
            _("%(mentor)s proposes: %(times)s. Accept one in one click.")
            % {"mentor": booking.session.mentor, "times": times},
            links.booking_page(booking),
        )
    _email(
        "times_proposed",
        learner,
        booking,
        proposed=[links.when(p.starts_at, learner, p.ends_at) for p in proposals],
        booking_url=links.absolute(links.booking_page(booking)),
    )
