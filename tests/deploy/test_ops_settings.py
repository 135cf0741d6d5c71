"""Operations settings refuse what would fail later, and the JSON log formatter's output."""

from __future__ import annotations

import base64
import json
import logging
import secrets
import subprocess
import sys

import pytest
from django.test import RequestFactory

from core.ops.jsonlog import JsonFormatter

from .conftest import ROOT, clean_env


def import_production(**env: str) -> subprocess.CompletedProcess:
    """Import the production settings module alone (no app loading) with `env`."""
    base = {"SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "peerlearn.example.org"}
    return subprocess.run(
        [sys.executable, "-c", "import peerlearn.settings.production as s; print(s.LOGGING['handlers'])"],
        cwd=ROOT,
        env=clean_env(**{**base, **env}),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"METRICS_ENABLED": "true"}, "METRICS_ENABLED needs METRICS_TOKEN"),
        ({"METRICS_ENABLED": "true", "METRICS_TOKEN": "short"}, "METRICS_ENABLED needs METRICS_TOKEN"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT must be 'plain' or 'json'"),
        ({"SECRET_KEY": base64.b64encode(secrets.token_bytes(24)).decode()}, "Set SECRET_KEY"),
    ],
)
def test_misconfiguration_stops_the_process_with_a_clear_message(env, message):
    result = import_production(**env)
    assert result.returncode == 1
    assert message in result.stderr.strip().splitlines()[-1]


def test_render_generated_secret_key_and_json_logs_are_accepted():
    # Render's generateValue: 256 random bits, base64, 44 characters.
    render_key = base64.b64encode(secrets.token_bytes(32)).decode()
    assert len(render_key) == 44
    result = import_production(SECRET_KEY=render_key, LOG_FORMAT="json", METRICS_ENABLED="1", METRICS_TOKEN="t" * 32)
    assert result.returncode == 0, result.stderr
    assert "'formatter': 'json'" in result.stdout


def test_json_formatter_writes_one_object_per_record_with_extras_and_exception():
    formatter = JsonFormatter()
    request = RequestFactory().get("/mentors/?q=x")
    record = logging.makeLogRecord(
        {"name": "django.request", "levelno": logging.ERROR, "levelname": "ERROR", "msg": "Failed: %s", "args": ("x",)}
    )
    record.status_code = 500
    record.request = request
    try:
        raise ValueError("boom")
    except ValueError:
        record.exc_info = sys.exc_info()
    line = formatter.format(record)
    assert "\n" not in line.replace("\\n", "")
    payload = json.loads(line)
    assert payload["level"] == "ERROR" and payload["logger"] == "django.request"
    assert payload["message"] == "Failed: x" and payload["status_code"] == 500
    assert payload["request"] == {"method": "GET", "path": "/mentors/"}
    assert payload["exception"].startswith("Traceback") and "ValueError: boom" in payload["exception"]
    assert "exc_info" not in payload and "args" not in payload
