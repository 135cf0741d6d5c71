"""Room signalling under load: many WebSocket clients in rooms of two, through a real ASGI server.

    REDIS_URL=redis://127.0.0.1:6379/0 python -m bench.signalling
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.signalling --clients 1000 --rate 2 --seconds 15

Builds a throwaway database (a test database on PostgreSQL with DATABASE_URL,
else a temporary SQLite file), seeds ``--clients / 2`` sessions that start in
five minutes, each with its mentor and one confirmed learner, and gives each
person a login (a session cookie). Then it starts one ASGI server process (``--server``, daphne by default) serving
``peerlearn.asgi`` on 127.0.0.1 with the Redis pub/sub channel layer, and:

1. connects every client to ``ws/session/<id>/`` (``--concurrency`` handshakes at
   a time; mentors first, then learners) and joins: connection failures and
   handshake+join time;
2. for ``--seconds``, every client sends its partner an ``ice`` message
   ``--rate`` times a second, stamped with the send time; the partner records
   the relay latency (client -> server -> Redis -> server -> client);
3. prints connection failures, messages relayed per second, lost messages,
   p50/p99/max relay latency and the server process's resident memory (idle,
   with everyone connected, and its peak during the exchange).

Clients and server share this machine's cores, so the figures include the
clients' own work. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.common import free_port, percentile

ROOT = Path(__file__).resolve().parent.parent


def rss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


# --- database ---------------------------------------------------------------------------


def setup_database(sqlite_path: str | None) -> tuple[str, dict[str, str]]:
    """Create and migrate a throwaway database; return its name and the server's environment."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.test")
    if sqlite_path:
        os.environ["SQLITE_PATH"] = sqlite_path
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    # A name of its own: several benchmarks (or test runs) may share the PostgreSQL server.
    connection.settings_dict["TEST"]["NAME"] = sqlite_path or f"test_bench_signalling_{os.getpid()}"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False, serialize=False)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peerlearn.settings.test", "PYTHONUNBUFFERED": "1"}
    if sqlite_path:
        env["SQLITE_PATH"] = sqlite_path
    else:
        env["DATABASE_URL"] = f"{os.environ['DATABASE_URL'].rsplit('/', 1)[0]}/{connection.settings_dict['NAME']}"
    return old_name, env


def seed(rooms: int) -> list[dict]:
    """``rooms`` sessions starting in 5 minutes, each with a mentor and a confirmed learner, and their cookies."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from core.accounts.models import User
    from core.scheduling.models import Booking, Session

    now = datetime.now(UTC)
    start = (now + timedelta(minutes=5)).replace(microsecond=0)
    people = []
    for index in range(rooms):
        for role in ("mentor", "learner"):
            user = User(
                email=f"{role}{index}@bench.local", display_name=f"{role.title()} {index}", is_mentor=role == "mentor"
            )
            user.set_unusable_password()
            people.append(user)
    User.objects.bulk_create(people, batch_size=500)
    users = {u.email: u for u in User.objects.filter(email__endswith="@bench.local")}
    sessions = Session.objects.bulk_create(
        [
            Session(
                mentor=users[f"mentor{i}@bench.local"],
                title=f"Bench room {i}",
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                capacity=1,
            )
            for i in range(rooms)
        ],
        batch_size=500,
    )
    Booking.objects.bulk_create(
        [
            Booking(
                session=session,
                learner=users[f"learner{i}@bench.local"],
                status=Booking.CONFIRMED,
                starts_at=session.starts_at,
                ends_at=session.ends_at,
                confirmed_at=now,
            )
            for i, session in enumerate(sessions)
        ],
        batch_size=500,
    )

    def cookie(user) -> str:
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"

    return [
        {
            "session": session.pk,
            "mentor": cookie(users[f"mentor{i}@bench.local"]),
            "learner": cookie(users[f"learner{i}@bench.local"]),
        }
        for i, session in enumerate(sessions)
    ]


# --- the server --------------------------------------------------------------------------


SERVERS = {
    "daphne": ["-m", "daphne", "-b", "127.0.0.1", "-p", "{port}", "peerlearn.asgi:application"],
    "uvicorn": [
        "-m", "uvicorn", "--host", "127.0.0.1", "--port", "{port}", "--ws", "websockets-sansio",
        "--lifespan", "off", "--log-level", "warning", "peerlearn.asgi:application",
    ],
}  # fmt: skip


def start_server(env: dict[str, str], port: int, kind: str = "daphne") -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, *(part.replace("{port}", str(port)) for part in SERVERS[kind])],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{kind} exited with {process.returncode}")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.2)
    time.sleep(6)  # the server loads the plugins in the background after it starts listening
    return process


# --- the clients -------------------------------------------------------------------------------


class Client:
    def __init__(self, url: str, cookie: str, origin: str) -> None:
        self.url, self.cookie, self.origin = url, cookie, origin
        self.ws = None
        self.peer_id = None
        self.partner: str | None = None
        self.partner_known = asyncio.Event()
        self.latencies: list[float] = []
        self.received = 0
        self.sent = 0
        self.errors: list[str] = []
        self.reader: asyncio.Task | None = None

    async def connect(self) -> float:
        from websockets.asyncio.client import connect

        started = time.perf_counter()
        self.ws = await connect(
            self.url,
            additional_headers={"Cookie": self.cookie, "Origin": self.origin},
            open_timeout=30,
            max_queue=None,
            ping_interval=None,
        )
        await self.ws.send(json.dumps({"type": "join", "audio": True, "video": True}))
        welcome = json.loads(await asyncio.wait_for(self.ws.recv(), 30))
        if welcome.get("type") != "welcome":
            raise RuntimeError(f"expected welcome, got {welcome}")
        self.peer_id = welcome["peer_id"]
        if welcome["peers"]:
            self.partner = welcome["peers"][0]["peer_id"]
            self.partner_known.set()
        self.reader = asyncio.create_task(self.read())
        return time.perf_counter() - started

    async def read(self) -> None:
        try:
            async for raw in self.ws:
                now = time.perf_counter()
                message = json.loads(raw)
                kind = message["type"]
                if kind == "ice":
                    self.latencies.append(now - float(message["candidate"]["candidate"].split(":", 1)[1]))
                    self.received += 1
                elif kind == "join":
                    self.partner = message["peer"]["peer_id"]
                    self.partner_known.set()
                elif kind == "error":
                    self.errors.append(message["code"])
        except Exception:
            pass

    async def talk(self, rate: float, seconds: float) -> None:
        await asyncio.wait_for(self.partner_known.wait(), 30)
        interval = 1.0 / rate
        await asyncio.sleep(random.random() * interval)
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            candidate = {"candidate": f"candidate:{time.perf_counter():.6f}", "sdpMid": "0", "sdpMLineIndex": 0}
            await self.ws.send(json.dumps({"type": "ice", "to": self.partner, "candidate": candidate}))
            self.sent += 1
            await asyncio.sleep(interval)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.gather(self.reader, return_exceptions=True)


async def run_clients(rooms: list[dict], port: int, args, server_pid: int) -> dict:
    origin = f"http://127.0.0.1:{port}"
    mentors = [Client(f"ws://127.0.0.1:{port}/ws/session/{r['session']}/", r["mentor"], origin) for r in rooms]
    learners = [Client(f"ws://127.0.0.1:{port}/ws/session/{r['session']}/", r["learner"], origin) for r in rooms]
    gate = asyncio.Semaphore(args.concurrency)
    connect_times: list[float] = []
    failures: list[str] = []

    async def connect(client: Client) -> None:
        async with gate:
            try:
                connect_times.append(await client.connect())
            except Exception as exc:
                failures.append(f"{type(exc).__name__}: {exc}"[:200])

    idle_rss = rss_mib(server_pid)
    started = time.perf_counter()
    await asyncio.gather(*(connect(c) for c in mentors))
    await asyncio.gather(*(connect(c) for c in learners))
    connect_seconds = time.perf_counter() - started
    connected_rss = rss_mib(server_pid)
    everyone = [c for c in mentors + learners if c.peer_id]

    peak = [connected_rss]

    async def sample() -> None:
        while True:
            peak.append(rss_mib(server_pid))
            await asyncio.sleep(0.5)

    sampler = asyncio.create_task(sample())
    cpu_before = cpu_seconds(server_pid)
    own_before = time.process_time()
    exchange_started = time.perf_counter()
    talkers = await asyncio.gather(*(c.talk(args.rate, args.seconds) for c in everyone), return_exceptions=True)
    await asyncio.sleep(1.0)  # in flight
    exchange_seconds = time.perf_counter() - exchange_started - 1.0
    server_cpu = (cpu_seconds(server_pid) - cpu_before) / (exchange_seconds + 1.0)
    client_cpu = (time.process_time() - own_before) / (exchange_seconds + 1.0)
    sampler.cancel()
    latencies = [value for c in everyone for value in c.latencies]
    sent = sum(c.sent for c in everyone)
    received = sum(c.received for c in everyone)
    errors: dict[str, int] = {}
    for c in everyone:
        for code in c.errors:
            errors[code] = errors.get(code, 0) + 1
    await asyncio.gather(*(c.close() for c in everyone), return_exceptions=True)
    return {
        "clients": len(mentors) + len(learners),
        "connected": len(everyone),
        "connection_failures": len(failures),
        "failure_examples": failures[:3],
        "talk_failures": sum(1 for t in talkers if isinstance(t, Exception)),
        "connect_all_seconds": round(connect_seconds, 2),
        "handshake_join_ms_p50": round(percentile(connect_times, 0.5) * 1000, 1),
        "handshake_join_ms_p99": round(percentile(connect_times, 0.99) * 1000, 1),
        "messages_sent": sent,
        "messages_relayed": received,
        "messages_lost": sent - received,
        "relayed_per_second": round(received / exchange_seconds, 1),
        "latency_ms_p50": round(percentile(latencies, 0.5) * 1000, 2),
        "latency_ms_p99": round(percentile(latencies, 0.99) * 1000, 2),
        "latency_ms_max": round(max(latencies) * 1000, 2) if latencies else None,
        "server_errors_to_clients": errors,
        "server_cpu_share_during_exchange": round(server_cpu, 2),
        "clients_cpu_share_during_exchange": round(client_cpu, 2),
        "server_rss_mib_idle": round(idle_rss, 1),
        "server_rss_mib_connected": round(connected_rss, 1),
        "server_rss_mib_peak": round(max(peak), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="WebSocket clients (two per room)")
    parser.add_argument("--rate", type=float, default=0.5, help="messages per second each client sends")
    parser.add_argument("--seconds", type=float, default=15.0, help="length of the exchange")
    parser.add_argument("--concurrency", type=int, default=50, help="handshakes in flight at once")
    parser.add_argument("--server", choices=sorted(SERVERS), default="daphne", help="the ASGI server to measure")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if not os.environ.get("REDIS_URL"):
        raise SystemExit("Set REDIS_URL (the benchmark measures the Redis pub/sub channel layer).")
    random.seed(7)

    workdir = tempfile.mkdtemp(prefix="peerlearn-bench-")
    sqlite_path = None if os.environ.get("DATABASE_URL") else os.path.join(workdir, "bench.sqlite3")
    print(f"database: {'PostgreSQL' if sqlite_path is None else 'SQLite ' + sqlite_path}; building it…", flush=True)
    old_name, env = setup_database(sqlite_path)
    from django.db import connection

    try:
        rooms = seed(args.clients // 2)
        connection.close()
        port = free_port()
        print(f"{len(rooms)} rooms seeded; starting {args.server} on 127.0.0.1:{port}…", flush=True)
        server = start_server(env, port, args.server)
        try:
            figures = asyncio.run(run_clients(rooms, port, args, server.pid))
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    figures.update(
        {
            "server": args.server,
            "rate_per_client": args.rate,
            "seconds": args.seconds,
            "channel_layer": "RedisPubSubChannelLayer",
        }
    )
    width = max(len(key) for key in figures)
    for key, value in figures.items():
        print(f"{key:<{width}}  {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
