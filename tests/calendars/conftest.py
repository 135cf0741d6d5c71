"""Fixtures of the calendar sync tests: a real Radicale server, a hung one, the CalDAV plugin enabled."""

from __future__ import annotations

import pytest

from tests.scheduling.conftest import mentor_factory  # noqa: F401 - shared fixture

from .servers import RadicaleServer, SilentServer


@pytest.fixture(scope="session")
def radicale():
    server = RadicaleServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def silent():
    server = SilentServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _eager_tasks():
    """Calendar writes are Celery tasks: run them in-process (the real stack has no worker here)."""
    from peerlearn.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def caldav_plugin(db):
    """The CalDAV plugin enabled on the default site, allowed to reach 127.0.0.1, with short timeouts."""
    from wagtail.models import Site

    from core.plugins import config
    from core.plugins.models import PluginConfiguration

    site = Site.objects.get(is_default_site=True)
    PluginConfiguration.objects.update_or_create(
        site=site,
        plugin="calendar_caldav",
        defaults={"enabled": True, "settings": {"allow_private_hosts": True, "timeout_seconds": 3.0}, "secrets": {}},
    )
    config.invalidate(site.id)
    return site


@pytest.fixture
def mentor(mentor_factory):  # noqa: F811 - the imported fixture
    return mentor_factory("Europe/Paris", notice=0, horizon=30)
