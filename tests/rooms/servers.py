"""Real ASGI servers for the room tests: daphne processes serving ``peerlearn.asgi``.

Each listens on a Unix socket (reachable from a network namespace of the
tests' own) and optionally on a TCP port of 127.0.0.1. They share the test
database and, on the real stack, the Redis channel layer, so two of them can
serve one room.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(database_name: str | None = None) -> dict[str, str]:
    """The tests' environment, pointed at the test database the tests themselves use."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peerlearn.settings.test", "PYTHONUNBUFFERED": "1"}
    if database_name and os.environ.get("DATABASE_URL"):
        env["DATABASE_URL"] = f"{os.environ['DATABASE_URL'].rsplit('/', 1)[0]}/{database_name}"
    return env


def _wait_for_unix(path: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}: {tail(process.log_path)}")
        if os.path.exists(path):
            with socket.socket(socket.AF_UNIX) as probe:
                try:
                    probe.connect(path)
                    return
                except OSError:
                    pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not listen on {path} within {timeout}s")


@contextmanager
def daphne(unix_path: str, env: dict[str, str], port: int | None = None, log_path: str | None = None):
    """Run ``daphne peerlearn.asgi:application`` until the block ends; yields the process.

    Its output goes to ``log_path`` (default: beside the socket, ``.log``) so a
    failing test can show it.
    """
    if os.path.exists(unix_path):
        os.unlink(unix_path)
    command = [sys.executable, "-m", "daphne", "-u", unix_path]
    if port:
        command += ["-e", f"tcp:port={port}:interface=127.0.0.1"]
    command += ["peerlearn.asgi:application"]
    log = open(log_path or f"{unix_path}.log", "w")  # noqa: SIM115  (closed below)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log_path = log.name
    try:
        _wait_for_unix(unix_path, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def tail(path: str, size: int = 4000) -> str:
    try:
        return Path(path).read_text(errors="replace")[-size:]
    except OSError:
        return ""


def can_unshare() -> str | None:
    """``None`` when this machine can give a test its own network namespace, else why not."""
    if not shutil.which("unshare") or not shutil.which("ip"):
        return "needs unshare (util-linux) and ip (iproute2)"
    probe = subprocess.run(
        ["unshare", "-n", "sh", "-c", "ip link set lo up && ip addr add 127.0.0.2/8 dev lo"],
        capture_output=True,
        text=True,
    )
    if probe.returncode != 0:
        return f"cannot create a network namespace here (needs root or user namespaces): {probe.stderr.strip()}"
    return None


def in_namespace(command: list[str]) -> list[str]:
    """Run ``command`` in a fresh network namespace whose loopback also answers on 127.0.0.2."""
    script = 'ip link set lo up && ip addr add 127.0.0.2/8 dev lo && exec "$@"'
    return ["unshare", "-n", "sh", "-c", script, "netns", *command]


class InProcessServer:
    """Uvicorn serving ``peerlearn.asgi`` from a thread of the test process, on a Unix socket.

    In-process, it sees the test database even when that is SQLite in memory,
    and shares the in-memory channel layer: the embedded default, as CI runs
    the browser tests.
    """

    def __init__(self, uds: str, port: int) -> None:
        import uvicorn
        from peerlearn.asgi import application

        self.uds = uds
        self.port = port

        async def app(scope, receive, send):
            # Behind the forwarder the site is http://127.0.0.1:<port>; say so (a Unix socket has no port).
            await application({**scope, "server": ("127.0.0.1", port)}, receive, send)

        config = uvicorn.Config(app, uds=uds, lifespan="off", log_level="warning", ws="websockets-sansio")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="uvicorn", daemon=True)

    def __enter__(self) -> InProcessServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
