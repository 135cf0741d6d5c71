"""Circuit breaker per plugin, kept in the Django cache so all processes share it."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache


def _conf(key: str) -> int:
    return int(settings.PEERLEARN_PLUGINS[key])


def _failures_key(plugin: str) -> str:
    return f"plugins:breaker:failures:{plugin}"


def _open_key(plugin: str) -> str:
    return f"plugins:breaker:open-until:{plugin}"


def is_open(plugin: str) -> bool:
    until = cache.get(_open_key(plugin))
    return until is not None and until > time.time()


def open_until(plugin: str) -> float | None:
    until = cache.get(_open_key(plugin))
    return until if until is not None and until > time.time() else None


def record_failure(plugin: str) -> bool:
    """Count a failure; return True when this failure opened the breaker."""
    key = _failures_key(plugin)
    cooldown = _conf("BREAKER_COOLDOWN")
    cache.add(key, 0, timeout=cooldown * 10)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=cooldown * 10)
        failures = 1
    if failures >= _conf("BREAKER_THRESHOLD"):
        cache.set(_open_key(plugin), time.time() + cooldown, timeout=cooldown)
        cache.delete(key)
        return True
    return False


def record_success(plugin: str) -> None:
    cache.delete(_failures_key(plugin))


def reset(plugin: str) -> None:
    cache.delete_many([_failures_key(plugin), _open_key(plugin)])
