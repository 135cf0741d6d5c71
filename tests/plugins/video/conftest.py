"""The test video plugins, installed as a real distribution (dist-info with entry points)."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

FIXTURE_DIST = Path(__file__).parent / "fixture_dist"


@pytest.fixture
def video_plugins(db, settings):
    """A plugin manager that also sees the test video plugins (disabled until enabled per site)."""
    from core.plugins.manager import get_manager, reset_manager

    settings.PEERLEARN_PLUGINS = {**settings.PEERLEARN_PLUGINS, "TIME_BUDGET": 1.0}
    sys.path.insert(0, str(FIXTURE_DIST))
    importlib.invalidate_caches()
    reset_manager()
    yield get_manager()
    sys.path.remove(str(FIXTURE_DIST))
    importlib.invalidate_caches()
    reset_manager()


def default_site():
    """The default Wagtail site; transactional tests flush the one the migrations made, so make it again."""
    from wagtail.models import Locale, Page, Site

    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Locale.objects.get_or_create(language_code="en")
        root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
        site = Site.objects.create(hostname="localhost", root_page=root, is_default_site=True, site_name="PeerLearn")
    return site


@pytest.fixture
def configure_plugin(db):
    """Enable or disable a plugin on the default site, with settings."""
    from core.plugins.models import PluginConfiguration

    def configure(name: str, enabled: bool = True, **settings_values):
        PluginConfiguration.objects.update_or_create(
            site=default_site(),
            plugin=name,
            defaults={"enabled": enabled, "settings": settings_values, "secrets": {}},
        )

    return configure


@pytest.fixture
def janus(tmp_path):
    """A private Janus on loopback ports of this project's range (skipped when the package is missing)."""
    from .janus_server import janus_missing, janus_server

    reason = janus_missing()
    if reason:
        pytest.skip(reason)
    with janus_server(tmp_path) as running:
        yield running


@pytest.fixture
def janus_site(janus, db):
    """The Janus plugin enabled on the default site, pointed at the private server."""
    from core.plugins import config as plugin_config
    from core.plugins.models import PluginConfiguration

    site = default_site()
    PluginConfiguration.objects.update_or_create(
        site=site,
        plugin="video_janus",
        defaults={
            "enabled": True,
            "settings": {"admin_url": janus.admin_url, "public_ws_url": janus.ws_url, "max_participants": 50},
            "secrets": {"admin_secret": janus.admin_secret},
        },
    )
    plugin_config.invalidate(site.pk)
    return janus
