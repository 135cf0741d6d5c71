"""scripts/procfile: the one entry of the image, compose and Render runs the Procfile's commands."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .conftest import ROOT, clean_env

PROCFILE_SCRIPT = ROOT / "scripts" / "procfile"
PROCESS_TYPES = {"release", "web", "worker", "beat"}


def procfile_types(path: Path = ROOT / "Procfile") -> dict[str, str]:
    entries = {}
    for line in path.read_text().splitlines():
        name, sep, command = line.partition(":")
        if sep and name.strip() and not name.startswith("#"):
            entries[name.strip()] = command.strip()
    return entries


def run(*args: str, procfile: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(PROCFILE_SCRIPT), *args],
        env=clean_env(PROCFILE=str(procfile), **env),
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_the_procfile_has_the_four_process_types_and_web_takes_port_and_concurrency():
    entries = procfile_types()
    assert set(entries) == PROCESS_TYPES
    assert re.search(r"\$\{?PORT\b", entries["web"]) and re.search(r"\$\{?WEB_CONCURRENCY\b", entries["web"])
    assert "migrate" in entries["release"]


def test_the_command_runs_with_the_environment_expanded_and_extra_arguments_passed(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        "release: echo release\n"
        'web: printf \'%s\\n\' "port=$PORT" "workers=$WEB_CONCURRENCY"'
        ' "settings=$DJANGO_SETTINGS_MODULE" "cwd=$(pwd)"\n'
    )
    result = run("web", "one", "two words", procfile=procfile, PORT="18123")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "port=18123",
        "workers=2",
        "settings=peerlearn.settings.production",
        f"cwd={ROOT}",
        "one",
        "two words",
    ]
    # The deployment's own values win over the defaults.
    result = run("web", procfile=procfile, WEB_CONCURRENCY="5", DJANGO_SETTINGS_MODULE="peerlearn.settings.dev")
    assert result.stdout.splitlines()[1:3] == ["workers=5", "settings=peerlearn.settings.dev"]


def test_the_process_replaces_the_script_so_signals_reach_it(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("worker: sh -c 'echo $$'\n")
    process = subprocess.Popen(
        [str(PROCFILE_SCRIPT), "worker"], env=clean_env(PROCFILE=str(procfile)), stdout=subprocess.PIPE, text=True
    )
    output, _ = process.communicate(timeout=30)
    # The command runs as the very process we started: no bash or sh left in between.
    assert int(output) == process.pid


def test_an_unknown_or_missing_type_is_refused_naming_the_types(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("web: true\nworker: true\n")
    for args in (["nope"], [], ["web;rm"]):
        result = run(*args, procfile=procfile)
        assert result.returncode == 64
        assert result.stdout == ""
    assert "no 'nope' process" in run("nope", procfile=procfile).stderr
    assert "web worker" in run(procfile=procfile).stderr


def test_web_starts_with_empty_prometheus_files(tmp_path):
    procfile = tmp_path / "Procfile"
    procfile.write_text("web: ls $PROMETHEUS_MULTIPROC_DIR\nworker: ls $PROMETHEUS_MULTIPROC_DIR\n")
    metrics = tmp_path / "prometheus"
    metrics.mkdir()
    (metrics / "counter_123.db").write_bytes(b"old")
    (metrics / "notes.txt").write_text("not ours")
    assert run("worker", procfile=procfile, PROMETHEUS_MULTIPROC_DIR=str(metrics)).stdout.split() == [
        "counter_123.db",
        "notes.txt",
    ]
    assert run("web", procfile=procfile, PROMETHEUS_MULTIPROC_DIR=str(metrics)).stdout.split() == ["notes.txt"]
