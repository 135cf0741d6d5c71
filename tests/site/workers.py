"""A Celery worker process for the real-stack tests, started and awaited the same way everywhere."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start_worker(env: dict[str, str], name: str, log: Path, *args: str, ready_within: float = 120) -> subprocess.Popen:
    """``celery worker`` (solo pool, no gossip, mingle or heartbeat) with its output in ``log``; returns once it
    says it is ready. Its output goes to a file, never to an unread pipe, so it cannot block on a full one;
    a worker that exits or is not ready in time fails the test with the end of its log."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "peerlearn", "worker", "--pool=solo", "--loglevel=INFO"]
            + ["-n", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
            + list(args),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + ready_within
    while " ready." not in log.read_text(errors="replace"):
        assert process.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")[-2000:]
        time.sleep(0.2)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
