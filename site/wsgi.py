"""WSGI entry point, for deployments that serve plain HTTP through a WSGI server."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.production")

application = get_wsgi_application()

from .warmup import warm_up  # noqa: E402

warm_up()
