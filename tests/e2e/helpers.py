"""What many browser tests do the same way: sign a person in, enable a plugin, deliver a signed webhook."""

from __future__ import annotations

import urllib.request
from typing import Any

from playwright.sync_api import Page


def log_in(page: Page, live_server, user) -> None:
    """Give the page ``user``'s session cookie (the sign-in form has its own tests)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}
    page.context.add_cookies([cookie])


def enable_plugin(plugin: str, settings: dict[str, Any] | None = None, secrets: dict[str, Any] | None = None):
    """Enable ``plugin`` on the default site with these settings, as an editor would; returns the site."""
    from wagtail.models import Site

    from core.plugins import config
    from core.plugins.models import PluginConfiguration

    site = Site.objects.get(is_default_site=True)
    PluginConfiguration.objects.update_or_create(
        site=site, plugin=plugin, defaults={"enabled": True, "settings": settings or {}, "secrets": secrets or {}}
    )
    config.invalidate(site.pk)
    return site


def post_webhook(url: str, webhook: tuple[bytes, dict[str, str]]) -> int:
    """POST a gateway's signed webhook ``(body, headers)`` as the gateway would; returns the status."""
    body, headers = webhook
    request = urllib.request.Request(
        url, data=body, method="POST", headers={**headers, "Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status
