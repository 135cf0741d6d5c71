"""One web process holds at most its pool's connections to PostgreSQL, whatever the concurrency.

200 requests at once against one granian process with ``DATABASE_POOL_MAX_SIZE=4``:
PostgreSQL is sampled all along, and no request may fail (they queue for a
pooled connection instead of opening their own).
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.db import connection

from tests.rooms.servers import free_port, server_env

pytestmark = pytest.mark.realstack
ROOT = Path(__file__).resolve().parents[2]
BUDGET = 4
APP_NAME = "peerlearn-budget-probe"


def _connections(cursor, database: str) -> int:
    """This server's connections: its application name on this test's database (another run of this
    test elsewhere on the machine, against its own database, is not counted).

    Only client backends: a query PostgreSQL runs in parallel shows its workers under the same
    application name, but they are not connections (they come from ``max_worker_processes``, not
    ``max_connections``). /readyz's table introspection goes parallel once the test database's
    catalogue has grown over a whole test session, which is what made this test fail only there.
    """
    cursor.execute(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE application_name = %s AND datname = %s AND backend_type = 'client backend'",
        [APP_NAME, database],
    )
    return cursor.fetchone()[0]


def test_two_hundred_concurrent_requests_stay_within_the_pool(transactional_db):
    import psycopg

    env = server_env(connection.settings_dict["NAME"])
    env.update(
        DATABASE_URL=f"{env['DATABASE_URL']}?application_name={APP_NAME}",
        DATABASE_POOL_MAX_SIZE=str(BUDGET),
        DATABASE_POOL_TIMEOUT="60",
        # what is tested is the pool's budget: a request may queue as long as it may wait for a connection
        # (with the default 10 s, 2 of the 200 got 503 in CI while the other lane loaded both cores)
        WEB_QUEUE_TIMEOUT="60",
        # and so may /readyz (its default is 2 s): what is tested is the budget, not a probe's patience
        HEALTH_CHECK_TIMEOUT="60",
    )
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "granian"),
        *("--interface", "asginl", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"),
        "peerlearn.asgi:application",
    ]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, stop = [0], threading.Event()
    params = connection.get_connection_params()

    def sample() -> None:
        with psycopg.connect(
            dbname=params["dbname"],
            host=params.get("host"),
            port=params.get("port"),
            user=params.get("user"),
            autocommit=True,  # pg_stat_activity is a snapshot per transaction
        ) as probe:
            with probe.cursor() as cursor:
                while not stop.is_set():
                    peak[0] = max(peak[0], _connections(cursor, params["dbname"]))
                    time.sleep(0.01)

    reasons: list[str] = []
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{base}/healthz", timeout=2).ok:
                    break
            except requests.RequestException:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read()[-3000:]
                time.sleep(0.2)
        sampler = threading.Thread(target=sample)
        sampler.start()

        def fetch(index: int) -> tuple[str, int]:
            path = "/api/sessions/" if index % 2 else "/readyz"
            response = requests.get(f"{base}{path}", timeout=120)
            if response.status_code != 200:
                reasons.append(f"{path} {response.status_code}: {response.text[:300]}")
            return path, response.status_code

        with ThreadPoolExecutor(max_workers=200) as pool:
            statuses = list(pool.map(fetch, range(200)))
        stop.set()
        sampler.join()
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=20)

    failures = {answer: statuses.count(answer) for answer in set(statuses) if answer[1] != 200}
    print(f"200 concurrent requests: failures {failures or 'none'}; peak connections {peak[0]} (budget {BUDGET})")
    assert not failures, sorted(set(reasons))
    assert 1 <= peak[0] <= BUDGET
