"""The Redis cache shares one connection pool per process, whatever the request context.

Django keeps a cache object per context; under ASGI every request is a new one.
Before, each of those built its own pool and opened a new connection, so a web
worker connected to Redis once per request (README, "Holding a crowd").
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading

import pytest
from peerlearn.cache import FailSoftRedisCache

pytestmark = pytest.mark.realstack

LOCATION = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def _cache() -> FailSoftRedisCache:
    return FailSoftRedisCache(LOCATION, {"OPTIONS": {"socket_connect_timeout": 1}, "KEY_PREFIX": "test-pool"})


def _connections_made(cache: FailSoftRedisCache) -> int:
    return cache._cache._get_connection_pool(True)._created_connections


def test_cache_objects_of_many_contexts_share_one_pool_and_connection():
    first = _cache()
    first.set("shared", "yes")
    made = _connections_made(first)

    seen = []

    def in_another_context() -> None:
        other = _cache()
        seen.append((other.get("shared"), other._cache.get_client()))

    for _ in range(20):  # what twenty requests, each its own context and thread, used to do
        thread = threading.Thread(target=contextvars.Context().run, args=(in_another_context,))
        thread.start()
        thread.join()
    assert seen == [("yes", first._cache.get_client())] * 20
    assert _connections_made(first) == made


def test_concurrent_requests_reuse_pooled_connections():
    """Forty concurrent "requests" (asyncio tasks, each a context) need at most one connection each at once."""
    cache = _cache()

    async def request(n: int) -> None:
        await asyncio.to_thread(lambda: _cache().set(f"k{n}", n))

    async def crowd() -> None:
        await asyncio.gather(*(request(n) for n in range(40)))

    asyncio.run(crowd())
    before = _connections_made(cache)
    asyncio.run(crowd())
    assert _connections_made(cache) - before <= 40
    assert cache.get_many([f"k{n}" for n in range(40)]) == {f"k{n}": n for n in range(40)}


def test_an_outage_seen_by_one_context_is_known_to_the_others():
    """The fail-soft clock is per server, not per cache object: other requests skip a dead Redis at once."""
    dead = FailSoftRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    assert dead.get("anything", "fallback") == "fallback"
    other = FailSoftRedisCache("redis://127.0.0.1:1/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
    assert other._down_until > 0
    assert other.get("anything", "fallback") == "fallback"
    FailSoftRedisCache._outages.pop("redis://127.0.0.1:1/0", None)
