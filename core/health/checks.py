"""Readiness checks: can this process serve requests that need the database, cache and channel layer?

Each check answers ``None`` when healthy or a short reason. They are bounded by
``HEALTH_CHECK_TIMEOUT`` seconds so a probe never hangs on a dead dependency:
the database is reached through the connection pool with that timeout (not the
pool's own, longer one), Redis with socket timeouts.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection

_migrated = threading.Event()  # once true, stays true for the life of the process


def _timeout() -> float:
    return float(getattr(settings, "HEALTH_CHECK_TIMEOUT", 2.0))


def database() -> str | None:
    """Reachable and fully migrated (migrations are checked until they are, then remembered)."""
    try:
        pool = getattr(connection, "pool", None)
        if pool is not None:
            pool.open()
            with pool.connection(timeout=_timeout()) as conn:
                conn.execute("SELECT 1")
        else:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        if not _migrated.is_set():
            from django.db.migrations.executor import MigrationExecutor

            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
            if pending:
                return f"{len(pending)} migration(s) not applied"
            _migrated.set()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with its reason
        return f"unreachable: {type(exc).__name__}"
    finally:
        close_old_connections()
    return None


def cache_backend() -> str | None:
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, 1, 5)
        if cache.get(key) != 1:
            return "value written was not read back"
        cache.delete(key)
    except Exception as exc:  # noqa: BLE001
        return f"unreachable: {type(exc).__name__}"
    return None


def channel_layer() -> str | None:
    """The layer's Redis servers answer PING (the in-memory layer is always there)."""
    config = settings.CHANNEL_LAYERS.get("default", {})
    hosts = config.get("CONFIG", {}).get("hosts") or []
    if not hosts:
        return None
    import redis

    for host in hosts:
        address = host if isinstance(host, str) else host.get("address")
        try:
            client = redis.Redis.from_url(address, socket_timeout=_timeout(), socket_connect_timeout=_timeout())
            try:
                client.ping()
            finally:
                client.close()
        except Exception as exc:  # noqa: BLE001
            return f"unreachable: {type(exc).__name__}"
    return None


CHECKS: dict[str, Callable[[], str | None]] = {
    "database": database,
    "cache": cache_backend,
    "channel_layer": channel_layer,
}


def run() -> dict[str, str]:
    """Every check's result: ``"ok"`` or the reason it failed."""
    return {name: (check() or "ok") for name, check in CHECKS.items()}
