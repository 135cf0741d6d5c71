"""Celery tasks of recordings: making the files after a stop, and retention (CELERY_BEAT_SCHEDULE)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="core.recordings.tasks.finalize_recording", ignore_result=True)
def finalize_recording(recording_id: int) -> str:
    """Convert and store a stopped server recording (or assemble a browser one)."""
    recording = services.finalize(recording_id)
    return recording.state if recording else "gone"


@shared_task(name="core.recordings.tasks.expire_recordings", ignore_result=True)
def expire_recordings() -> int:
    """Delete recordings past the site's retention; end those whose session is over."""
    return services.expire()
