"""Test settings: the embedded default unless DATABASE_URL / REDIS_URL are set."""

import os

from .base import *  # noqa: F403
from .base import (
    CACHES,
    CELERY_BROKER_TRANSPORT_OPTIONS,
    CHANNEL_LAYERS,
    MEDIA_ROOT,
    REDIS_URL,
    STATIC_ROOT,
    env,
)

SECRET_KEY = "test-only-key-5c1d7e9f3a5b7c9d1e3f5a7b9c1d3e5f7a9b1c3d5e7f9a1b3c5d"
DEBUG = False
# Explicit hosts: WebSocket Origin checks are tested against them.
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = env("MEDIA_ROOT", str(MEDIA_ROOT.parent / "test-media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WHITENOISE_USE_FINDERS = True
# Tests see every change at once; the page cache's own tests (and the production-settings ones) turn it on.
PAGE_CACHE_ENABLED = False
# Tests import the ASGI application without serving from it; the production tests serve with it on.
WEB_WARM_UP = False
WEB_SWITCH_INTERVAL_MS = 0  # the test process keeps Python's own; the servers tests start use the default
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# Test runs may share one Redis: each run is a site of its own (see PEERLEARN_INSTANCE
# in base.py), so its cache keys, channel groups and Celery queues stay apart.
# Servers and workers a test starts inherit the variable, so they share the run's prefix.
if REDIS_URL:
    PEERLEARN_INSTANCE = os.environ.setdefault("PEERLEARN_TEST_REDIS_PREFIX", f"peerlearn-test-{os.getpid()}")
    CACHES["default"]["KEY_PREFIX"] = PEERLEARN_INSTANCE
    CHANNEL_LAYERS["default"]["CONFIG"]["prefix"] = PEERLEARN_INSTANCE
    CELERY_TASK_DEFAULT_QUEUE = PEERLEARN_INSTANCE
    CELERY_BROKER_TRANSPORT_OPTIONS = {**CELERY_BROKER_TRANSPORT_OPTIONS, "global_keyprefix": f"{PEERLEARN_INSTANCE}:"}
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"global_keyprefix": f"{PEERLEARN_INSTANCE}:"}
