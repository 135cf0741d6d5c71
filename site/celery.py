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
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.production")

app = Celery("peerlearn")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.task_prerun.connect
@signals.task_postrun.connect
def hand_back_connections(sender: Any = None, **kwargs: Any) -> None:
    """Around each task in a worker, what Django does around a request: a connection that is broken
    or past ``CONN_MAX_AGE`` goes back to the pool (or is closed), and the pool stays open.

    Celery's own fixup would close the whole pool here (``CELERY_DB_REUSE_MAX`` makes it do
    that only every so many tasks). An eager task is left alone; receivers that write after this
    one (the task's analytics events) hand their connection back themselves.
    """
    from core.ops.after_response import hand_back_after_task

    hand_back_after_task(sender)
