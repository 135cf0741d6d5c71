"""Resolving a plugin's settings for a site: stored values over defaults.

Secrets stay encrypted in the cache (it may be Redis, which may be saved to
disk); they are opened in the process that hands them to the plugin. A plugin
with a stored secret that no configured key opens is treated as not configured
on that site (not called), and an error says which secret to enter again.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache import cache
from django.db import models
from django.db.models import ExpressionWrapper, F
from wagtail.models import Site

from . import encryption
from .meta import PluginConfig, PluginMeta
from .models import PluginConfiguration

logger = logging.getLogger("peerlearn.plugins")

_CACHE_SECONDS = 30


def cache_key(site_id: int | None) -> str:
    """Where a site's stored configurations are cached (read with other keys in one ``get_many``)."""
    return _cache_key(site_id)


def _cache_key(site_id: int | None) -> str:
    return f"plugins:config:{site_id}"


def invalidate(site_id: int | None) -> None:
    cache.delete(_cache_key(site_id))


def default_site_id() -> int | None:
    """The default site's id, kept until a site changes (every hook call and domain event without a site asks)."""
    from core.pages.cache import cached_part

    def build() -> int | None:
        return Site.objects.filter(is_default_site=True).values_list("id", flat=True).first()

    return cached_part("default-site-id", [], ["site"], build, in_process=True)


def stored_for_site(site_id: int | None, cached: dict | None = None) -> dict[str, dict[str, Any]]:
    """All stored configurations of a site, keyed by plugin name (cached).

    ``cached``: the cache's value, when the caller already read it with other keys.
    """
    if site_id is None:
        return {}
    key = _cache_key(site_id)
    rows = cached if cached is not None else cache.get(key)
    if rows is None:
        # The secrets exactly as stored (encrypted), not opened by the model field.
        sealed = ExpressionWrapper(F("secrets"), output_field=models.JSONField())
        rows = {}
        for row in PluginConfiguration.objects.filter(site_id=site_id).annotate(sealed_secrets=sealed).defer("secrets"):
            secrets = row.sealed_secrets or {}
            rows[row.plugin] = {
                "enabled": row.enabled,
                "settings": row.settings,
                "secrets": secrets,
                "unreadable": _unreadable(row.plugin, site_id, secrets),
            }
        cache.set(key, rows, _CACHE_SECONDS)
    return rows


def _open_secret(plugin: str, site_id: int | None, name: str, value: Any) -> tuple[bool, Any]:
    """``(True, plain value)``, or ``(False, None)`` with an error logged when no configured key opens it."""
    try:
        return True, encryption.decrypt(value)
    except encryption.SecretDecryptionError as exc:
        logger.error(
            "Plugin %s on site %s: the stored secret %r cannot be decrypted: %s. The plugin is treated as not "
            "configured there until the secret is entered again (Settings > Plugins), or the key it was "
            "encrypted with is listed in SECRET_KEY_FALLBACKS.",
            plugin,
            site_id,
            name,
            exc,
        )
        return False, None


def _unreadable(plugin: str, site_id: int, secrets: dict[str, Any]) -> list[str]:
    """The names of the stored secrets that no configured key opens."""
    return [name for name, value in secrets.items() if not _open_secret(plugin, site_id, name, value)[0]]


def is_enabled(meta: PluginMeta, name: str, site_id: int | None, cached: dict | None = None) -> bool:
    row = stored_for_site(site_id, cached).get(name)
    if row is None:
        return meta.enabled_by_default
    return bool(row["enabled"]) and not row.get("unreadable")


def resolve(meta: PluginMeta, name: str, site_id: int | None, cached: dict | None = None) -> PluginConfig:
    row = stored_for_site(site_id, cached).get(name) or {"settings": {}, "secrets": {}}
    unreadable = set(row.get("unreadable") or ())
    values: dict[str, Any] = {}
    for field in meta.settings:
        if field.is_secret:
            readable, stored = False, None
            if field.name not in unreadable:
                readable, stored = _open_secret(name, site_id, field.name, row["secrets"].get(field.name))
            if not readable:  # empty: never the environment's default, never the token
                values[field.name] = field.coerce(None)
                continue
        else:
            stored = row["settings"].get(field.name)
        values[field.name] = field.coerce(stored) if stored not in (None, "") else field.initial()
    return PluginConfig(plugin=name, site_id=site_id, values=values, secret_names=meta.secret_names)
