"""Production as deployed: the Procfile's processes under production settings on PostgreSQL and Redis.

``honcho`` runs ``release`` (migrations) into a fresh database, then two ``web``
processes on two ports, a ``worker`` and ``beat``, exactly as the Procfile says,
with ``DJANGO_SETTINGS_MODULE`` unset (the entry points must choose production
themselves). Then, from outside, as a browser and a load balancer would:
pages and static files, the 404 page, /readyz, a login on one web process
whose room socket works on the other, a foreign Origin refused, a task sent by
a web process run by the worker, and beat scheduling a periodic task.

Run by ``.ci/run`` (step e) with ``-m production``; needs DATABASE_URL and REDIS_URL.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = pytest.mark.production

ROOT = Path(__file__).resolve().parents[2]
HONCHO = str(Path(sys.executable).parent / "honcho")
DB_NAME = "peerlearn_ci_production"
REDIS_DB = 9  # Celery's queues live per Redis database: keep this run's apart
PASSWORD = "Production-check-2026!"
HTTPS = {"X-Forwarded-Proto": "https"}  # TLS ends at the proxy in front of the web processes

SEED = """
import json
from datetime import timedelta
from allauth.account.models import EmailAddress
from django.utils import timezone
from core.accounts.models import User
from core.scheduling.services.bookings import book_session
from core.scheduling.services.sessions import create_session

def person(email, name, **extra):
    user = User.objects.create_user(email=email, password={password!r}, display_name=name, **extra)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user

mentor = person("mentor@ci.example", "Mona Mentor", is_mentor=True)
learner = person("learner@ci.example", "Lars Learner")
late = person("late@ci.example", "Lea Latecomer")
now = timezone.now()
session = create_session(mentor, title="Production check", start=now + timedelta(minutes=5),
                         duration_minutes=60, capacity=3, now=now - timedelta(hours=1))
book_session(session, learner, now=now - timedelta(hours=1))
later = create_session(mentor, title="Next week", start=now + timedelta(days=7), duration_minutes=60, capacity=3)
print(json.dumps({{"session": session.pk, "later": later.pk}}))
"""


def _admin_url() -> str:
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    return f"{base}/postgres"


def _recreate_database() -> str:
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB_NAME}"')
    return f"{os.environ['DATABASE_URL'].rsplit('/', 1)[0]}/{DB_NAME}"


def _free_port_block(size: int) -> int:
    import socket

    for base in range(18900, 19900, 10):
        try:
            sockets = []
            for offset in range(size):
                probe = socket.socket()
                probe.bind(("127.0.0.1", base + offset))
                sockets.append(probe)
            return base
        except OSError:
            continue
        finally:
            for probe in sockets:
                probe.close()
    raise RuntimeError("no free block of ports")


class Stack:
    """The Procfile's processes under honcho; their interleaved output in one log."""

    def __init__(self, env: dict[str, str], log_path: Path, base_port: int):
        self.env, self.log_path, self.base_port = env, log_path, base_port
        self.process: subprocess.Popen | None = None

    def honcho(self, *args: str, env: dict[str, str] | None = None, log=None) -> subprocess.Popen:
        empty_env_file = self.log_path.parent / "empty.env"
        empty_env_file.write_text("")
        return subprocess.Popen(
            [HONCHO, "-f", str(ROOT / "Procfile"), "-d", str(ROOT), "start", "-e", str(empty_env_file), *args],
            cwd=ROOT,
            env=env or self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, pattern: str, timeout: float) -> re.Match:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if match := re.search(pattern, self.log()):
                return match
            time.sleep(0.5)
        raise AssertionError(f"{pattern!r} not in the processes' output within {timeout}s:\n{self.log()[-4000:]}")

    @staticmethod
    def stop(process: subprocess.Popen) -> None:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_ready(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{url} was not ready within {timeout}s")


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if not (os.environ.get("DATABASE_URL") and os.environ.get("REDIS_URL")):
        pytest.fail("the production check needs DATABASE_URL and REDIS_URL (PostgreSQL and Redis)")
    workdir = tmp_path_factory.mktemp("production")
    redis_url = f"{os.environ['REDIS_URL'].rsplit('/', 1)[0]}/{REDIS_DB}"
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DEBUG", "PORT"} and not k.startswith("PEERLEARN_TEST")
    }
    env.update(
        PATH=f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
        DATABASE_URL=_recreate_database(),
        REDIS_URL=redis_url,
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="true",
        STATIC_ROOT=str(workdir / "static"),
        WEB_CONCURRENCY="2",
        HOST="127.0.0.1",
        CELERY_BEAT_SCHEDULE_FILE=str(workdir / "celerybeat-schedule"),
        PYTHONUNBUFFERED="1",
    )
    subprocess.run(["redis-cli", "-u", redis_url, "FLUSHDB"], check=True, capture_output=True)
    collect = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "peerlearn.settings.production"},
        capture_output=True,
        text=True,
    )
    assert collect.returncode == 0, collect.stderr[-3000:]

    base = _free_port_block(4)
    stack = Stack(env, workdir / "processes.log", base)
    with open(workdir / "release.log", "w") as release_log:
        release = stack.honcho("release", log=release_log)
        assert release.wait(timeout=300) == 0, (workdir / "release.log").read_text()[-4000:]
    seeded = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SEED.format(password=PASSWORD)],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "peerlearn.settings.production"},
        capture_output=True,
        text=True,
    )
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    stack.seed = json.loads(seeded.stdout.strip().splitlines()[-1])

    log = open(stack.log_path, "w")  # noqa: SIM115 (closed below)
    stack.started_at = time.monotonic()
    stack.process = stack.honcho("-p", str(base), "-c", "web=2", "web", "worker", "beat", log=log)
    stack.web_a, stack.web_b = f"http://127.0.0.1:{base}", f"http://127.0.0.1:{base + 1}"
    try:
        _wait_ready(f"{stack.web_a}/readyz")
        _wait_ready(f"{stack.web_b}/readyz")
        stack.wait_for_log(r"worker\.1\s+\|.*ready\.", timeout=60)
        yield stack
    finally:
        Stack.stop(stack.process)
        log.close()
        print(f"\n--- the processes' output (last 60 lines) ---\n{''.join(stack.log().splitlines(True)[-60:])}")


def test_processes_run_production_settings_not_dev(stack):
    log = stack.log()
    assert "peerlearn.settings.dev" not in log
    response = requests.get(f"{stack.web_a}/no-such-page/", headers=HTTPS, timeout=10)
    assert response.status_code == 404
    assert "Traceback" not in response.text and "URLconf" not in response.text and "DEBUG" not in response.text


def test_plain_http_is_redirected_to_https_but_probes_are_not(stack):
    response = requests.get(f"{stack.web_a}/", allow_redirects=False, timeout=10)
    assert response.status_code == 301 and response.headers["Location"].startswith("https://")
    assert requests.get(f"{stack.web_a}/healthz", timeout=10).status_code == 200


@pytest.mark.parametrize("path", ["/", "/mentors/", "/accounts/login/", "/accounts/signup/", "/admin/login/"])
def test_pages_render_with_debug_off(stack, path):
    for web in (stack.web_a, stack.web_b):
        response = requests.get(f"{web}{path}", headers=HTTPS, timeout=20)
        assert response.status_code == 200, (web, path, response.text[:500])
        assert "Strict-Transport-Security" in response.headers


def test_a_visitors_page_rendered_by_one_web_process_is_served_by_the_other_from_the_cache(stack):
    """The anonymous page cache is on in production and shared through Redis; each hit has its own nonce."""
    path = f"/mentors/?visit={secrets.token_hex(4)}"
    proxied = {**HTTPS, "Host": "localhost"}  # as a proxy in front sends it to either process
    first = requests.get(f"{stack.web_a}{path}", headers=proxied, timeout=20)
    second = requests.get(f"{stack.web_b}{path}", headers=proxied, timeout=20)
    assert (first.headers.get("X-Page-Cache"), second.headers.get("X-Page-Cache")) == ("miss", "hit")
    assert "Strict-Transport-Security" in second.headers and not second.cookies
    nonces = []
    for response in (first, second):
        nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
        assert set(re.findall(r'<script nonce="([^"]+)"', response.text)) == {nonce}
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_static_files_are_hashed_and_cached_for_a_year(stack):
    page = requests.get(f"{stack.web_a}/accounts/login/", headers=HTTPS, timeout=20).text
    linked = set(re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page))
    assert linked
    for url in linked:
        assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), url
        response = requests.get(f"{stack.web_b}{url}", headers={**HTTPS, "Accept-Encoding": "br, gzip"}, timeout=20)
        assert response.status_code == 200, url
        assert "max-age=315360000" in response.headers["Cache-Control"], response.headers
        assert response.headers.get("Content-Encoding") in {"br", "gzip"}


def test_readiness_is_200_then_503_when_the_database_address_is_wrong(stack, tmp_path):
    ready = requests.get(f"{stack.web_a}/readyz", timeout=10)
    assert ready.status_code == 200 and ready.json()["checks"] == {
        "database": "ok",
        "cache": "ok",
        "channel_layer": "ok",
    }
    wrong = {**stack.env, "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere", "WEB_CONCURRENCY": "1"}
    port = stack.base_port + 3
    with open(tmp_path / "wrong.log", "w") as log:
        process = stack.honcho("-p", str(port), "web", env=wrong, log=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = requests.get(f"http://127.0.0.1:{port}/readyz", timeout=10)
                break
            except requests.RequestException:
                assert time.monotonic() < deadline, (tmp_path / "wrong.log").read_text()[-3000:]
                time.sleep(0.3)
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "unavailable" and body["checks"]["database"].startswith("unreachable")
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10).status_code == 200
    finally:
        Stack.stop(process)


def _login(web: str, email: str) -> str:
    """Sign in through the login page as a browser does; the session cookie's value."""
    http = requests.Session()
    page = http.get(f"{web}/accounts/login/", headers=HTTPS, timeout=20)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    origin = web.replace("http://", "https://")
    response = http.post(
        f"{web}/accounts/login/",
        data={"login": email, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={**HTTPS, "Referer": f"{origin}/accounts/login/", "Origin": origin},
        cookies={"csrftoken": page.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=20,
    )
    assert response.status_code == 302, response.text[:1000]
    return response.cookies["sessionid"]


def test_a_login_on_one_web_process_joins_a_room_served_by_the_other(stack):
    import websockets

    session_id = stack.seed["session"]
    mentor_cookie = _login(stack.web_a, "mentor@ci.example")
    learner_cookie = _login(stack.web_a, "learner@ci.example")

    async def exchange() -> dict:
        def url(web: str) -> str:
            return web.replace("http://", "ws://") + f"/ws/session/{session_id}/"

        async def connect(web: str, cookie: str):
            return await websockets.connect(
                url(web),
                origin=web.replace("http://", "https://"),
                additional_headers={"Cookie": f"sessionid={cookie}"},
            )

        async def next_of(socket, kind: str) -> dict:
            while True:
                message = json.loads(await asyncio.wait_for(socket.recv(), 15))
                if message["type"] == kind:
                    return message

        mentor = await connect(stack.web_a, mentor_cookie)
        learner = await connect(stack.web_b, learner_cookie)
        try:
            await mentor.send(json.dumps({"type": "join", "audio": True, "video": True}))
            await next_of(mentor, "welcome")
            await learner.send(json.dumps({"type": "join", "audio": True, "video": True}))
            await next_of(learner, "welcome")
            await next_of(mentor, "join")
            await learner.send(json.dumps({"type": "chat", "text": "hello from process B"}))
            return await next_of(mentor, "chat")
        finally:
            await mentor.close()
            await learner.close()

    line = asyncio.run(exchange())
    assert line["text"] == "hello from process B" and line["display_name"] == "Lars Learner"


def test_a_new_visitor_is_answered_while_1100_idle_connections_stay_open(stack):
    """Browsers keep connections open between pages: a server full of idle ones still answers a new one.

    (Under the load benchmark, new connections waited seconds to be served with granian's default
    backlog and backpressure; this test holds the connections but not that load, and passes with
    either setting: the benchmark is where the difference shows, README "Holding a crowd".)"""
    import socket
    from urllib.parse import urlsplit

    address = urlsplit(stack.web_a)
    held = []
    try:
        for _ in range(1100):  # each answered once, then kept open and idle, as browsers do
            conn = socket.create_connection((address.hostname, address.port), timeout=30)
            conn.sendall(f"GET /healthz HTTP/1.1\r\nHost: {address.hostname}\r\n\r\n".encode())
            assert conn.recv(4096).startswith(b"HTTP/1.1 200"), "an open connection was not answered"
            held.append(conn)
        assert requests.get(f"{stack.web_a}/healthz", timeout=30).status_code == 200
    finally:
        for conn in held:
            conn.close()


def test_a_websocket_with_a_foreign_origin_is_refused(stack):
    import websockets
    from websockets.exceptions import InvalidStatus

    cookie = _login(stack.web_b, "learner@ci.example")

    async def attempt() -> None:
        async with websockets.connect(
            stack.web_b.replace("http://", "ws://") + f"/ws/session/{stack.seed['session']}/",
            origin="https://evil.example",
            additional_headers={"Cookie": f"sessionid={cookie}"},
        ):
            pass

    with pytest.raises(InvalidStatus) as refused:
        asyncio.run(attempt())
    assert refused.value.response.status_code == 403


def test_a_task_sent_by_a_web_process_runs_on_the_worker(stack):
    token = requests.post(
        f"{stack.web_b}/api/auth/login/",
        json={"email": "late@ci.example", "password": PASSWORD},
        headers=HTTPS,
        timeout=20,
    ).json()["token"]
    booked = requests.post(
        f"{stack.web_b}/api/sessions/{stack.seed['later']}/book/",
        headers={**HTTPS, "Authorization": f"Token {token}"},
        timeout=20,
    )
    assert booked.status_code == 201, booked.text
    # The confirmation mail is a Celery task: the worker sends it (to the console backend here).
    stack.wait_for_log(r"worker\.1\s+\|.*To: .*late@ci\.example", timeout=60)
    stack.wait_for_log(r"worker\.1\s+\|.*Task core\.notifications\.tasks\.send_session_email\[[^\]]+\] succeeded", 60)


def test_beat_schedules_periodic_tasks_that_the_worker_runs(stack):
    # The shortest interval is a minute; the other checks usually used most of it already.
    remaining = max(5.0, 75 - (time.monotonic() - stack.started_at))
    stack.wait_for_log(r"beat\.1\s+\|.*Sending due task", timeout=remaining)
    stack.wait_for_log(r"worker\.1\s+\|.*Task core\.\w+\.tasks\.\w+\[[^\]]+\] succeeded", timeout=30)
