"""Static files as production serves them: collected, hashed, compressed, cached for a year.

``collectstatic`` runs under the production settings into a temporary folder;
then every public page, the login and sign-up pages, the room page and the
Wagtail admin login render with DEBUG off through the manifest storage (a
missing manifest entry would answer 500), and WhiteNoise serves what they link.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, override_settings

from tests.rooms.conftest import make_world

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
STATIC_URL_RE = re.compile(r"""(?:href|src)="(/static/[^"?#]+)""")
HASHED_RE = re.compile(r"\.[0-9a-f]{12}\.\w+$")


@pytest.fixture(scope="module")
def collected(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("static")
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="peerlearn.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="testserver",
        STATIC_ROOT=str(root),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (root / "staticfiles.json").exists()
    return root


@pytest.fixture
def production_static(collected, settings):
    with override_settings(
        STATIC_ROOT=collected, STORAGES=PRODUCTION_STORAGES, WHITENOISE_USE_FINDERS=False, DEBUG=False
    ):
        yield collected


def _pages_to_render(user_factory) -> tuple[list[str], object]:
    from wagtail.models import Page

    from core.catalogue import demo
    from core.demo.seed import SeedContext, SeedReport, seed_pages, seed_people, seed_skills

    skills = seed_skills()
    mentors, learners = seed_people(skills, mentors=3, learners=2)
    demo.seed(SeedContext(skills=skills, mentors=mentors, learners=learners, home=seed_pages(), report=SeedReport()))
    live = [page.url for page in Page.objects.live().public().specific() if page.depth > 1 and page.url]
    world = make_world(user_factory)
    return [*live, "/mentors/", "/accounts/login/", "/accounts/signup/", "/admin/login/"], world


@pytest.mark.django_db
def test_pages_render_with_collected_hashed_static_files(production_static, user_factory):
    urls, world = _pages_to_render(user_factory)
    assert len(urls) > 8
    anonymous = Client()
    linked: set[str] = set()
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 200, f"{url}: {response.status_code}"
        linked.update(STATIC_URL_RE.findall(response.content.decode()))

    learner = Client()
    learner.force_login(world.learner)
    room = learner.get(f"/sessions/{world.session.pk}/room/")
    assert room.status_code == 200
    linked.update(STATIC_URL_RE.findall(room.content.decode()))

    assert linked, "the pages link no static files"
    unhashed = sorted(url for url in linked if not HASHED_RE.search(url))
    assert not unhashed, f"linked without a content hash: {unhashed}"
    for url in sorted(linked):
        response = anonymous.get(url, HTTP_ACCEPT_ENCODING="gzip, br")
        assert response.status_code == 200, url
        cache_control = response["Cache-Control"]
        assert "immutable" in cache_control and "max-age=315360000" in cache_control, (url, cache_control)
        if url.endswith((".css", ".js")):
            assert response.get("Content-Encoding") in {"br", "gzip"}, url


@pytest.mark.django_db
def test_unknown_url_gives_the_404_page_without_a_traceback(production_static):
    response = Client().get("/no-such-page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert "Traceback" not in body and "URLconf" not in body
