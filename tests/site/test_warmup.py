"""A server process loads the plugins and compiles the templates before its first request."""

from __future__ import annotations

import gc
import logging
import re

import pytest
from peerlearn.warmup import warm_up


@pytest.fixture(autouse=True)
def _unfrozen():
    """The warm-up freezes the objects it finds; the test process gets its collector back."""
    yield
    gc.unfreeze()


@pytest.mark.django_db
def test_warm_up_loads_the_plugins_and_compiles_every_project_template(settings, caplog):
    from core.plugins.manager import get_manager

    settings.WEB_WARM_UP = True
    with caplog.at_level(logging.INFO, logger="peerlearn.warmup"):
        warm_up()

    assert get_manager().plugins, "the plugins are loaded"
    (record,) = [r for r in caplog.records if r.name == "peerlearn.warmup"]
    compiled = int(re.search(r"\((\d+) templates,", record.getMessage()).group(1))
    assert compiled > 100, record.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], "every template compiles"


@pytest.mark.django_db
def test_warm_up_hides_what_it_loaded_from_the_garbage_collector(settings):
    """Full collections walk only what requests leave behind, not the process's lifelong objects."""
    settings.WEB_WARM_UP = True
    gc.unfreeze()
    warm_up()
    frozen = gc.get_freeze_count()
    assert frozen > 100_000, frozen
    assert len(gc.get_objects()) < frozen / 10, "what the warm-up loaded is out of the collector's walk"


def test_warm_up_is_skipped_where_it_is_off(settings, caplog):
    settings.WEB_WARM_UP = False
    with caplog.at_level(logging.INFO, logger="peerlearn.warmup"):
        warm_up()
    assert not caplog.records


@pytest.mark.django_db(transaction=True)
def test_warm_up_opens_a_database_connection(settings):
    from django.db import connection
    from django.db.backends.signals import connection_created

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("in-memory SQLite keeps its one connection open: there is nothing to open")
    opened = []
    connection_created.connect(lambda **kwargs: opened.append(kwargs["connection"].alias), weak=False, dispatch_uid="t")
    try:
        settings.WEB_WARM_UP = True
        connection.close()
        warm_up()
    finally:
        connection_created.disconnect(dispatch_uid="t")
    assert opened == ["default"]


def test_a_database_not_yet_up_does_not_stop_the_warm_up(settings, caplog):
    """Without database access (here: a test not allowed it) the warm-up logs it and goes on."""
    settings.WEB_WARM_UP = True
    with caplog.at_level(logging.INFO, logger="peerlearn.warmup"):
        warm_up()
    messages = [r.getMessage() for r in caplog.records if r.name == "peerlearn.warmup"]
    assert messages[0] == "could not reach the database or the cache while warming up"
    assert messages[1].startswith("warmed up in")


def test_the_socket_threads_and_request_threads_start_before_serving():
    from peerlearn.asgi_http import RequestThreads

    from core.ops.off_loop import THREADS, start_threads

    start_threads()
    assert len(THREADS._threads) == THREADS._max_workers
    threads = RequestThreads()
    threads.start(3)
    assert len(threads.idle) == 3 and all(len(executor._threads) == 1 for executor in threads.idle)
