"""What the process-level benchmarks share: ports, percentiles, the production environment, servers.

The benchmarks that drive real server processes (``bench.servers``, ``bench.load``)
run them under ``peerlearn.settings.production`` on the real stack, the way the
Procfile does, and measure them from outside with wrk or Locust.
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MiB."""
    children: dict[int, list[int]] = {}
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            children.setdefault(int(fields["PPid"]), []).append(int(fields["Pid"]))
        except (OSError, KeyError, ValueError):
            continue
    total, todo = 0.0, [pid]
    while todo:
        current = todo.pop()
        todo.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            continue
    return total


def production_env(**extra: str) -> dict[str, str]:
    """The environment of a production process on this machine's real stack (plain HTTP on loopback)."""
    missing = [name for name in ("DATABASE_URL", "REDIS_URL") if not os.environ.get(name)]
    if missing:
        raise SystemExit(f"set {' and '.join(missing)}: this benchmark runs on PostgreSQL and Redis")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PEERLEARN_TEST")}
    env.update(
        DJANGO_SETTINGS_MODULE="peerlearn.settings.production",
        SECRET_KEY=env.get("SECRET_KEY") or secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="false",
        PYTHONUNBUFFERED="1",
        PATH=f"{VENV_BIN}:{env.get('PATH', '')}",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


# The ASGI servers compared; each serves HTTP and WebSockets from one command.
SERVERS: dict[str, str] = {
    "uvicorn": "uvicorn peerlearn.asgi:application --host 127.0.0.1 --port {port} --workers {workers}"
    " --no-access-log --lifespan off",
    "gunicorn+uvicorn": "gunicorn peerlearn.asgi:application -k uvicorn_worker.UvicornWorker"
    " -b 127.0.0.1:{port} -w {workers}",
    "granian": "granian --interface asginl --host 127.0.0.1 --port {port} --workers {workers}"
    " peerlearn.asgi:application",
    "daphne": "daphne -b 127.0.0.1 -p {port} peerlearn.asgi:application",
}


def wait_for_http(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout}s")


@contextmanager
def server(command: str, env: dict[str, str], port: int, log_path: Path) -> Iterator[subprocess.Popen]:
    """Run a server command (a shell line, as in the Procfile) until the block ends."""
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            command, shell=True, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            wait_for_http(f"http://127.0.0.1:{port}/healthz", process)
            yield process
        finally:
            os.killpg(process.pid, 15)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


WRK_LINE = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$")


def wrk(
    url: str,
    *,
    connections: int,
    seconds: int,
    threads: int = 2,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> dict:
    """Closed-loop throughput of one URL (or of the requests a wrk Lua ``script`` makes): requests/s,
    latency percentiles (ms), errors."""
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    figures: dict = {"non_2xx": 0, "socket_errors": 0}
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    for line in out.splitlines():
        if match := WRK_LINE.match(line):
            figures[f"p{match[1]}_ms"] = round(float(match[2]) * scale[match[3]], 1)
        elif line.startswith("Requests/sec:"):
            figures["rps"] = round(float(line.split()[1]), 1)
        elif "Non-2xx or 3xx responses:" in line:
            figures["non_2xx"] = int(line.split(":")[1])
        elif line.strip().startswith("Socket errors:"):
            figures["socket_errors"] = sum(int(part.split()[-1]) for part in line.split(":", 1)[1].split(","))
        elif "requests in" in line:
            figures["requests"] = int(line.split()[0])
    return figures


def pg_connections(database_url: str, probe=None) -> int:
    """Connections PostgreSQL holds to the database of ``database_url``, excluding this probe's own.

    ``probe``: an open autocommit connection to ask with (a sampler asking twice a second on a new
    connection each time made PostgreSQL start a backend for every sample).
    """
    import psycopg

    name = database_url.rsplit("/", 1)[1].split("?")[0]
    if probe is None:
        with psycopg.connect(database_url, autocommit=True) as conn:
            return pg_connections(database_url, conn)
    return probe.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,)
    ).fetchone()[0]


def pg_sessions_started(database_url: str, probe) -> int:
    """Connections made to the database of ``database_url`` since its statistics were reset (PostgreSQL 14+;
    ``probe`` in autocommit, so each call reads the statistics anew)."""
    name = database_url.rsplit("/", 1)[1].split("?")[0]
    return probe.execute("SELECT sessions FROM pg_stat_database WHERE datname = %s", (name,)).fetchone()[0]
