"""Two sites on one Redis server never see each other's messages, cache keys or tasks.

Redis database numbers do not separate pub/sub channels (they are
server-wide), so every Redis name a site uses carries its PEERLEARN_INSTANCE
prefix, by default derived from its database.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .workers import start_worker, stop_worker

ROOT = Path(__file__).resolve().parents[2]

NAMES = """
import json, django
from django.conf import settings
django.setup()
from peerlearn.celery import app
print(json.dumps({
    "instance": settings.PEERLEARN_INSTANCE,
    "layer": settings.CHANNEL_LAYERS["default"].get("CONFIG", {}).get("prefix"),
    "cache": settings.CACHES["default"].get("KEY_PREFIX"),
    "queue": app.conf.task_default_queue,
    "broker": app.conf.broker_transport_options.get("global_keyprefix"),
    "results": app.conf.result_backend_transport_options.get("global_keyprefix"),
}))
"""


def site_env(module: str = "peerlearn.settings.dev", **env: str) -> dict[str, str]:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "PEERLEARN_INSTANCE", "PEERLEARN_TEST_REDIS_PREFIX"}
        and not k.startswith("PYTEST_")
    }
    clean.update(DJANGO_SETTINGS_MODULE=module, PYTHONUNBUFFERED="1", **env)
    return clean


def run(code: str, env: dict[str, str], timeout: float = 120) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def names(module: str = "peerlearn.settings.dev", **env: str) -> dict:
    return run(NAMES, site_env(module, **env))


REDIS = "redis://127.0.0.1:6379/0"


def test_each_site_names_everything_in_redis_with_its_own_prefix():
    a = names(DATABASE_URL="postgres://postgres@db.example:5432/school", REDIS_URL=REDIS)
    b = names(DATABASE_URL="postgres://postgres@db.example:5432/bootcamp", REDIS_URL=REDIS)
    same_name_elsewhere = names(DATABASE_URL="postgres://postgres@other.example:5432/school", REDIS_URL=REDIS)
    assert a["instance"].startswith("pl-school-") and b["instance"].startswith("pl-bootcamp-")
    assert len({a["instance"], b["instance"], same_name_elsewhere["instance"]}) == 3
    for site in (a, b):
        assert site["layer"] == site["cache"] == site["queue"] == site["instance"]
        assert site["broker"] == site["results"] == site["instance"] + ":"
    # The same database gives the same name in every process of a site (web, worker, beat).
    assert names(DATABASE_URL="postgres://postgres@db.example:5432/school", REDIS_URL=REDIS) == a


def test_an_explicit_instance_name_wins():
    conf = names(DATABASE_URL="postgres://postgres@db.example:5432/school", REDIS_URL=REDIS, PEERLEARN_INSTANCE="east")
    assert (conf["layer"], conf["cache"], conf["queue"], conf["broker"]) == ("east", "east", "east", "east:")


def test_the_test_settings_keep_one_prefix_per_run():
    conf = names(
        "peerlearn.settings.test",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        REDIS_URL=REDIS,
        PEERLEARN_TEST_REDIS_PREFIX="peerlearn-test-run42",
    )
    assert conf["layer"] == conf["cache"] == conf["queue"] == "peerlearn-test-run42"
    assert conf["broker"] == conf["results"] == "peerlearn-test-run42:"


# --- on a real Redis server ------------------------------------------------------------------

LISTEN = """
import asyncio, json, sys, django
django.setup()
from channels.layers import get_channel_layer
from core.notifications.services import user_group

async def main():
    layer = get_channel_layer()
    channel = await layer.new_channel()
    await layer.group_add(user_group(1), channel)
    print("ready", flush=True)
    try:
        message = await asyncio.wait_for(layer.receive(channel), timeout=float(sys.argv[1]))
    except asyncio.TimeoutError:
        message = None
    await layer.flush()
    print(json.dumps({"received": message}))

asyncio.run(main())
"""

PUBLISH = """
import json, django
django.setup()
from core.notifications.services import notify_user
notify_user(1, "drill", {"title": "TITLE"})
print(json.dumps({"published": True}))
"""

# A task name no worker knows: a worker that takes it logs it and drops it, no database needed.
PROBE_TASK = "peerlearn.isolation.probe"
SEND_PROBE = f"""
import json, django
django.setup()
from peerlearn.celery import app
print(json.dumps({{"id": app.send_task("{PROBE_TASK}").id}}))
"""


def two_sites(tmp_path: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Two sites on the test run's Redis server, one on its database number and one on db 7."""
    server = os.environ["REDIS_URL"].rsplit("/", 1)[0]
    db = os.environ["REDIS_URL"].rsplit("/", 1)[1] or "0"
    other = "7" if db != "7" else "8"
    a = site_env(DATABASE_URL=f"sqlite:///{tmp_path}/site-a.sqlite3", REDIS_URL=f"{server}/{db}")
    b = site_env(DATABASE_URL=f"sqlite:///{tmp_path}/site-b.sqlite3", REDIS_URL=f"{server}/{other}")
    return a, b


def listener(env: dict[str, str], seconds: float) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", LISTEN, str(seconds)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout.readline().strip() == "ready"
    return process


@pytest.mark.realstack
def test_a_notification_of_one_site_never_reaches_the_other(tmp_path):
    """User 1 of each site listens; site A notifies its user 1, then site B its own.

    Each listener prints the first message it gets: site B's must be its own
    site's, not site A's that was published before.
    """
    a, b = two_sites(tmp_path)
    on_b = listener(b, 120)
    on_a = listener(a, 120)
    run(PUBLISH.replace("TITLE", "from site A"), a)
    got_a = json.loads(on_a.communicate(timeout=150)[0].strip().splitlines()[-1])["received"]
    run(PUBLISH.replace("TITLE", "from site B"), b)
    got_b = json.loads(on_b.communicate(timeout=150)[0].strip().splitlines()[-1])["received"]
    print(f"site A's user 1 first got {got_a}; site B's user 1 first got {got_b}")
    assert got_a["payload"] == {"title": "from site A"}
    assert got_b["payload"] == {"title": "from site B"}


@pytest.mark.realstack
def test_a_task_of_one_site_is_not_consumed_by_the_other_sites_worker(tmp_path):
    a, b = two_sites(tmp_path)
    a_log, b_log = tmp_path / "a.log", tmp_path / "b.log"
    workers = [start_worker(b, "site-b", b_log)]
    try:
        task = run(SEND_PROBE, a)["id"]
        time.sleep(4)  # site B's worker, idle and polling its own queue
        assert task not in b_log.read_text(errors="replace")
        workers.append(start_worker(a, "site-a", a_log))
        deadline = time.monotonic() + 60
        while task not in a_log.read_text(errors="replace"):
            assert time.monotonic() < deadline, a_log.read_text(errors="replace")[-2000:]
            time.sleep(0.2)
        print(f"task {task} of site A waited for site A's worker; site B's worker never took it")
        assert task not in b_log.read_text(errors="replace")
    finally:
        for process in workers:
            stop_worker(process)
