from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from core.plugins.manager import get_manager, reset_manager

FIXTURE_DIST = Path(__file__).parent / "fixture_dist"
TEST_PLUGINS = ["test_good", "test_raises", "test_hangs", "test_garbage"]


@pytest.fixture
def test_plugins(db, settings):
    """Install the test distribution (a real dist-info with entry points) and load it."""
    settings.PEERLEARN_PLUGINS = {
        **settings.PEERLEARN_PLUGINS,
        "TIME_BUDGET": 0.3,
        "BREAKER_THRESHOLD": 3,
        "BREAKER_COOLDOWN": 60,
    }
    sys.path.insert(0, str(FIXTURE_DIST))
    importlib.invalidate_caches()
    reset_manager()
    from tests.plugins import sample_plugins

    sample_plugins.good.calls = sample_plugins.raising.calls = 0
    sample_plugins.hanging.release.clear()
    manager = get_manager()
    yield manager
    sample_plugins.hanging.release.set()
    sys.path.remove(str(FIXTURE_DIST))
    importlib.invalidate_caches()
    reset_manager()


@pytest.fixture
def default_site(db):
    from wagtail.models import Site

    return Site.objects.get(is_default_site=True)


@pytest.fixture
def enable(default_site):
    from core.plugins.models import PluginConfiguration

    def _enable(*names, site=None, **settings_values):
        for name in names:
            PluginConfiguration.objects.update_or_create(
                site=site or default_site,
                plugin=name,
                defaults={
                    "enabled": True,
                    "settings": settings_values.get("settings", {}),
                    "secrets": settings_values.get("secrets", {}),
                },
            )

    return _enable


@pytest.fixture
def participant():
    from core.plugins import Participant

    return Participant(user_id=7, display_name="Ada", role="learner")
