"""Circuit breaker per plugin and per Wagtail site, kept in the Django cache so all processes share it.

Per site, because a plugin is configured per site: one site's bad API key or
dead endpoint must not switch the plugin off on the others. ``site_id=None``
means the default site, as everywhere in the plugin host.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache

from .config import default_site_id


def _conf(key: str) -> int:
    return int(settings.PEERLEARN_PLUGINS[key])


def _failures_key(plugin: str, site_id: int | None = None) -> str:
    site_id = default_site_id() if site_id is None else site_id
    return f"plugins:breaker:failures:{site_id}:{plugin}"


def _open_key(plugin: str, site_id: int | None = None) -> str:
    site_id = default_site_id() if site_id is None else site_id
    return f"plugins:breaker:open-until:{site_id}:{plugin}"


def is_open(plugin: str, site_id: int | None = None) -> bool:
    return open_until(plugin, site_id) is not None


def open_until(plugin: str, site_id: int | None = None) -> float | None:
    return _still_open(cache.get(_open_key(plugin, site_id)))


def _still_open(until: float | None) -> float | None:
    return until if until is not None and until > time.time() else None


def state_keys(plugin: str, site_id: int) -> tuple[str, str]:
    """The cache keys of a plugin's open-until time and failure count, for reading them with other keys at once."""
    return _open_key(plugin, site_id), _failures_key(plugin, site_id)


def open_in(found: dict, plugin: str, site_id: int) -> bool:
    """Whether the breaker is open, from a ``cache.get_many`` that included :func:`state_keys`."""
    return _still_open(found.get(_open_key(plugin, site_id))) is not None


def failing_in(found: dict, plugin: str, site_id: int) -> bool:
    """Whether failures are being counted, from a ``cache.get_many`` that included :func:`state_keys`."""
    return bool(found.get(_failures_key(plugin, site_id)))


def _faults_key(plugin: str, site_id: int | None = None) -> str:
    site_id = default_site_id() if site_id is None else site_id
    return f"plugins:breaker:faults:{site_id}:{plugin}"


def record_failure(plugin: str, site_id: int | None = None, *, after_return: bool = False) -> bool:
    """Count a failure; return True when this failure opened the breaker.

    ``after_return`` marks a fault the core found in an answer after the call
    itself returned (and was counted a success): those are counted apart, and
    successes do not clear them, or a plugin that always answers garbage would
    never be switched off. They expire with the count's timeout instead.
    """
    key = (_faults_key if after_return else _failures_key)(plugin, site_id)
    cooldown = _conf("BREAKER_COOLDOWN")
    cache.add(key, 0, timeout=cooldown * 10)
    try:
        failures = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=cooldown * 10)
        failures = 1
    if failures >= _conf("BREAKER_THRESHOLD"):
        cache.set(_open_key(plugin, site_id), time.time() + cooldown, timeout=cooldown)
        cache.delete(key)
        return True
    return False


def record_success(plugin: str, site_id: int | None = None) -> None:
    cache.delete(_failures_key(plugin, site_id))


def reset(plugin: str, site_id: int | None = None) -> None:
    cache.delete_many([_failures_key(plugin, site_id), _faults_key(plugin, site_id), _open_key(plugin, site_id)])
