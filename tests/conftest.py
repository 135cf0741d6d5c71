"""Shared fixtures. Real-stack checks run when DATABASE_URL / REDIS_URL are set."""

from __future__ import annotations

import os

import pytest

from peerlearn_testing.site import ensure_default_site

REQUIRE_SERVICES = os.environ.get("PEERLEARN_REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    """Skip `realstack` tests without the services, unless CI requires them; skip `stackless` ones
    with them (their processes drop DATABASE_URL and REDIS_URL: the embedded run already ran them)."""
    if os.environ.get("REDIS_URL") and os.environ.get("DATABASE_URL"):
        repeat = pytest.mark.skip(reason="stackless: runs on the embedded default whatever the environment")
        for item in items:
            if "stackless" in item.keywords:
                item.add_marker(repeat)
        return
    if REQUIRE_SERVICES:
        raise pytest.UsageError("PEERLEARN_REQUIRE_SERVICES=1 but DATABASE_URL/REDIS_URL are not set")
    skip = pytest.mark.skip(reason="needs DATABASE_URL and REDIS_URL (the real stack)")
    for item in items:
        if "realstack" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Breakers and cached plugin configs live in the cache: start each test clean (with what each
    process keeps of the cache for seconds, which a cleared cache would otherwise outlive)."""
    from django.core.cache import cache

    from core.pages import in_process
    from core.scheduling.middleware import forget_hold_deadline
    from core.themes.middleware import forget_sites

    cache.clear()
    forget_hold_deadline()
    forget_sites()
    in_process.forget()
    yield
    cache.clear()
    forget_hold_deadline()
    forget_sites()
    in_process.forget()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's language: a request as a member who chose another language
    leaves it active on the thread (as in production, where the next request chooses again)."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _wagtail_site_after_flush(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or any(
        name in request.fixturenames for name in ("transactional_db", "live_server")
    )
    if transactional:
        request.getfixturevalue("transactional_db")
        ensure_default_site()
    yield


@pytest.fixture
def user_factory(db):
    from core.accounts.models import User

    counter = {"n": 0}

    def make(**extra) -> User:
        counter["n"] += 1
        extra.setdefault("email", f"person{counter['n']}@example.org")
        extra.setdefault("display_name", f"Person {counter['n']}")
        password = extra.pop("password", "a-Strong-pass-123")
        return User.objects.create_user(password=password, **extra)

    return make


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def page_cache_on(settings):
    """The page cache and the kept parts on (the test settings turn them off)."""
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed():`` runs the after-commit work (cache bumps, pushes) of what happens inside."""
    return lambda: django_capture_on_commit_callbacks(execute=True)
