"""/healthz answers without touching anything; /readyz names what is not reachable."""

from __future__ import annotations

import pytest
from django.test import override_settings

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


def test_liveness_needs_no_database_and_ignores_host_checks(client):
    # No django_db mark: touching the database here would raise.
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")  # a probe's own Host header
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"


@override_settings(SECURE_SSL_REDIRECT=True)
def test_probes_are_not_redirected_to_https(client, db):
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readiness_checks_database_cache_and_channel_layer(client):
    response = client.get("/readyz/")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "cache": "ok", "channel_layer": "ok"},
    }
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readiness_is_503_naming_an_unreachable_channel_layer(client, caplog):
    layers = {"default": {"BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer", "CONFIG": {"hosts": [CLOSED]}}}
    with override_settings(CHANNEL_LAYERS=layers, HEALTH_CHECK_TIMEOUT=0.5), caplog.at_level("WARNING"):
        response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["channel_layer"].startswith("unreachable")
    assert body["checks"]["database"] == "ok"
    assert not [r for r in caplog.records if r.name == "django.request"], "a 503 probe is not a server error"
    warnings = [r.getMessage() for r in caplog.records if r.name == "peerlearn.health"]
    assert warnings == ["not ready: channel_layer " + body["checks"]["channel_layer"]], "the process log says why"


@pytest.mark.django_db
def test_readiness_is_503_naming_an_unreachable_cache(client):
    caches = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED}}
    with override_settings(CACHES=caches):
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["cache"].startswith("unreachable")
