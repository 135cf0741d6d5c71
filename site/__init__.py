"""The PeerLearn Django/Wagtail project, imported as ``peerlearn``."""

from .celery import app as celery_app

__all__ = ["celery_app"]
