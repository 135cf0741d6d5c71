"""The Celery app ``peerlearn``: ``celery -A peerlearn worker``.

Importing ``peerlearn`` imports this module, so its settings default is what
every server entry point gets first: production, never dev (a worker or web
process started without ``DJANGO_SETTINGS_MODULE`` must not run with DEBUG on and
the public development key). Production settings refuse to load without
``SECRET_KEY`` and ``ALLOWED_HOSTS``, naming the variable. ``manage.py`` chooses
dev for itself before importing this.

Without REDIS_URL the settings make every task run eagerly in-process.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.production")

app = Celery("peerlearn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
