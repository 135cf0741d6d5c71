"""Helpers for the deployment tests: the checkout, a clean environment, free ports."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Ports this suite's own servers may take (moto, a web process started through scripts/procfile).
PORT_RANGE = range(18700, 18800)


def free_port() -> int:
    for port in PORT_RANGE:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORT_RANGE.start}-{PORT_RANGE.stop - 1}")


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the real stack or settings choices, plus `extra`."""
    dropped = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "SECRET_KEY", "ALLOWED_HOSTS", "PORT"}
    env = {key: value for key, value in os.environ.items() if key not in dropped and not key.startswith("AWS_")}
    env.update(extra)
    return env


@pytest.fixture
def port() -> int:
    return free_port()
