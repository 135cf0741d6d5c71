"""What many browser tests do the same way: sign a person in, enable a plugin, deliver a signed webhook."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
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


def priced_booking(password: str = "a-Strong-pass-123"):
    """Maya's 35.00 EUR session in three days and Lee's booking of it, pending payment: ``(booking, learner)``."""
    from datetime import UTC, datetime, timedelta

    from core.accounts.models import User
    from core.payments.services.ledger import freeze_commission
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session
    from peerlearn_testing.site import ensure_default_site

    ensure_default_site()
    mentor = User.objects.create_user("maya@example.org", password, display_name="Maya Mentor", is_mentor=True)
    learner = User.objects.create_user("lee@example.org", password, display_name="Lee Learner")
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    session = create_session(
        mentor, title="Pandas in practice", start=start, duration_minutes=60, price_minor=3_500, currency="EUR"
    )
    booking = book_session(session, learner)
    freeze_commission(booking)
    return booking, learner


@contextmanager
def screenshot_on_failure(page: Page, path: Path) -> Iterator[None]:
    """A browser journey: on failure keep a full-page screenshot at ``path``; close the context either way."""
    try:
        yield
    except Exception:
        page.screenshot(path=str(path), full_page=True)
        raise
    finally:
        page.context.close()
