"""Settings resolve to the embedded default or the real stack from the environment."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET_ENV = ("SECRET_KEY_FALLBACKS", "PEERLEARN_SECRETS_KEY", "PEERLEARN_SECRETS_KEY_FALLBACKS")

PROBE = """
import json, django
from django.conf import settings
django.setup()
from peerlearn.celery import app
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": settings.DATABASES["default"]["NAME"],
    "layer": settings.CHANNEL_LAYERS["default"]["BACKEND"],
    "cache": settings.CACHES["default"]["BACKEND"],
    "eager": app.conf.task_always_eager,
    "broker": app.conf.broker_url,
    "app": app.main,
    "debug": settings.DEBUG,
    "verification": settings.ACCOUNT_EMAIL_VERIFICATION,
    "fallbacks": settings.SECRET_KEY_FALLBACKS,
    "secrets_key": settings.PEERLEARN_SECRETS_KEY,
    "secrets_fallbacks": settings.PEERLEARN_SECRETS_KEY_FALLBACKS,
}))
"""


def probe(module: str, **env: str) -> dict:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DEBUG", *SECRET_ENV}
    }
    clean.update(DJANGO_SETTINGS_MODULE=module, **env)
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_nothing_set_gives_the_embedded_default():
    conf = probe("peerlearn.settings.dev")
    assert conf["engine"] == "django.db.backends.sqlite3"
    assert conf["layer"] == "channels.layers.InMemoryChannelLayer"
    assert conf["cache"].endswith("LocMemCache")
    assert conf["eager"] is True
    assert conf["app"] == "peerlearn"
    assert conf["debug"] is True
    assert conf["verification"] == "optional"


def test_key_rotation_comes_from_the_environment():
    assert probe("peerlearn.settings.dev")["fallbacks"] == []
    conf = probe(
        "peerlearn.settings.dev",
        SECRET_KEY_FALLBACKS="old-one, old-two",
        PEERLEARN_SECRETS_KEY="dedicated",
        PEERLEARN_SECRETS_KEY_FALLBACKS="older",
    )
    assert (conf["fallbacks"], conf["secrets_key"], conf["secrets_fallbacks"]) == (
        ["old-one", "old-two"],
        "dedicated",
        ["older"],
    )


def test_database_and_redis_urls_give_the_real_stack():
    conf = probe(
        "peerlearn.settings.dev",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/test",
        REDIS_URL="redis://127.0.0.1:6379/0",
    )
    assert conf["engine"] == "core.ops.postgresql"  # Django's backend, a request's turn taken first
    assert conf["db_name"] == "test"
    assert conf["layer"] == "channels_redis.pubsub.RedisPubSubChannelLayer"
    assert conf["cache"] == "peerlearn.cache.FailSoftRedisCache"
    assert conf["eager"] is False
    assert conf["broker"] == "redis://127.0.0.1:6379/0"


def deploy_check(**env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    clean.update(DJANGO_SETTINGS_MODULE="peerlearn.settings.production", **env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )


def test_production_passes_check_deploy_with_no_warning():
    result = deploy_check(SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="peerlearn.example.org")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout
    probe_conf = probe(
        "peerlearn.settings.production", SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="peerlearn.example.org"
    )
    assert probe_conf["verification"] == "mandatory" and probe_conf["debug"] is False


@pytest.mark.parametrize("secret", ["", "short", "a" * 60])
def test_production_refuses_a_missing_or_weak_secret(secret):
    result = deploy_check(SECRET_KEY=secret, ALLOWED_HOSTS="peerlearn.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


ENTRY_POINT_PROBE = """
import importlib, json, sys
module = importlib.import_module(sys.argv[1])
from django.conf import settings
print(json.dumps({"module": settings.SETTINGS_MODULE, "debug": settings.DEBUG, "hosts": settings.ALLOWED_HOSTS}))
"""


def run_entry_point(module: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", ENTRY_POINT_PROBE, module], cwd=ROOT, env=clean, capture_output=True, text=True
    )


@pytest.mark.parametrize("module", ["peerlearn.wsgi", "peerlearn.asgi", "peerlearn.celery"])
def test_server_entry_points_default_to_production(module):
    result = run_entry_point(module, SECRET_KEY=secrets.token_urlsafe(64), ALLOWED_HOSTS="peerlearn.example.org")
    assert result.returncode == 0, result.stderr
    conf = json.loads(result.stdout.strip().splitlines()[-1])
    assert conf == {"module": "peerlearn.settings.production", "debug": False, "hosts": ["peerlearn.example.org"]}


@pytest.mark.parametrize("module", ["peerlearn.wsgi", "peerlearn.asgi", "peerlearn.celery"])
@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"ALLOWED_HOSTS": "peerlearn.example.org"}, "SECRET_KEY"),
        ({"SECRET_KEY": "k" * 30 + "abcdefghij" * 3}, "ALLOWED_HOSTS"),
    ],
)
def test_server_entry_points_refuse_to_start_without_production_settings(module, env, named):
    result = run_entry_point(module, **env)
    assert result.returncode != 0
    message = result.stderr.strip().splitlines()[-1]
    assert "ImproperlyConfigured" in message and named in message


def test_manage_py_stays_on_dev():
    clean = {k: v for k, v in os.environ.items() if k not in {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL"}}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.SETTINGS_MODULE)",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "peerlearn.settings.dev"
