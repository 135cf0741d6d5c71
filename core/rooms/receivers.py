"""Tell open rooms when their session changes elsewhere (the sweep, the admin, the API).

``session_changed`` is sent after the transaction commits, so what the sockets
hear is what the database holds.
"""

from __future__ import annotations

import logging

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.ops.group_send import group_send
from core.plugins.models import PluginConfiguration
from core.scheduling.models import Booking, Session
from core.scheduling.signals import booking_transitioned, session_changed, session_ending

from . import services
from .groups import room_group
from .models import RoomSettings

logger = logging.getLogger("peerlearn.rooms")


def broadcast(session_id: int, event: dict) -> None:
    """Send ``event`` to every socket in the room; a dead channel layer is logged, never raised."""
    try:
        group_send(room_group(session_id), event)
    except Exception:  # the change itself is saved; live sockets will find out on their next join
        logger.exception("could not tell room %s about %s", session_id, event.get("type"))


@receiver(session_changed, sender=Session, dispatch_uid="rooms.session_changed")
def on_session_changed(sender, session: Session, change: str, **kwargs) -> None:
    if change in ("ended", "cancelled"):
        services.close_open_stays(session.pk)
        broadcast(
            session.pk,
            {"type": "room.ended", "status": Session.CANCELLED if change == "cancelled" else Session.COMPLETED},
        )
    elif change == "started":
        broadcast(session.pk, {"type": "room.status", "status": Session.IN_PROGRESS})


@receiver(booking_transitioned, sender=Booking, dispatch_uid="rooms.booking_transitioned")
def on_booking_transitioned(sender, booking: Booking, old_status, new_status, **kwargs) -> None:
    """A learner whose seat is gone (cancelled, refunded, marked absent) leaves the room at once."""
    if old_status == Booking.CONFIRMED and new_status not in (Booking.CONFIRMED, Booking.COMPLETED):
        broadcast(booking.session_id, {"type": "room.revoke", "user_id": booking.learner_id})


@receiver([post_save, post_delete], sender=PluginConfiguration, dispatch_uid="rooms.plugins_changed")
@receiver([post_save, post_delete], sender=RoomSettings, dispatch_uid="rooms.settings_changed")
def on_backend_settings_changed(sender, **kwargs) -> None:
    services.forget_backend_decisions()


@receiver(session_ending, sender=Session)
def _absent_learners(sender, session: Session, **kwargs) -> list[Booking]:
    """The sweep ends a session nobody ended: learners who never joined are no-shows, not completed."""
    return services.absent_learners(session)
