"""bench.load warns when the server would run at a higher priority than the PostgreSQL and Redis it waits on."""

from __future__ import annotations

import os
from pathlib import Path

from bench.load.priorities import inversion, niceness_of, priorities


def test_a_server_above_its_services_is_warned_of():
    warning = inversion({"benchmark": -15, "postgresql": 0, "redis": 0})
    assert warning is not None and "niceness -15" in warning and "postgresql at 0 and redis at 0" in warning


def test_one_priority_or_services_elsewhere_are_fine():
    assert inversion({"benchmark": -15, "postgresql": -15, "redis": -15}) is None
    assert inversion({"benchmark": 0, "postgresql": None, "redis": None}) is None
    assert inversion({"benchmark": 5, "postgresql": 0, "redis": 0}) is None


def test_a_process_is_found_by_its_name_with_its_niceness():
    stat = Path("/proc/self/stat").read_text()
    own_name = stat[stat.find("(") + 1 : stat.rfind(")")]
    assert niceness_of(own_name) <= os.getpriority(os.PRIO_PROCESS, 0)
    assert niceness_of("no-such-process-name") is None


def test_services_on_other_hosts_are_not_looked_for():
    found = priorities("postgres://db.example:5432/x", "redis://cache.example:6379/0")
    assert found == {"benchmark": os.getpriority(os.PRIO_PROCESS, 0), "postgresql": None, "redis": None}
