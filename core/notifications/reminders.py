"""Reminders 24 hours and 15 minutes before a session, each sent exactly once.

Every minute (Celery beat) :func:`send_due_reminders` finds who is due a
reminder. For each person it opens a transaction, **claims** the reminder by
inserting a :class:`ReminderSent` row (unique per session, person, kind and
start time), then sends the email and stores the in-app notification, and
commits. Two workers racing for the same reminder collide on the unique
constraint (on PostgreSQL the second insert waits for the first transaction
and then fails), so only one sends; a send that fails rolls its claim back and
the next tick tries again. A session moved to a new time has a new start, so
its reminders are due again.

Who is due:

* ``24h``: confirmed learners, and the mentor of a session with confirmed
  learners, from 24 hours before the start until the 15-minute reminder takes
  over, unless they booked within those 24 hours (their confirmation was the
  reminder);
* ``15m``: the same people, from 15 minutes before the start until it starts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.accounts.language import speaking_to
from core.scheduling.models import Booking, Session

from . import emails, links, services
from .models import ReminderSent

log = logging.getLogger(__name__)

LEADS = {ReminderSent.KIND_24H: timedelta(hours=24), ReminderSent.KIND_15M: timedelta(minutes=15)}


@dataclass(frozen=True)
class Due:
    session: Session
    user: object
    kind: str
    booking: Booking | None


def kind_due(start: datetime, now: datetime) -> str | None:
    """Which reminder a session starting at ``start`` is due at ``now`` (or None)."""
    if now >= start:
        return None
    if now >= start - LEADS[ReminderSent.KIND_15M]:
        return ReminderSent.KIND_15M
    if now >= start - LEADS[ReminderSent.KIND_24H]:
        return ReminderSent.KIND_24H
    return None


def due_reminders(now: datetime | None = None) -> list[Due]:
    """Everyone owed a reminder at ``now`` that has not had it yet."""
    now = now or timezone.now()
    sessions = list(
        Session.objects.filter(
            status=Session.SCHEDULED, starts_at__gt=now, starts_at__lte=now + LEADS[ReminderSent.KIND_24H]
        ).select_related("mentor")
    )
    if not sessions:
        return []
    bookings = (
        Booking.objects.filter(session__in=sessions, status=Booking.CONFIRMED)
        .select_related("learner")
        .order_by("session_id", "pk")
    )
    by_session: dict[int, list[Booking]] = {}
    for booking in bookings:
        by_session.setdefault(booking.session_id, []).append(booking)
    sent = set(
        ReminderSent.objects.filter(session__in=sessions).values_list("session_id", "user_id", "kind", "session_start")
    )
    due: list[Due] = []
    for session in sessions:
        kind = kind_due(session.starts_at, now)
        seats = by_session.get(session.pk, [])
        if kind is None or not seats:
            continue
        lead_start = session.starts_at - LEADS[kind]
        for booking in seats:
            booked_at = booking.confirmed_at or booking.created_at
            if kind == ReminderSent.KIND_24H and booked_at > lead_start:
                continue
            if (session.pk, booking.learner_id, kind, session.starts_at) not in sent:
                due.append(Due(session, booking.learner, kind, booking))
        earliest = min((b.confirmed_at or b.created_at) for b in seats)
        if kind == ReminderSent.KIND_24H and earliest > lead_start:
            continue
        if (session.pk, session.mentor_id, kind, session.starts_at) not in sent:
            due.append(Due(session, session.mentor, kind, None))
    return due


def _deliver(item: Due, now: datetime) -> None:
    session, user = item.session, item.user
    with speaking_to(user):
        minutes = max(1, round((session.starts_at - now).total_seconds() / 60))
        if minutes >= 90:
            hours = round(minutes / 60)
            in_words = ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours}
        else:
            in_words = ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes}
        is_mentor = user.pk == session.mentor_id
        if item.kind == ReminderSent.KIND_15M:
            title = _("Starting soon: %(title)s") % {"title": session.title}
            body = _("Starts in %(delay)s, at %(time)s.") % {
                "delay": in_words,
                "time": links.time_only(session.starts_at, user),
            }
            if is_mentor:
                body += " " + _("Open the room and start the session for your learners.")
            url = links.room(session)
        else:
            title = _("Tomorrow: %(title)s") % {"title": session.title}
            when = links.when(session.starts_at, user, session.ends_at)
            if is_mentor:
                body = _("%(when)s — you are the mentor.") % {"when": when}
            else:
                body = _("%(when)s with %(mentor)s.") % {"when": when, "mentor": session.mentor}
            url = links.mentor_dashboard() if is_mentor else links.learner_dashboard()
        services.notify(user, f"reminder.{item.kind}", title, body, url)
        context = emails.session_context(session, user)
    context.update({"kind": item.kind, "in_words": in_words, "is_mentor": is_mentor})
    emails.send(f"reminder_{item.kind}", user, context)


def send_reminder(item: Due, now: datetime | None = None) -> bool:
    """Claim and send one reminder; False when another worker already has it."""
    now = now or timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                ReminderSent.objects.create(
                    session=item.session,
                    user=item.user,
                    booking=item.booking,
                    kind=item.kind,
                    session_start=item.session.starts_at,
                    sent_at=now,
                )
        except IntegrityError:
            return False
        _deliver(item, now)
    return True


def send_due_reminders(now: datetime | None = None) -> dict[str, int]:
    """One beat tick: send every due reminder once. Returns counts for the logs."""
    now = now or timezone.now()
    counts = {"sent": 0, "skipped": 0, "failed": 0}
    for item in due_reminders(now):
        try:
            if send_reminder(item, now):
                counts["sent"] += 1
            else:
                counts["skipped"] += 1
        except Exception:  # one bad address must not hold up the others; retried next tick
            counts["failed"] += 1
            log.exception("reminder %s for session %s to user %s failed", item.kind, item.session.pk, item.user.pk)
    return counts
