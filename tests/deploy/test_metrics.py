"""GET /metrics: absent unless enabled, never without the bearer token, counts by route and status."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from core.ops.metrics import REQUESTS

TOKEN = "m" * 16 + "-metrics-token-for-tests"
pytestmark = pytest.mark.django_db


def count(route: str, method: str, status: str) -> float:
    return REQUESTS.labels(route, method, status)._value.get()


def test_disabled_metrics_do_not_exist_and_count_nothing(client):
    before = count("mentors/", "GET", "200")
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 404
    client.get("/mentors/")
    assert count("mentors/", "GET", "200") == before


@override_settings(METRICS_ENABLED=True, METRICS_TOKEN=TOKEN)
def test_enabled_metrics_need_the_bearer_token():
    client = Client()
    for header in ({}, {"HTTP_AUTHORIZATION": "Bearer wrong"}, {"HTTP_AUTHORIZATION": f"Basic {TOKEN}"}):
        response = client.get("/metrics", **header)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
        assert b"peerlearn_http" not in response.content
    assert client.post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 405


@override_settings(METRICS_ENABLED=True, METRICS_TOKEN=TOKEN)
def test_requests_are_counted_and_timed_by_route_and_status():
    client = Client()
    before_ok = count("mentors/", "GET", "200")
    before_missing = count("wagtail_serve", "GET", "404")
    assert client.get("/mentors/").status_code == 200
    assert client.get("/mentors/?page=2&q=python").status_code == 200
    assert client.get("/no-such-page/").status_code == 404
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "no-store" in response["Cache-Control"]
    text = response.content.decode()
    # The route pattern, not the path or query: a bounded set of labels.
    ok = re.search(r'^peerlearn_http_requests_total\{method="GET",route="mentors/",status="200"\} (\S+)$', text, re.M)
    assert ok and float(ok.group(1)) == before_ok + 2
    assert "page=2" not in text and "no-such-page" not in text
    # Wagtail's catch-all is a regular expression: named by its view instead.
    assert count("wagtail_serve", "GET", "404") == before_missing + 1
    timing = "peerlearn_http_request_duration_seconds"
    assert re.search(rf'^{timing}_bucket\{{le="0\.25",method="GET",route="mentors/"\}}', text, re.M)
    assert re.search(rf'^{timing}_count\{{method="GET",route="mentors/"\}} \S+$', text, re.M)


@pytest.mark.asyncio
@override_settings(METRICS_ENABLED=True, METRICS_TOKEN=TOKEN)
async def test_an_async_stack_is_timed_too(async_client):
    before = count("metrics", "GET", "401")
    response = await async_client.get("/metrics")
    assert response.status_code == 401
    assert count("metrics", "GET", "401") == before + 1
