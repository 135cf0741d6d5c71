"""Rebuild the events of history that happened before the log existed (or outside it).

Business events (sign-ups, booking states, payments, reviews) and the behaviour
kept in other apps' tables: recommendation feedback and room stays (joins and
leaves), e.g. the demo's, which is bulk-created and so sends no signal.
Idempotent: a fact that already has its event is skipped, so the command can
run again after an import. Nothing older than its retention is written back
(the nightly prune would only delete it again).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.accounts.models import User
from core.catalogue.models import Review
from core.payments.models import LedgerEntry
from core.recommendations.models import RecommendationEvent
from core.rooms.models import Attendance
from core.scheduling.models import Booking, Session

from ..models import AnalyticsSettings, Event
from ..receivers import recommendation_data, room_left_data
from .events import BUSINESS_EVENTS, build

BATCH = 1000


def _existing(name_prefix: str, column: str) -> set[tuple[str, int]]:
    return set(
        Event.objects.filter(name__startswith=name_prefix, **{f"{column}__isnull": False}).values_list("name", column)
    )


def _seen(name_prefix: str) -> set[tuple[str, int | None, int | None, datetime]]:
    """(name, user, session, time) of the events already logged under ``name_prefix``."""
    return set(
        Event.objects.filter(name__startswith=name_prefix).values_list("name", "user_id", "session_id", "occurred_at")
    )


def backfill(now: datetime | None = None) -> dict[str, int]:
    """Write the missing events for users, bookings, payments, reviews, recommendations and rooms.

    Returns the counts written per event name.
    """
    now = now or timezone.now()
    conf = AnalyticsSettings.load()
    behaviour_cutoff = now - timedelta(days=conf.retention_days)
    business_cutoff = now - timedelta(days=conf.business_retention_days) if conf.business_retention_days else None
    written: dict[str, int] = defaultdict(int)
    pending: list[Event] = []

    def add(event: Event) -> None:
        cutoff = business_cutoff if event.name in BUSINESS_EVENTS else behaviour_cutoff
        if cutoff is not None and event.occurred_at < cutoff:
            return
        pending.append(event)
        written[event.name] += 1
        if len(pending) >= BATCH:
            Event.objects.bulk_create(pending)
            pending.clear()

    with transaction.atomic():
        have_users = {uid for _, uid in _existing("user.", "user_id")}
        for user in User.objects.exclude(pk__in=have_users).prefetch_related("interests").iterator(chunk_size=BATCH):
            add(
                build(
                    "user.signed_up",
                    occurred_at=user.date_joined,
                    user_id=user.pk,
                    skill_ids=[s.pk for s in user.interests.all()],
                    roles=user.roles,
                    via="backfill",
                )
            )
        session_skills: dict[int, list[int]] = defaultdict(list)
        for session_id, skill_id in Session.skills.through.objects.values_list("session_id", "skill_id"):
            session_skills[session_id].append(skill_id)
        have_bookings = _existing("booking.", "booking_id")
        for b in Booking.objects.select_related("session").iterator(chunk_size=BATCH):
            common = {
                "user_id": b.learner_id,
                "mentor_id": b.session.mentor_id,
                "booking_id": b.pk,
                "session_id": b.session_id,
                "amount_minor": b.price_minor,
                "currency": b.currency,
                "skill_ids": session_skills.get(b.session_id, []),
                "lead_hours": round((b.starts_at - b.created_at).total_seconds() / 3600, 2),
                "capacity": b.session.capacity,
                "origin": b.session.origin,
                "via": "backfill",
            }
            steps = [("booking.created", b.created_at, None)]
            if b.confirmed_at:
                steps.append(("booking.confirmed", b.confirmed_at, Booking.PENDING_PAYMENT))
            final = b.status
            if final == Booking.REFUNDED:
                final = Booking.CANCELLED  # the closing state before the refund is not kept; a refund follows one
            if final in (Booking.COMPLETED, Booking.CANCELLED, Booking.NO_SHOW, Booking.EXPIRED) and b.closed_at:
                before = Booking.CONFIRMED if b.confirmed_at else Booking.PENDING_PAYMENT
                steps.append((f"booking.{final}", b.closed_at, before))
            for name, at, old in steps:
                if (name, b.pk) not in have_bookings:
                    add(build(name, occurred_at=at, old_status=old, **common))
        have_payments = {bid for _, bid in _existing("payment.", "booking_id")}
        for entry in (
            LedgerEntry.objects.filter(kind__in=LedgerEntry.CASH_KINDS)
            .exclude(booking_id__in=have_payments)
            .select_related("booking__session")
            .iterator(chunk_size=BATCH)
        ):
            booking = entry.booking
            add(
                build(
                    "payment.charged" if entry.kind == LedgerEntry.CHARGE else "payment.refunded",
                    occurred_at=entry.created_at,
                    user_id=booking.learner_id if booking else None,
                    mentor_id=booking.session.mentor_id if booking else None,
                    booking_id=entry.booking_id,
                    session_id=booking.session_id if booking else None,
                    amount_minor=abs(entry.amount_minor),
                    currency=entry.currency,
                    skill_ids=session_skills.get(booking.session_id, []) if booking else [],
                    payment_id=entry.payment_id,
                    via="backfill",
                )
            )
        have_reviews = {bid for _, bid in _existing("review.", "booking_id")}
        for review in (
            Review.objects.exclude(booking_id__in=have_reviews).select_related("booking").iterator(chunk_size=BATCH)
        ):
            add(
                build(
                    "review.submitted",
                    occurred_at=review.created,
                    user_id=review.learner_id,
                    mentor_id=review.mentor_id,
                    booking_id=review.booking_id,
                    session_id=review.booking.session_id,
                    skill_ids=session_skills.get(review.booking.session_id, []),
                    rating=review.rating,
                    via="backfill",
                )
            )
        seen = _seen("recommendation.")
        for feedback in RecommendationEvent.objects.filter(created_at__gte=behaviour_cutoff).iterator(chunk_size=BATCH):
            name = f"recommendation.{feedback.kind}"
            if (name, feedback.user_id, None, feedback.created_at) not in seen:
                add(build(name, via="backfill", **recommendation_data(feedback)))
        seen = _seen("room.")
        stays = Attendance.objects.filter(joined_at__gte=behaviour_cutoff) | Attendance.objects.filter(
            left_at__gte=behaviour_cutoff
        )
        for stay in stays.iterator(chunk_size=BATCH):
            if ("room.joined", stay.user_id, stay.session_id, stay.joined_at) not in seen:
                add(
                    build(
                        "room.joined",
                        occurred_at=stay.joined_at,
                        user_id=stay.user_id,
                        session_id=stay.session_id,
                        role=stay.role,
                        attendance_id=stay.pk,
                        via="backfill",
                    )
                )
            if stay.left_at is not None and ("room.left", stay.user_id, stay.session_id, stay.left_at) not in seen:
                add(build("room.left", via="backfill", **room_left_data(stay)))
        if pending:
            Event.objects.bulk_create(pending)
    return dict(written)
