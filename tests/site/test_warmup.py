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
