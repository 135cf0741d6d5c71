"""Celery tasks of calendar sync; the beat schedule is CELERY_BEAT_SCHEDULE in the settings."""

from __future__ import annotations

from celery import shared_task

from . import busy, sync
from .models import CalendarConnection


class SyncFailed(Exception):
    """A calendar write failed; the task is retried with a growing delay."""


@shared_task(
    name="core.calendars.tasks.sync_session_event",
    bind=True,
    ignore_result=True,
    max_retries=5,
)
def sync_session_event(self, session_id: int) -> str:
    """Write, move or delete the calendar event of one session (idempotent; retried on failure)."""
    result = sync.sync_session(session_id)
    if result == "failed" and not self.request.is_eager:
        raise self.retry(countdown=min(30 * 2**self.request.retries, 1800), exc=SyncFailed(session_id))
    return result


@shared_task(name="core.calendars.tasks.refresh_connection", ignore_result=True)
def refresh_connection(connection_id: int) -> bool:
    """Read one connection's busy times now ("Refresh now")."""
    connection = CalendarConnection.objects.select_related("mentor").filter(pk=connection_id).first()
    if connection is None:
        return False
    return busy.refresh_busy(connection).ok


@shared_task(name="core.calendars.tasks.refresh_all", ignore_result=True)
def refresh_all() -> int:
    """Every connected calendar's busy times, on the beat schedule: one task per connection."""
    ids = list(CalendarConnection.objects.exclude(calendar_id="").values_list("pk", flat=True))
    for connection_id in ids:
        refresh_connection.delay(connection_id)
    return len(ids)
