"""The real stack on this machine: PostgreSQL, Redis channel layer and cache, a Celery worker."""

from __future__ import annotations

import os
import time
from types import SimpleNamespace

import pytest
from asgiref.sync import async_to_sync
from celery.exceptions import TimeoutError as CeleryTimeout
from channels.layers import get_channel_layer
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection

from .workers import start_worker, stop_worker

pytestmark = pytest.mark.realstack


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


def test_a_celery_worker_runs_tasks_from_the_redis_broker(transactional_db, tmp_path):
    # The worker is a separate process: point it at the test database. Its own queue: tasks other
    # tests left in the run's default queue are not its business.
    test_db = connection.settings_dict["NAME"]
    base_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peerlearn.settings.test", "DATABASE_URL": f"{base_url}/{test_db}"}
    queue = f"realstack-{os.getpid()}"
    log = tmp_path / "worker.log"
    worker = start_worker(env, "realstack", log, "-Q", queue)
    try:
        from core.plugins.tasks import prune_plugin_errors

        result = prune_plugin_errors.apply_async(queue=queue)
        try:
            assert result.get(timeout=60) >= 0
        except CeleryTimeout:
            pytest.fail(f"the worker took no task in 60 s; its log ends:\n{log.read_text(errors='replace')[-2000:]}")
    finally:
        stop_worker(worker)


def _other_backends(test_db: str) -> set[int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [test_db])
        return {pid for (pid,) in cursor.fetchall()}


def test_a_prefork_worker_keeps_its_database_connection_between_tasks(transactional_db, tmp_path):
    # Celery's fixup closed a prefork child's pool around every task: PostgreSQL forked a backend per
    # task. The child's connection now goes back to its pool and serves the next task.
    test_db = connection.settings_dict["NAME"]
    base_url = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "peerlearn.settings.test", "DATABASE_URL": f"{base_url}/{test_db}"}
    queue = f"realstack-reuse-{os.getpid()}"
    ours = _other_backends(test_db)  # this test process's own pooled connections
    worker = start_worker(env, "reuse", tmp_path / "worker.log", "-Q", queue, "--pool=prefork", "--concurrency=1")
    try:
        from core.plugins.tasks import prune_plugin_errors

        def run_task() -> set[int]:
            assert prune_plugin_errors.apply_async(queue=queue).get(timeout=60) >= 0
            return _other_backends(test_db) - ours

        first = run_task()  # the child's pool opens, and may grow by one while it does
        deadline = time.monotonic() + 10
        while (settled := _other_backends(test_db) - ours) != first and time.monotonic() < deadline:
            first = settled
            time.sleep(0.5)
        assert first, "no connection of the worker's stayed open after its first task"
        assert [run_task() for _ in range(3)] == [first] * 3  # the same backends, task after task
    finally:
        stop_worker(worker)


def test_a_worker_task_hands_its_connection_back_to_the_pool_and_an_eager_task_does_not(transactional_db):
    from peerlearn.celery import hand_back_connections

    def task(eager: bool) -> SimpleNamespace:
        return SimpleNamespace(request=SimpleNamespace(is_eager=eager))

    connection.ensure_connection()
    hand_back_connections(sender=task(eager=False))
    assert connection.connection is None  # back in the pool, as at a request's end
    connection.ensure_connection()
    hand_back_connections(sender=task(eager=True))
    assert connection.connection is not None  # the caller's (a request's, a test's): left alone
