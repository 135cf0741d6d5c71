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


@pytest.mark.django_db(transaction=True)
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


@pytest.mark.django_db(transaction=True)
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


@pytest.mark.realstack  # the pool is PostgreSQL's: SQLite keeps no connections open to warm
@pytest.mark.django_db(transaction=True)
def test_warm_up_opens_the_database_pool(settings):
    from django.db import connection

    connection.close_pool()
    assert connection.alias not in connection._connection_pools
    settings.WEB_WARM_UP = True
    warm_up()
    assert connection.alias in connection._connection_pools, "the warm-up made the pool"
    stats = connection.pool.get_stats()
    assert stats["pool_size"] >= 1 and stats["connections_num"] >= 1, stats


@pytest.mark.django_db(transaction=True)
def test_a_service_not_yet_up_is_logged_and_the_warm_up_goes_on(settings, caplog, monkeypatch):
    from core.health import checks

    monkeypatch.setattr(checks, "database", lambda: "unreachable: OperationalError")  # PostgreSQL still starting
    settings.WEB_WARM_UP = True
    with caplog.at_level(logging.INFO, logger="peerlearn.warmup"):
        warm_up()
    messages = [r.getMessage() for r in caplog.records if r.name == "peerlearn.warmup"]
    assert messages[0] == "warming up: the database is not ready (unreachable: OperationalError)"
    assert messages[-1].startswith("warmed up in")


def test_the_socket_threads_and_request_threads_start_before_serving():
    from peerlearn.asgi_http import RequestThreads

    from core.ops.off_loop import THREADS, start_threads

    start_threads()
    assert len(THREADS._threads) == THREADS._max_workers
    threads = RequestThreads()
    threads.start(3)
    assert len(threads.idle) == 3 and all(len(executor._threads) == 1 for executor in threads.idle)
