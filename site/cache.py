"""The Redis cache, failing soft: while Redis is down, reads miss and writes are dropped.

Everything PeerLearn keeps in the cache can be recomputed (plugin configs,
breaker counts, rate-limit windows, page fragments), so a Redis restart must
not turn every page into a 500. Only connection failures are absorbed; any
other Redis error still raises. The first failure of an outage is logged as a
warning, the recovery as info, nothing in between.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger("peerlearn.cache")

UNAVAILABLE = (RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError)
#: After a failure, calls skip Redis for this long instead of waiting on a dead socket each time.
RETRY_AFTER = 1.0


def _fail_soft(fallback: Callable[..., Any]) -> Callable:
    """Wrap a cache method: on a connection failure answer ``fallback(*args, **kwargs)``."""

    def wrap(method: Callable) -> Callable:
        @functools.wraps(method)
        def call(self: FailSoftRedisCache, *args: Any, **kwargs: Any) -> Any:
            if time.monotonic() < self._down_until:
                return fallback(*args, **kwargs)
            try:
                result = method(self, *args, **kwargs)
            except UNAVAILABLE as exc:
                if not self._down_until:
                    log.warning("Redis cache unavailable (%s); serving without the cache", exc)
                self._down_until = time.monotonic() + RETRY_AFTER
                return fallback(*args, **kwargs)
            if self._down_until:
                log.info("Redis cache is back")
                self._down_until = 0.0
            return result

        return call

    return wrap


def _default(key: str, default: Any = None, *args: Any, **kwargs: Any) -> Any:
    return kwargs.get("default", default)


def _false(*args: Any, **kwargs: Any) -> bool:
    return False


def _none(*args: Any, **kwargs: Any) -> None:
    return None


def _empty(*args: Any, **kwargs: Any) -> Any:
    return {}


def _missing(key: str, *args: Any, **kwargs: Any) -> Any:
    raise ValueError(f"Key {key!r} not found (the cache is unavailable).")


def _all_failed(data: dict, *args: Any, **kwargs: Any) -> list:
    return list(data)


class SharedRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client with one connection pool and one ``redis.Redis`` per process.

    Django keeps a cache object per *context*, and under ASGI every request
    (and every thread hop) is a new context: each built a new ``RedisCacheClient``,
    so a new connection pool and a new TCP connection with its handshake, for
    every request (a third of a web worker's CPU under ``bench.load``, measured
    with py-spy). The pools live here instead, one per server and options, shared
    by every cache object of the process; redis-py resets a pool it finds in a
    forked child. Django also builds a new ``redis.Redis`` for every call, and
    redis-py copies its ~170 response callbacks into each (about 0.15 ms): one
    client per pool is kept as well, since a ``redis.Redis`` is safe to share
    between threads.
    """

    _shared_pools: dict[tuple[str, str], Any] = {}
    _shared_clients: dict[int, Any] = {}
    _lock = threading.Lock()

    def _get_connection_pool(self, write: bool) -> Any:
        server = self._servers[self._get_connection_pool_index(write)]
        key = (server, repr(sorted(self._pool_options.items(), key=lambda item: item[0])))
        pool = self._shared_pools.get(key)
        if pool is None:
            with self._lock:
                pool = self._shared_pools.get(key)
                if pool is None:
                    pool = self._shared_pools[key] = self._pool_class.from_url(server, **self._pool_options)
        return pool

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        pool = self._get_connection_pool(write)
        client = self._shared_clients.get(id(pool))
        if client is None:
            client = self._shared_clients.setdefault(id(pool), self._client(connection_pool=pool))
        return client


class FailSoftRedisCache(RedisCache):
    """Django's RedisCache that degrades to "no cache" while Redis is unreachable."""

    #: Per server: until when calls skip Redis. Shared by the process's cache objects (one per request context).
    _outages: dict[str, float] = {}

    def __init__(self, server: str, params: dict) -> None:
        super().__init__(server, params)
        self._class = SharedRedisCacheClient
        self._location = server

    @property
    def _down_until(self) -> float:
        return self._outages.get(self._location, 0.0)

    @_down_until.setter
    def _down_until(self, until: float) -> None:
        self._outages[self._location] = until

    get = _fail_soft(_default)(RedisCache.get)
    get_many = _fail_soft(_empty)(RedisCache.get_many)
    has_key = _fail_soft(_false)(RedisCache.has_key)
    set = _fail_soft(_none)(RedisCache.set)
    add = _fail_soft(_false)(RedisCache.add)
    touch = _fail_soft(_false)(RedisCache.touch)
    set_many = _fail_soft(_all_failed)(RedisCache.set_many)
    delete = _fail_soft(_false)(RedisCache.delete)
    delete_many = _fail_soft(_none)(RedisCache.delete_many)
    incr = _fail_soft(_missing)(RedisCache.incr)
    clear = _fail_soft(_false)(RedisCache.clear)
