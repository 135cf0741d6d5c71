"""`PORT=8811 scripts/dev`: the one public address follows the served port unless a deployment sets it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _base_url(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k not in ("PORT", "PEERLEARN_BASE_URL", "WAGTAILADMIN_BASE_URL")}
    code = "from django.conf import settings; print(settings.PEERLEARN_BASE_URL, settings.WAGTAILADMIN_BASE_URL)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "peerlearn.settings.dev", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return result.stdout.split()[-2:]


def test_the_public_address_follows_the_port_and_can_be_set():
    assert _base_url(PORT="8811") == ["http://127.0.0.1:8811", "http://127.0.0.1:8811"]
    assert _base_url() == ["http://127.0.0.1:8000", "http://127.0.0.1:8000"]
    assert _base_url(PORT="8811", PEERLEARN_BASE_URL="https://learn.example.org/") == [
        "https://learn.example.org",
        "https://learn.example.org",
    ]
