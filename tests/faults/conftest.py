"""Fault injection on private servers: each test kills what it started, never the shared ones.

The shared PostgreSQL and Redis of a machine must never be restarted, so these
tests run their own: a PostgreSQL cluster made with ``initdb`` in a temporary
folder (one per test session, migrated once into a template database that each
test copies), a ``redis-server`` per test, and the site's own processes
(``daphne`` with the project's ASGI app, a Celery worker) pointed at them.
Django code that prepares data or reads results runs in short subprocesses
(:mod:`tests.faults.scenario`) on the same private database, so the test
process never holds a connection the faults would break.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.plugins.payments.servers import _wait_for_port, free_port

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = "tests.faults.settings"


def say(*parts: object) -> None:
    """What the test did and found, on the test's output (pytest shows it with -s or on failure)."""
    print("[faults]", *parts, flush=True)


def wait_until(check: Callable[[], object], timeout: float, what: str, every: float = 0.1) -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def stop_process(process: subprocess.Popen | None, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


# --- PostgreSQL ------------------------------------------------------------------------------


def _pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        pytest.skip("no PostgreSQL server binaries under /usr/lib/postgresql")
    return found[-1].parent


class PrivatePostgres:
    """A throwaway PostgreSQL cluster on a free port; initdb refuses root, so it runs as ``postgres``."""

    def __init__(self, workdir: Path) -> None:
        self.bin = _pg_bin()
        self.dir = workdir / "pg"
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = open(workdir / "postgres.log", "ab")  # noqa: SIM115 - closed in stop()
        self._as = {"user": "postgres", "group": "postgres"} if os.geteuid() == 0 else {}

    def init(self) -> None:
        self.dir.mkdir()
        if self._as:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(
            [self.bin / "initdb", "-D", self.dir, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"],
            check=True,
            stdout=subprocess.DEVNULL,
            **self._as,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                self.bin / "postgres",
                *("-D", self.dir, "-p", str(self.port), "-k", self.dir),
                *("-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"),
                *("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"),
            ],
            stdout=self.log,
            stderr=self.log,
            **self._as,
        )
        wait_until(self.ready, 30, "the private PostgreSQL to accept connections")

    def ready(self) -> bool:
        return (
            subprocess.run(
                [self.bin / "pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False
            ).returncode
            == 0
        )

    def stop(self, sig: int = signal.SIGINT) -> None:
        """SIGINT is PostgreSQL's fast shutdown: open sessions are cut, as in a restart."""
        stop_process(self.process, sig, timeout=30)

    def restart(self, down_seconds: float) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def sql(self, statement: str, db: str = "postgres") -> str:
        done = subprocess.run(
            [self.bin / "psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-Atc", statement],
            check=True,
            capture_output=True,
            text=True,
        )
        return done.stdout.strip()

    def url(self, db: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def close(self) -> None:
        self.stop()
        self.log.close()


# --- Redis -----------------------------------------------------------------------------------


class PrivateRedis:
    """A ``redis-server`` on a free port that keeps nothing on disk (like the machine's own)."""

    def __init__(self, workdir: Path) -> None:
        if shutil.which("redis-server") is None:
            pytest.skip("redis-server is not installed")
        self.port = free_port()
        self.dir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: self.command("PING") == "+PONG", 20, "the private Redis to answer PING")

    def command(self, *words: str) -> str:
        """One inline command, its first reply line ('' when Redis is not there)."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall((" ".join(words) + "\r\n").encode())
                return sock.recv(65536).decode(errors="replace").split("\r\n", 1)[0]
        except OSError:
            return ""

    def stop(self) -> None:
        stop_process(self.process, signal.SIGKILL)

    def restart(self, down_seconds: float) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()


# --- the site's processes --------------------------------------------------------------------


class Stack:
    """One test's private world: a fresh database, a Redis, and the processes started on them."""

    def __init__(self, pg: PrivatePostgres, redis: PrivateRedis, db: str, workdir: Path) -> None:
        self.pg, self.redis, self.db, self.workdir = pg, redis, db, workdir
        self.processes: list[subprocess.Popen] = []
        self.extra_env: dict[str, str] = {}

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
        env.update(
            DJANGO_SETTINGS_MODULE=SETTINGS,
            DATABASE_URL=self.pg.url(self.db),
            REDIS_URL=self.redis.url,
            PEERLEARN_FAULT_MAIL_DIR=str(self.workdir / "mail"),
            PYTHONUNBUFFERED="1",
            **self.extra_env,
            **extra,
        )
        return env

    def scenario(self, name: str, timeout: float = 180, killed: bool = False, **kwargs: object) -> dict:
        """Run ``tests.faults.scenario.<name>(**kwargs)`` against the private stack; its (last) JSON line.

        ``killed``: the step is meant to die by SIGKILL; its last line before that is the answer.
        """
        done = subprocess.run(
            [sys.executable, "-m", "tests.faults.scenario", name, json.dumps(kwargs)],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != (-signal.SIGKILL if killed else 0):
            output = f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            raise AssertionError(f"scenario {name} ended with {done.returncode}:\n{output}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def spawn(self, name: str, argv: list[str], **extra_env: str) -> subprocess.Popen:
        log = open(self.workdir / f"{name}.log", "ab")  # noqa: SIM115 - the child owns it
        process = subprocess.Popen(
            argv, cwd=ROOT, env=self.env(**extra_env), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.processes.append(process)
        return process

    def log_of(self, name: str) -> str:
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def start_site(self, name: str = "site") -> tuple[subprocess.Popen, str]:
        """daphne serving the project's ASGI app (HTTP + WebSockets); returns it and its base URL."""
        port = free_port()
        process = self.spawn(
            name, [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "peerlearn.asgi:application"]
        )
        _wait_for_port(port, timeout=60, process=process)
        return process, f"http://127.0.0.1:{port}"

    def start_worker(self, name: str, **extra_env: str) -> subprocess.Popen:
        """A Celery worker of this site; solo pool, so SIGKILL takes the task with it."""
        return self.spawn(
            name,
            [
                sys.executable,
                *("-m", "celery", "-A", "peerlearn", "worker", "--pool=solo", "--loglevel=INFO"),
                *("-n", f"{name}-{os.getpid()}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"),
            ],
            **extra_env,
        )

    def close(self) -> None:
        for process in reversed(self.processes):
            stop_process(process, signal.SIGTERM, timeout=10)


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def fault_workdir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="peerlearn-faults-"))
    path.chmod(0o755)  # the postgres user must reach its data folder inside
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def private_postgres(fault_workdir: Path) -> Iterator[PrivatePostgres]:
    """One private cluster per test session, with the schema migrated once into a template database."""
    pg = PrivatePostgres(fault_workdir)
    started = time.monotonic()
    pg.init()
    pg.start()
    pg.sql("CREATE DATABASE faults_template")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    env.update(DJANGO_SETTINGS_MODULE=SETTINGS, DATABASE_URL=pg.url("faults_template"))
    env.pop("REDIS_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=600
    )
    say(f"private PostgreSQL on port {pg.port}, migrated in {time.monotonic() - started:.1f}s")
    try:
        yield pg
    finally:
        pg.close()


@pytest.fixture
def stack(private_postgres: PrivatePostgres, fault_workdir: Path, request) -> Iterator[Stack]:
    """A fresh copy of the migrated database and a private Redis for one test."""
    name = "t_" + request.node.name.lower().replace("[", "_").replace("]", "")[:50]
    workdir = fault_workdir / name
    workdir.mkdir()
    (workdir / "mail").mkdir()
    if not private_postgres.ready():  # a test that restarted it may have failed halfway
        private_postgres.start()
    private_postgres.sql(f'CREATE DATABASE "{name}" TEMPLATE faults_template')
    redis = PrivateRedis(workdir)
    redis.start()
    world = Stack(private_postgres, redis, name, workdir)
    try:
        yield world
    finally:
        world.close()
        redis.stop()
        with contextlib.suppress(subprocess.CalledProcessError):
            private_postgres.sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def http(
    method: str, url: str, *, body: bytes | None = None, headers: dict[str, str] | None = None, timeout: float = 30
) -> tuple[int, dict, str]:
    """One request; (status, headers, body text). Connection failures are status 0."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read().decode(errors="replace")
    except (urllib.error.URLError, OSError):
        return 0, {}, ""
