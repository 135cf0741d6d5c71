"""What the event log hears: the core's signals, turned into events.

Bookings, sessions, money, reviews, rooms (joins and leaves), recommendation
feedback, sign-ups, searches over the API (the page search is logged in
``wagtail_hooks``) and every domain event the plugins are told about.

Every receiver is best effort: an analytics failure is logged and never
reaches the action that caused the signal. Scheduling's signals arrive after
their transaction committed; ``post_save`` receivers go through ``record()``,
which waits for the commit itself.
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from allauth.account.signals import user_signed_up
from celery.signals import task_postrun, task_prerun
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone

from core.catalogue.api import MentorListView, mentors_searched
from core.catalogue.models import Review
from core.ops.after_response import after_response, hand_back_after_task, hand_back_connections
from core.payments.models import LedgerEntry
from core.plugins import DomainEvent
from core.plugins.signals import domain_event_emitted
from core.recommendations.models import RecommendationEvent
from core.rooms.models import Attendance
from core.rooms.signals import room_left
from core.scheduling.models import Booking, Session
from core.scheduling.signals import booking_transitioned, session_changed

from .services import live
from .services.events import enter_scope, leave_scope, record, record_signup_once

logger = logging.getLogger("peerlearn.analytics")


def leave_request(**kwargs: Any) -> None:
    """Write the request's events, then hand back the connection the write used.

    Django's own ``close_old_connections`` ran earlier on ``request_finished``,
    so the flush opens a fresh connection (found by tests/faults: with the
    psycopg pool it was lost for good, and the pool ran dry after a few dozen
    requests).
    """
    if leave_scope(**kwargs):
        hand_back_connections()


def leave_task(sender: Any = None, **kwargs: Any) -> None:
    """Write the task's events, then, in a worker, hand back the connection the write used: the
    worker handed its connections back before this ran (``peerlearn.celery``)."""
    if leave_scope(sender=sender, **kwargs):
        hand_back_after_task(sender)


request_started.connect(enter_scope, dispatch_uid="analytics-request-started")
request_finished.connect(leave_request, dispatch_uid="analytics-request-finished")
task_prerun.connect(enter_scope, dispatch_uid="analytics-task-prerun", weak=False)
task_postrun.connect(leave_task, dispatch_uid="analytics-task-postrun", weak=False)


def best_effort(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception:
            logger.exception("analytics receiver %s failed", fn.__name__)
            return None

    return wrapper


def session_skill_ids(session_id: int | None) -> list[int]:
    if not session_id:
        return []
    return list(Session.skills.through.objects.filter(session_id=session_id).values_list("skill_id", flat=True))


# --- bookings and sessions --------------------------------------------------------------


@receiver(booking_transitioned, sender=Booking, dispatch_uid="analytics-booking-transitioned")
@after_response
@best_effort
def on_booking_transitioned(sender, booking: Booking, old_status, new_status, actor=None, **kwargs) -> None:
    session = booking.session
    common = {
        "user_id": booking.learner_id,
        "mentor_id": session.mentor_id,
        "booking_id": booking.pk,
        "session_id": session.pk,
        "amount_minor": booking.price_minor,
        "currency": booking.currency,
        "skill_ids": session_skill_ids(session.pk),
        "old_status": old_status,
        "actor_id": getattr(actor, "pk", None),
        "starts_at": booking.starts_at,
        "lead_hours": round((booking.starts_at - booking.created_at).total_seconds() / 3600, 2),
        "capacity": session.capacity,
        "origin": session.origin,
    }
    if old_status is None:
        record("booking.created", occurred_at=booking.created_at, **common)
    if old_status is not None or new_status != Booking.PENDING_PAYMENT:
        # the transition's own time (services may run with an explicit ``now``)
        if new_status == Booking.CONFIRMED:
            at = booking.confirmed_at
        elif new_status in Booking.ACTIVE_STATUSES:
            at = None
        else:
            at = booking.closed_at if old_status in Booking.ACTIVE_STATUSES else None
        record(f"booking.{new_status}", occurred_at=at or timezone.now(), **common)
    live.push_tiles_soon()


@receiver(session_changed, sender=Session, dispatch_uid="analytics-session-changed")
@best_effort
def on_session_changed(sender, session: Session, change: str, **kwargs) -> None:
    at = {
        "created": session.created_at,
        "started": session.started_at,
        "ended": session.ended_at,
        "cancelled": session.cancelled_at,
    }.get(change)
    record(
        f"session.{change}",
        occurred_at=at or timezone.now(),
        mentor_id=session.mentor_id,
        session_id=session.pk,
        amount_minor=session.price_minor,
        currency=session.currency,
        skill_ids=session_skill_ids(session.pk),
        capacity=session.capacity,
        origin=session.origin,
        starts_at=session.starts_at,
        duration_minutes=session.duration_minutes,
    )
    if change in ("started", "ended", "cancelled"):
        live.push_tiles_soon()


# --- money, ratings, rooms, recommendations ---------------------------------------------------


@receiver(post_save, sender=LedgerEntry, dispatch_uid="analytics-ledger-entry")
@best_effort
def on_ledger_entry(sender, instance: LedgerEntry, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or instance.kind not in (LedgerEntry.CHARGE, LedgerEntry.REFUND):
        return
    booking = Booking.objects.select_related("session").filter(pk=instance.booking_id).first()
    record(
        "payment.charged" if instance.kind == LedgerEntry.CHARGE else "payment.refunded",
        occurred_at=instance.created_at,
        user_id=booking.learner_id if booking else None,
        mentor_id=booking.session.mentor_id if booking else None,
        booking_id=instance.booking_id,
        session_id=booking.session_id if booking else None,
        amount_minor=abs(instance.amount_minor),
        currency=instance.currency,
        skill_ids=session_skill_ids(booking.session_id) if booking else [],
        payment_id=instance.payment_id,
    )
    live.push_tiles_soon()


@receiver(post_save, sender=Review, dispatch_uid="analytics-review")
@best_effort
def on_review(sender, instance: Review, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    booking = Booking.objects.filter(pk=instance.booking_id).values("session_id").first()
    session_id = booking["session_id"] if booking else None
    record(
        "review.submitted",
        user_id=instance.learner_id,
        mentor_id=instance.mentor_id,
        booking_id=instance.booking_id,
        session_id=session_id,
        skill_ids=session_skill_ids(session_id),
        rating=instance.rating,
    )


@receiver(post_save, sender=Attendance, dispatch_uid="analytics-attendance")
@best_effort
def on_attendance(sender, instance: Attendance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    record(
        "room.joined",
        occurred_at=instance.joined_at,
        user_id=instance.user_id,
        session_id=instance.session_id,
        role=instance.role,
        attendance_id=instance.pk,
    )


@receiver(room_left, sender=Attendance, dispatch_uid="analytics-room-left")
@best_effort
def on_room_left(sender, attendance: Attendance, **kwargs) -> None:
    record("room.left", **room_left_data(attendance))


def room_left_data(attendance: Attendance) -> dict[str, Any]:
    """What ``room.left`` keeps about a closed stay (the backfill writes the same)."""
    return {
        "occurred_at": attendance.left_at,
        "user_id": attendance.user_id,
        "session_id": attendance.session_id,
        "role": attendance.role,
        "reason": attendance.leave_reason,
        "seconds": attendance.seconds(),
        "attendance_id": attendance.pk,
    }


@receiver(post_save, sender=RecommendationEvent, dispatch_uid="analytics-recommendation-event")
@best_effort
def on_recommendation_event(sender, instance: RecommendationEvent, created: bool, raw: bool = False, **kwargs):
    if not created or raw:
        return
    record(f"recommendation.{instance.kind}", **recommendation_data(instance))


def recommendation_data(event: RecommendationEvent) -> dict[str, Any]:
    """What ``recommendation.<kind>`` keeps (the backfill writes the same)."""
    return {
        "occurred_at": event.created_at,
        "user_id": event.user_id,
        "site_id": event.site_id,
        "item": event.item,
        "surface": event.surface,
        "position": event.position,
        "impression_id": str(event.impression_id),
        "experiment_id": event.experiment_id,
        "variant": event.variant,
    }


# --- searches over the API and plugins' domain events ------------------------------------------


@receiver(mentors_searched, sender=MentorListView, dispatch_uid="analytics-api-search")
@best_effort
def on_api_search(sender, filters, user_id: int | None, page: str, **kwargs) -> None:
    """The API's search is logged like the mentor index page's, so search-to-booking counts both."""
    record(
        "search.performed",
        user_id=user_id,
        skill_ids=[s.pk for s in filters.skills],
        q=filters.q[:200],
        page=str(page)[:6],
        via="api",
    )


#: Domain-event payload keys that become event columns when they hold an id or an amount.
DOMAIN_ID_COLUMNS = {
    "user_id": "user_id",
    "learner_id": "user_id",
    "mentor_id": "mentor_id",
    "booking_id": "booking_id",
    "session_id": "session_id",
    "amount_minor": "amount_minor",
}


@receiver(domain_event_emitted, sender=DomainEvent, dispatch_uid="analytics-domain-event")
@best_effort
def on_domain_event(sender, event: DomainEvent, delivered_to=(), **kwargs) -> None:
    """A domain event the plugins were told about, as ``domain.<name>`` (the core logs its own facts
    under the plain names; a second ``booking.created`` would count every booking twice)."""
    payload = dict(event.payload)
    columns: dict[str, Any] = {}
    for key, column in DOMAIN_ID_COLUMNS.items():
        value = payload.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and column not in columns:
            columns[column] = value
    if isinstance(payload.get("currency"), str):
        columns["currency"] = payload["currency"]
    record(
        f"domain.{event.name}",
        occurred_at=event.occurred_at,
        site_id=event.site_id,
        payload=payload,
        delivered_to=sorted(delivered_to),
        **columns,
    )


# --- sign-ups ---------------------------------------------------------------------------------


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="analytics-user-created")
@best_effort
def on_user_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """Every new account (the site's sign-up, the API's register_user, the admin) is one sign-up."""
    if created and not raw:
        record_signup_once(instance.pk, via="account")


@receiver(user_signed_up, dispatch_uid="analytics-user-signed-up")
@best_effort
def on_allauth_signed_up(sender, request=None, user=None, **kwargs) -> None:
    if user is not None:
        record_signup_once(user.pk, via="site")
