"""The Celery app ``peerlearn``: ``celery -A peerlearn worker -B``.

Without REDIS_URL the settings make every task run eagerly in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.dev")

app = Celery("peerlearn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
