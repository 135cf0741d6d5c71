"""Resolving a plugin's settings for a site: stored values over defaults."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from wagtail.models import Site

from .meta import PluginConfig, PluginMeta
from .models import PluginConfiguration

_CACHE_SECONDS = 30


def _cache_key(site_id: int | None) -> str:
    return f"plugins:config:{site_id}"


def invalidate(site_id: int | None) -> None:
    cache.delete(_cache_key(site_id))


def default_site_id() -> int | None:
    site = Site.objects.filter(is_default_site=True).only("id").first()
    return site.id if site else None


def stored_for_site(site_id: int | None) -> dict[str, dict[str, Any]]:
    """All stored configurations of a site, keyed by plugin name (cached)."""
    if site_id is None:
        return {}
    key = _cache_key(site_id)
    rows = cache.get(key)
    if rows is None:
        rows = {
            row.plugin: {"enabled": row.enabled, "settings": row.settings, "secrets": row.secrets}
            for row in PluginConfiguration.objects.filter(site_id=site_id)
        }
        cache.set(key, rows, _CACHE_SECONDS)
    return rows


def is_enabled(meta: PluginMeta, name: str, site_id: int | None) -> bool:
    row = stored_for_site(site_id).get(name)
    return meta.enabled_by_default if row is None else bool(row["enabled"])


def resolve(meta: PluginMeta, name: str, site_id: int | None) -> PluginConfig:
    row = stored_for_site(site_id).get(name) or {"settings": {}, "secrets": {}}
    values: dict[str, Any] = {}
    for field in meta.settings:
        source = row["secrets"] if field.is_secret else row["settings"]
        stored = source.get(field.name)
        values[field.name] = field.coerce(stored) if stored not in (None, "") else field.initial()
    return PluginConfig(plugin=name, site_id=site_id, values=values, secret_names=meta.secret_names)
