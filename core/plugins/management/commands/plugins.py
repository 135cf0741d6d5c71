"""``manage.py plugins``: every installed plugin, its metadata and state."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from core.plugins import breaker
from core.plugins.config import default_site_id
from core.plugins.manager import get_manager
from core.plugins.models import PluginError


class Command(BaseCommand):
    help = "List installed PeerLearn plugins with their metadata, state and recent errors."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--site", type=int, help="Wagtail site id (default: the default site)")
        parser.add_argument("--json", action="store_true", help="Print JSON instead of a table")

    def handle(self, *args, site=None, json=False, **options) -> None:
        manager = get_manager()
        site_id = site or default_site_id()
        rows = []
        for plugin in sorted(manager.plugins.values(), key=lambda p: p.name):
            meta = plugin.meta
            if not plugin.loaded:
                state = "not loaded"
            elif breaker.is_open(plugin.name, site_id):
                state = "breaker open"
            else:
                state = "enabled" if manager.is_enabled(plugin.name, site_id) else "disabled"
                if state == "enabled" and meta and meta.missing_settings(manager.config_for(plugin.name, site_id)):
                    state = "not configured"
            rows.append(
                {
                    "name": plugin.name,
                    "title": meta.name if meta else "",
                    "kind": meta.kind if meta else "",
                    "version": meta.version if meta else plugin.distribution_version,
                    "author": meta.author if meta else "",
                    "core_versions": meta.core_versions if meta else "",
                    "distribution": f"{plugin.distribution} {plugin.distribution_version}".strip(),
                    "entry_point": plugin.entry_point,
                    "hooks": plugin.hooks,
                    "state": state,
                    "load_error": plugin.load_error,
                    "errors": PluginError.objects.for_site(site_id).filter(plugin=plugin.name).count(),
                    "breaker": "open" if breaker.is_open(plugin.name, site_id) else "closed",
                    "last_error": _last_error(plugin.name, site_id),
                    "description": meta.description if meta else "",
                }
            )
        if json:
            self.stdout.write(_json_dumps(rows))
            return
        if not rows:
            self.stdout.write("No plugins installed (entry-point group peerlearn.plugins).")
            return
        header = f"{'NAME':<22} {'KIND':<12} {'VERSION':<9} {'STATE':<13} {'ERRORS':>6}  DESCRIPTION"
        self.stdout.write(header)
        for row in rows:
            self.stdout.write(
                f"{row['name']:<22} {row['kind']:<12} {row['version']:<9} {row['state']:<13} "
                f"{row['errors']:>6}  {row['description'][:70]}"
            )
            if row["load_error"]:
                self.stdout.write(self.style.ERROR(f"{'':<22} ! {row['load_error']}"))
            elif row["last_error"]:
                self.stdout.write(self.style.WARNING(f"{'':<22} last error: {row['last_error'][:200]}"))


def _last_error(plugin: str, site_id: int | None) -> str:
    """The plugin's most recent recorded failure on the site, when and where: "" when there is none."""
    error = PluginError.objects.for_site(site_id).filter(plugin=plugin).order_by("-created_at", "-id").first()
    if error is None:
        return ""
    return f"{error.created_at:%Y-%m-%d %H:%M} UTC {error.hook} ({error.kind}): {error.message}"


def _json_dumps(rows) -> str:
    return json.dumps(rows, indent=2)
