"""Which ASGI server runs the ``web`` process: HTTP throughput and WebSocket correctness side by side.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_servers REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.servers [--servers uvicorn,granian,gunicorn+uvicorn,daphne] [--workers 2] \\
        [--seconds 10] [--connections 64] [--sockets 200] [--json OUT]

Migrates the database of ``DATABASE_URL`` and seeds the demo into it (idempotent;
the data stays), then for each server starts it under the production settings
on PostgreSQL and Redis with ``--workers`` processes, and measures:

- HTTP, closed loop with wrk (``--connections``, ``--seconds`` per URL): ``/healthz``
  (the middleware's first step only), ``/api/sessions/`` (DRF + PostgreSQL),
  ``/`` (a Wagtail page) and ``/mentors/`` (search): requests/s, p50/p99, errors,
  and PostgreSQL connections held right after the run;
- WebSockets: ``--sockets`` signed-in notification sockets (``ws/notifications/``)
  opened at once; each pings and needs its pong; a notification published from
  another process through Redis must reach every socket; a foreign ``Origin`` must
  be refused. Failures are counted, the push latency is reported;
- the resident memory of the server's process tree.

Server and load generator share the machine's cores, so the figures are
relative: run it on a quiet machine and compare the rows of one run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from pathlib import Path

from bench.common import (
    SERVERS,
    free_port,
    manage,
    percentile,
    pg_connections,
    production_env,
    server,
    tree_rss_mib,
    wrk,
)

URLS = ["/healthz", "/api/sessions/", "/", "/mentors/"]
DEMO_LEARNER = "learner1@demo.peerlearn.local"

SESSION_SNIPPET = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from importlib import import_module
from django.conf import settings
user = get_user_model().objects.get(email={email!r})
store = import_module(settings.SESSION_ENGINE).SessionStore()
store[SESSION_KEY] = str(user.pk)
store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
store[HASH_SESSION_KEY] = user.get_session_auth_hash()
store.create()
print(store.session_key, user.pk)
"""

PUSH_SNIPPET = """
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from core.notifications.services import user_group
import time
async_to_sync(get_channel_layer().group_send)(
    user_group({user_id}), {{"type": "notify", "kind": "bench", "payload": {{"sent": time.time()}}}}
)
"""


def signed_in_session(env: dict[str, str]) -> tuple[str, int]:
    key, user_id = manage(env, "shell", "-c", SESSION_SNIPPET.format(email=DEMO_LEARNER)).split()[-2:]
    return key, int(user_id)


async def websocket_checks(port: int, cookie: str, sockets: int, push) -> dict:
    import websockets

    url = f"ws://127.0.0.1:{port}/ws/notifications/"
    origin = f"http://127.0.0.1:{port}"
    result = {"sockets": sockets, "connect_failures": 0, "pong_failures": 0, "push_missed": 0}

    async def open_one():
        try:
            return await websockets.connect(url, origin=origin, additional_headers={"Cookie": cookie}, open_timeout=20)
        except Exception:  # noqa: BLE001 - counted
            result["connect_failures"] += 1
            return None

    clients = [c for c in await asyncio.gather(*(open_one() for _ in range(sockets))) if c]

    async def ping(client) -> None:
        try:
            await client.send(json.dumps({"type": "ping"}))
            answer = json.loads(await asyncio.wait_for(client.recv(), 10))
            if answer.get("type") != "pong":
                result["pong_failures"] += 1
        except Exception:  # noqa: BLE001
            result["pong_failures"] += 1

    await asyncio.gather(*(ping(c) for c in clients))
    await asyncio.to_thread(push)
    latencies: list[float] = []

    async def receive_push(client) -> None:
        try:
            message = json.loads(await asyncio.wait_for(client.recv(), 15))
            latencies.append((time.time() - message["payload"]["sent"]) * 1000)
        except Exception:  # noqa: BLE001
            result["push_missed"] += 1

    await asyncio.gather(*(receive_push(c) for c in clients))
    result["push_p50_ms"] = round(percentile(latencies, 0.5), 1)
    result["push_max_ms"] = round(max(latencies), 1) if latencies else None
    await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    try:
        async with websockets.connect(
            url, origin="https://evil.example", additional_headers={"Cookie": cookie}, open_timeout=10
        ) as foreign:
            await asyncio.wait_for(foreign.recv(), 5)
            result["foreign_origin_refused"] = False
    except Exception:  # noqa: BLE001 - refused at the handshake or closed at once
        result["foreign_origin_refused"] = True
    return result


def measure(name: str, args, env: dict[str, str], cookie: str, user_id: int, logs: Path) -> dict:
    port = free_port()
    command = SERVERS[name].format(port=port, workers=args.workers)
    row: dict = {"server": name, "command": command, "http": {}}
    with server(command, env, port, logs / f"{name}.log") as process:
        for url in URLS:  # warm every worker's caches and pool
            wrk(f"http://127.0.0.1:{port}{url}", connections=4, seconds=1, threads=1)
        row["rss_idle_mib"] = round(tree_rss_mib(process.pid))
        for url in URLS:
            figures = wrk(f"http://127.0.0.1:{port}{url}", connections=args.connections, seconds=args.seconds)
            figures["pg_connections_after"] = pg_connections(env["DATABASE_URL"])
            row["http"][url] = figures
            print(f"  {name:18} {url:16} {figures}", flush=True)
        row["rss_loaded_mib"] = round(tree_rss_mib(process.pid))

        def push() -> None:
            manage(env, "shell", "-c", PUSH_SNIPPET.format(user_id=user_id))

        row["websockets"] = asyncio.run(websocket_checks(port, cookie, args.sockets, push))
        print(f"  {name:18} websockets       {row['websockets']}", flush=True)
    return row


def table(rows: list[dict]) -> str:
    lines = [
        "| server | " + " | ".join(f"{u} req/s (p50/p99 ms)" for u in URLS) + " | WS failures | push p50 | RSS MiB |",
        "| --- " * (len(URLS) + 4) + "|",
    ]
    for row in rows:
        cells = []
        for url in URLS:
            f = row["http"][url]
            errors = f["non_2xx"] + f["socket_errors"]
            cells.append(
                f"{f.get('rps')} ({f.get('p50_ms')}/{f.get('p99_ms')})" + (f", {errors} err" if errors else "")
            )
        ws = row["websockets"]
        failures = ws["connect_failures"] + ws["pong_failures"] + ws["push_missed"] + (not ws["foreign_origin_refused"])
        lines.append(
            f"| {row['server']} | " + " | ".join(cells) + f" | {failures}/{ws['sockets']} | {ws['push_p50_ms']} ms"
            f" | {row['rss_idle_mib']} → {row['rss_loaded_mib']} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--servers", default=",".join(SERVERS))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--pool", type=int, default=8, help="DATABASE_POOL_MAX_SIZE per worker process")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    env = production_env(DATABASE_POOL_MAX_SIZE=str(args.pool), LOG_LEVEL="WARNING")
    print("migrating and seeding the demo ...", flush=True)
    manage(env, "migrate", "--noinput")
    manage(env, "seed_demo")
    manage(env, "collectstatic", "--noinput")
    key, user_id = signed_in_session(env)
    cookie = f"sessionid={key}"
    load = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-servers-") as logs:
        for name in args.servers.split(","):
            rows.append(measure(name, args, env, cookie, user_id, Path(logs)))
    print(
        f"\n{args.workers} workers, {args.connections} connections, {args.seconds}s per URL,"
        f" pool {args.pool}; load average before: {load[0]:.1f}\n"
    )
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "load_before": load}, indent=2))


if __name__ == "__main__":
    main()
