"""Booking and session changes become calendar writes, in a Celery task after the commit (and after the answer)."""

from __future__ import annotations

from django.dispatch import receiver

from core.ops.after_response import after_response
from core.scheduling.models import Booking, Session
from core.scheduling.signals import booking_transitioned, session_changed

from .models import CalendarConnection


def _queue(session: Session | None) -> None:
    if session is None:
        return
    if not CalendarConnection.objects.filter(mentor_id=session.mentor_id).exclude(calendar_id="").exists():
        return
    from .tasks import sync_session_event

    sync_session_event.delay(session.pk)


@receiver(booking_transitioned, sender=Booking, dispatch_uid="calendars.booking_transitioned")
@after_response
def on_booking_transitioned(sender, booking: Booking, old_status, new_status, **kwargs) -> None:
    _queue(booking.session)


@receiver(session_changed, sender=Session, dispatch_uid="calendars.session_changed")
@after_response
def on_session_changed(sender, session: Session, change: str, previous: Session | None = None, **kwargs) -> None:
    if change in ("started", "ended"):
        return
    _queue(session)
    _queue(previous)  # a seat moved away: that session may have nothing confirmed left
