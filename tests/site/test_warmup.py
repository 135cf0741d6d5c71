"""A server process loads the plugins and compiles the templates before its first request."""

from __future__ import annotations

import logging
import re

from peerlearn.warmup import warm_up


def test_warm_up_loads_the_plugins_and_compiles_every_project_template(settings, caplog):
    from core.plugins.manager import get_manager

    settings.WEB_WARM_UP = True
    with caplog.at_level(logging.INFO, logger="peerlearn.warmup"):
        warm_up()

    assert get_manager().plugins, "the plugins are loaded"
    (record,) = [r for r in caplog.records if r.name == "peerlearn.warmup"]
    compiled = int(re.search(r"\((\d+) templates\)", record.getMessage()).group(1))
    assert compiled > 100, record.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], "every template compiles"


def test_warm_up_is_skipped_where_it_is_off(settings, caplog):
    settings.WEB_WARM_UP = False
    with caplog.at_level(logging.INFO, logger="peerlearn.warmup"):
        warm_up()
    assert not caplog.records
