"""Keeping each session a mentor teaches in their calendar: written, moved, deleted.

``sync_session`` compares what should be in the calendar with what was last
written (:class:`~.models.CalendarEvent`) and makes one call to close the gap,
so it can run any number of times, in any order, after any signal: a session
with a confirmed booking has an event at its current times; a cancelled
session, or one with nothing confirmed left, has none. It runs in a Celery
task (:mod:`.tasks`), never while a page waits.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from core.plugins import CalendarEventData
from core.scheduling.models import Booking, Session

from . import busy, providers
from .models import CalendarConnection, CalendarEvent

logger = logging.getLogger("peerlearn.calendars")


def event_uid(session_id: int) -> str:
    """The stable UID of a session's event (RFC 5545: globally unique, so the site's host is in it)."""
    host = urlsplit(settings.PEERLEARN_BASE_URL).hostname or "peerlearn.local"
    return f"peerlearn-session-{session_id}@{host}"


def wanted(session: Session) -> bool:
    """Whether the session belongs in its mentor's calendar now."""
    if session.status not in Session.ACTIVE_STATUSES:
        return False
    return Booking.objects.filter(session=session, status=Booking.CONFIRMED).exists()


def event_data(session: Session) -> CalendarEventData:
    learners = list(
        Booking.objects.filter(session=session, status=Booking.CONFIRMED)
        .select_related("learner")
        .values_list("learner__display_name", "learner__email")
    )
    names = ", ".join(name or email for name, email in learners)
    link = settings.PEERLEARN_BASE_URL.rstrip("/") + f"/sessions/{session.pk}/"
    return CalendarEventData(
        uid=event_uid(session.pk),
        title=session.title,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        description=_("PeerLearn session with %(names)s.\n%(link)s") % {"names": names, "link": link},
        url=link,
        location=link,
    )


def sync_session(session_id: int) -> str:
    """Bring the mentor's calendar in line with session ``session_id``; return what was done.

    ``"written"``, ``"moved"``, ``"deleted"``, ``"unchanged"``, ``"no_calendar"`` or
    ``"failed"`` (the failure is kept on the connection; the task retries).
    """
    session = Session.objects.select_related("mentor").filter(pk=session_id).first()
    if session is None:
        return "unchanged"
    connection = CalendarConnection.objects.filter(mentor_id=session.mentor_id).exclude(calendar_id="").first()
    if connection is None:
        return "no_calendar"
    found = providers.provider_for(connection)
    if found is None:
        return "no_calendar"
    plugin, provider = found
    account = providers.account_for(connection, provider)
    existing = CalendarEvent.objects.filter(connection=connection, session=session).first()
    if not wanted(session):
        if existing is None:
            return "unchanged"
        outcome = providers.call(plugin, provider, "delete_event", account, existing.uid)
        if not outcome.ok:
            busy.record_failure(connection, outcome)
            return "failed"
        existing.delete()
        return "deleted"
    data = event_data(session)
    if existing is not None and (existing.starts_at, existing.ends_at) == (data.starts_at, data.ends_at):
        return "unchanged"
    method = "write_event" if existing is None else "move_event"
    outcome = providers.call(plugin, provider, method, account, data)
    if not outcome.ok:
        busy.record_failure(connection, outcome)
        return "failed"
    CalendarEvent.objects.update_or_create(
        connection=connection,
        session=session,
        defaults={"uid": data.uid, "starts_at": data.starts_at, "ends_at": data.ends_at, "written_at": timezone.now()},
    )
    return "written" if existing is None else "moved"
