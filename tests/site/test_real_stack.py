"""The real stack on this machine: PostgreSQL, Redis channel layer and cache, a Celery worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection

pytestmark = pytest.mark.realstack
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_cache_is_redis():
    cache.set("realstack-probe", {"ok": 1}, 30)
    assert cache.get("realstack-probe") == {"ok": 1}
    assert isinstance(caches["default"], RedisCache)


def test_channel_layer_carries_messages_through_redis():
    layer = get_channel_layer()
    assert type(layer).__name__ == "RedisPubSubChannelLayer"

    async def roundtrip():
        channel = await layer.new_channel()
        await layer.group_add("realstack-probe", channel)
        await layer.group_send("realstack-probe", {"type": "probe", "n": 7})
        message = await layer.receive(channel)
        await layer.group_discard("realstack-probe", channel)
        await layer.flush()
        return message

    assert async_to_sync(roundtrip)() == {"type": "probe", "n": 7}


def test_a_celery_worker_runs_tasks_from_the_redis_broker(transactional_db):
    # The worker is a separate process: point it at the test database.
    test_db = connection.settings_dict["NAME"]
    base_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peerlearn.settings.test", "DATABASE_URL": f"{base_url}/{test_db}"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "peerlearn",
            "worker",
            "--pool=solo",
            "--concurrency=1",
            "--loglevel=WARNING",
            "-n",
            f"realstack-{os.getpid()}@%h",
            "-Q",
            f"realstack-{os.getpid()}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        from core.plugins.tasks import prune_plugin_errors

        result = prune_plugin_errors.apply_async(queue=f"realstack-{os.getpid()}")
        assert result.get(timeout=60) >= 0
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
