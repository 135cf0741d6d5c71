"""A stored file goes with its row, whoever deletes it (the API, the admin, retention, a cascade)."""

from __future__ import annotations

from django.db.models.signals import post_delete
from django.dispatch import receiver

from core.scheduling.models import Session
from core.scheduling.signals import session_changed

from .models import RecordingChunk, RecordingFile


@receiver(post_delete, sender=RecordingFile)
def delete_recording_file(sender, instance: RecordingFile, **kwargs) -> None:
    if instance.file:
        instance.file.delete(save=False)


@receiver(post_delete, sender=RecordingChunk)
def delete_recording_chunk(sender, instance: RecordingChunk, **kwargs) -> None:
    if instance.blob:
        instance.blob.delete(save=False)


@receiver(session_changed, sender=Session, dispatch_uid="recordings.session_changed")
def stop_with_the_session(sender, session: Session, change: str, **kwargs) -> None:
    """A session that ends or is cancelled stops its recording (its files are then made)."""
    if change not in ("ended", "cancelled"):
        return
    from . import services

    live = services.live_recording(session)
    if live is not None:
        services.finish(live)
