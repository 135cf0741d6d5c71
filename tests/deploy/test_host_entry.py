"""The image's entry commands, run on the host (no image can be built on this machine).

The Dockerfile's build step (deploy/collectstatic) collects static files under the production
settings; `scripts/procfile release` migrates a fresh database (SQLite here: PostgreSQL is
tests/production's part); then `scripts/procfile web` (the image's CMD) serves the files with
two worker processes, answers the image's HEALTHCHECK (deploy/healthcheck.py), writes JSON
logs and adds up both workers' Prometheus figures.
"""

from __future__ import annotations

import json
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from .conftest import ROOT, clean_env, free_port

pytestmark = pytest.mark.stackless  # SQLite and no Redis in every lane (tests/production runs the real stack)

TOKEN = secrets.token_urlsafe(32)
HTTPS = {"X-Forwarded-Proto": "https"}  # as the proxy says; else production redirects to https


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static")
    result = subprocess.run(
        [str(ROOT / "deploy" / "collectstatic")],
        env=clean_env(STATIC_ROOT=str(root), PYTHON=sys.executable),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return root


def healthcheck(port: int) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "healthcheck.py")],
        env=clean_env(PORT=str(port)),
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture(scope="module")
def web(collected, tmp_path_factory):
    workdir = tmp_path_factory.mktemp("web")
    port = free_port()
    log = (workdir / "web.log").open("w")
    env = clean_env(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        STATIC_ROOT=str(collected),
        SQLITE_PATH=str(workdir / "db.sqlite3"),
        METRICS_ENABLED="true",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(workdir / "prometheus"),
        LOG_FORMAT="json",
    )
    env.pop("VIRTUAL_ENV", None)
    env["PATH"] = f"{Path(sys.executable).parent}:{env['PATH']}"
    release = subprocess.run(
        [str(ROOT / "scripts" / "procfile"), "release"], env=env, capture_output=True, text=True, timeout=600
    )
    assert release.returncode == 0, release.stderr[-3000:]
    process = subprocess.Popen([str(ROOT / "scripts" / "procfile"), "web"], env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 90
    while healthcheck(port).returncode != 0:
        assert process.poll() is None, (workdir / "web.log").read_text()[-3000:]
        assert time.monotonic() < deadline, "the web process never became healthy"
        time.sleep(0.5)
    yield {"port": port, "log": workdir / "web.log", "metrics_dir": workdir / "prometheus", "process": process}
    process.terminate()  # already stopped by the module's last test, unless it failed early
    process.wait(timeout=30)
    log.close()


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={**HTTPS, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def test_the_build_step_collects_hashed_static_files(collected):
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    assert len(manifest) > 100
    unhashed = [name for name in manifest.values() if not re.search(r"\.[0-9a-f]{12}(\.\w+)?$", name)]
    assert not unhashed
    assert all((collected / name).exists() for name in manifest.values())
    # Text is stored compressed too (WhiteNoise skips files that would not shrink).
    largest_css = max(
        (n for n in manifest.values() if n.endswith(".css")), key=lambda n: (collected / n).stat().st_size
    )
    assert (collected / f"{largest_css}.gz").exists()


def test_the_image_health_check_passes_against_the_web_process_and_fails_without_one(web):
    assert healthcheck(web["port"]).returncode == 0
    refused = healthcheck(free_port())
    assert refused.returncode == 1 and "no answer" in refused.stderr


def test_the_web_process_serves_the_collected_files_for_a_year(web, collected):
    manifest = json.loads((collected / "staticfiles.json").read_text())["paths"]
    name = next(value for key, value in manifest.items() if key.endswith(".css"))
    status, headers, body = get(web["port"], f"/static/{name}")
    assert status == 200 and body == (collected / name).read_bytes()
    assert "max-age=315360000" in headers["Cache-Control"]


def scrape(port: int) -> dict[tuple[str, str, str], float]:
    status, headers, body = get(port, "/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    counts = {}
    for labels, value in re.findall(r"^peerlearn_http_requests_total\{(.*?)\} (\S+)$", body.decode(), flags=re.M):
        fields = dict(re.findall(r'(\w+)="(.*?)"', labels))
        counts[(fields["route"], fields["method"], fields["status"])] = float(value)
    return counts


def test_metrics_add_up_every_worker_and_need_the_token(web):
    before = scrape(web["port"]).get(("metrics", "GET", "401"), 0)
    for _ in range(20):
        status, headers, _ = get(web["port"], "/metrics")
        assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert get(web["port"], "/metrics", {"Authorization": "Bearer wrong"})[0] == 401
    # Whichever worker answers the scrape, it reports all the workers' requests.
    for _ in range(4):
        assert scrape(web["port"])[("metrics", "GET", "401")] == before + 21
    workers = {re.sub(r"^\w+_(\d+)\.db$", r"\1", path.name) for path in web["metrics_dir"].glob("counter_*.db")}
    assert workers and len(workers) <= 2


def test_logs_are_json_lines_with_the_request(web):
    get(web["port"], "/metrics")
    deadline = time.monotonic() + 10
    while True:
        records = [json.loads(line) for line in web["log"].read_text().splitlines() if line.startswith("{")]
        unauthorized = [r for r in records if r["logger"] == "django.request" and r.get("status_code") == 401]
        if unauthorized or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert unauthorized, web["log"].read_text()[-2000:]
    record = unauthorized[-1]
    assert record["level"] == "WARNING" and record["message"] == "Unauthorized: /metrics"
    assert record["request"] == {"method": "GET", "path": "/metrics"}
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", record["time"])


def test_a_client_that_never_finishes_its_request_cannot_hold_the_stop(web):
    """granian waits for open requests when told to stop; one whose headers never end held a worker
    about 29 s (a platform kills at 10-30 s). The Procfile's WEB_STOP_TIMEOUT (10 s) bounds it.
    Last in the module: it stops the shared web process."""
    stalled = socket.create_connection(("127.0.0.1", web["port"]))
    stalled.sendall(b"GET /health/live/ HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # no blank line: never ends
    time.sleep(0.5)
    process = web["process"]
    started = time.monotonic()
    process.terminate()
    try:
        process.wait(timeout=25)
    finally:
        stalled.close()
    assert time.monotonic() - started < 20
    assert "refused to gracefully stop" in web["log"].read_text()
