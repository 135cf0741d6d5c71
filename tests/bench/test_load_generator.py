"""bench.load reports its load generator's own figures next to the server's: CPU and how late its loop ran."""

from __future__ import annotations

import json

from bench.load.__main__ import generator, steady_state


def test_the_generators_cpu_and_lateness_are_summed_up():
    kept = {"generator_lag": [[0, 40.0], [30, 12.5], [61, 75.0]], "generator_cpu_seconds": 6.0, "generator_seconds": 60}
    assert generator(kept) == {"cpu_cores": 0.1, "loop_late_max_ms": 75.0, "loop_late_max_ms_first_minute": 40.0}


def test_a_run_without_the_generators_figures_reports_none(tmp_path):
    path = tmp_path / "steady.json"
    path.write_text(json.dumps({"warm_up_seconds": 60, "times": {"home": [5.0, 7.0]}, "failures": {}}))
    assert steady_state(path)["generator"] == {
        "cpu_cores": None,
        "loop_late_max_ms": None,
        "loop_late_max_ms_first_minute": None,
    }
