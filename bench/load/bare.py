"""The ceiling: a one-view Django project with no middleware and no database.

Served by the same server command and worker count as the site, it measures what
the server and Django's request handling cost on their own, so ``bench.load`` can
state each page's throughput as a share of it.
"""

from __future__ import annotations

import django
from django.conf import settings
from django.http import JsonResponse
from django.urls import path

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="bench-bare-view-only",
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        DATABASES={},
    )
    django.setup()


def hello(request):
    return JsonResponse({"hello": "world"})


urlpatterns = [path("", hello), path("healthz", hello)]

from django.core.asgi import get_asgi_application  # noqa: E402

application = get_asgi_application()
