"""The active theme is a site setting; a theme overrides templates by path."""

from __future__ import annotations

import shutil

import pytest
from django.template import engines

from core.themes import registry
from core.themes.loaders import CachedThemeLoader
from core.themes.models import ThemeSettings


@pytest.fixture
def second_theme(settings, tmp_path):
    """A theme folder with its own base.html, beside a copy of the default theme."""
    themes = tmp_path / "themes"
    shutil.copytree(settings.THEMES_DIR / "default" / "templates", themes / "default" / "templates")
    (themes / "midnight" / "templates").mkdir(parents=True)
    (themes / "midnight" / "templates" / "base.html").write_text(
        "<html><body class='midnight'>{% block content %}{% endblock %}</body></html>"
    )
    settings.THEMES_DIR = themes
    registry.installed_themes.cache_clear()
    yield "midnight"
    registry.installed_themes.cache_clear()


@pytest.mark.django_db
def test_installed_themes_are_the_folders_with_templates(second_theme):
    assert registry.installed_themes() == ("default", "midnight")


@pytest.mark.django_db
def test_the_site_setting_switches_the_theme(client, second_theme):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    assert "midnight" not in client.get("/accounts/login/").content.decode()
    ThemeSettings.objects.update_or_create(site=site, defaults={"theme": "midnight"})
    html = client.get("/accounts/login/").content.decode()
    assert "class='midnight'" in html


@pytest.mark.django_db
def test_an_unknown_theme_falls_back_to_the_default(client):
    from wagtail.models import Site

    ThemeSettings.objects.update_or_create(site=Site.objects.get(is_default_site=True), defaults={"theme": "gone"})
    assert client.get("/accounts/login/").status_code == 200


def test_the_cached_loader_keys_templates_by_theme():
    engine = engines["django"].engine
    loader = CachedThemeLoader(engine, ["core.themes.loaders.ThemeLoader"])
    token = registry.active_theme.set("default")
    try:
        key_default = loader.cache_key("base.html")
    finally:
        registry.active_theme.reset(token)
    token = registry.active_theme.set("midnight")
    try:
        assert loader.cache_key("base.html") != key_default
    finally:
        registry.active_theme.reset(token)


@pytest.mark.django_db
def test_the_home_page_offers_sign_up_to_visitors_and_the_search_to_people_signed_in(client, django_user_model):
    from core.demo.seed import seed_pages

    seed_pages()
    visitor = client.get("/").content.decode()
    assert "Create your free account" in visitor and 'href="/accounts/signup/" class="btn btn-primary' in visitor
    client.force_login(django_user_model.objects.create_user(email="back@example.com", password="pw-123456789"))
    member = client.get("/").content.decode()
    assert "Create your free account" not in member
    assert '<a href="/mentors/" class="btn btn-primary btn-lg">Find a mentor</a>' in member


@pytest.mark.django_db
def test_a_process_reads_the_sites_once_a_few_seconds_and_each_request_gets_its_own_copies(client, monkeypatch):
    from django.core.cache import cache
    from django.test import RequestFactory
    from wagtail.models import Site

    from core.themes import middleware

    reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **k: (reads.append(key), real_get(key, *a, **k))[1])
    factory = RequestFactory()
    first, second = factory.get("/", HTTP_HOST="localhost"), factory.get("/", HTTP_HOST="localhost")
    site_one, settings_one = middleware._site_and_settings(first)
    site_two, settings_two = middleware._site_and_settings(second)
    assert site_one.pk == site_two.pk and site_one is not site_two and settings_one is not settings_two
    assert reads.count(middleware.SITES_KEY) <= 1  # the second request read nothing

    ThemeSettings.objects.update_or_create(site=Site.objects.get(pk=site_one.pk), defaults={"theme": "gone"})
    _, changed = middleware._site_and_settings(factory.get("/", HTTP_HOST="localhost"))
    assert changed.theme == "gone"  # saved in this process: seen at once

    monkeypatch.setattr(middleware, "monotonic", lambda: 10**9)  # LOCAL_SECONDS later
    reads.clear()
    middleware._site_and_settings(factory.get("/", HTTP_HOST="localhost"))
    assert reads == [middleware.SITES_KEY]  # read again
