"""Celery beat tasks of scheduling; the schedule is CELERY_BEAT_SCHEDULE in the settings."""

from __future__ import annotations

from celery import shared_task

from .services import bookings, sessions, waitlist


@shared_task(name="core.scheduling.tasks.expire_holds", ignore_result=True)
def expire_holds() -> int:
    """Unpaid bookings whose hold ran out free their seat."""
    return bookings.expire_holds()


@shared_task(name="core.scheduling.tasks.expire_waitlist_offers", ignore_result=True)
def expire_waitlist_offers() -> int:
    """Seat offers nobody took in time pass to the next person waiting."""
    return waitlist.expire_offers()


@shared_task(name="core.scheduling.tasks.sweep_sessions", ignore_result=True)
def sweep_sessions() -> dict[str, int]:
    """Sessions never started are cancelled (mentor no-show); overrunning ones are ended."""
    return sessions.sweep_sessions()
