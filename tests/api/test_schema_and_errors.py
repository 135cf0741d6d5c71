"""The OpenAPI schema, its offline docs, and JSON errors under /api/."""

import pytest

pytestmark = pytest.mark.django_db

DOCUMENTED = [
    "/api/auth/register/",
    "/api/auth/login/",
    "/api/auth/logout/",
    "/api/users/profile/",
    "/api/users/profile/update/",
]


def test_schema_documents_every_endpoint(client):
    response = client.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for path in DOCUMENTED:
        assert path in schema["paths"], path
    assert not any(path.startswith("/admin/") for path in schema["paths"])


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/"])
def test_docs_are_served_from_our_own_static_files(client, url):
    html = client.get(url).content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html


def test_unknown_api_url_is_json_404(client):
    response = client.get("/api/does-not-exist/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "not_found"


def test_method_not_allowed_is_json(api_client):
    response = api_client.get("/api/auth/register/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_unknown_api_url_is_json_in_development_too(client, settings):
    """Under DEBUG Django's own 404 page lists every URL pattern; /api/ answers JSON instead."""
    settings.DEBUG = True
    response = client.get("/api/nonexistent/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "No API endpoint at /api/nonexistent/.", "code": "not_found"}
    assert "urlpatterns" not in response.content.decode() and "django-admin" not in response.content.decode()
    moved = client.get("/api/nonexistent", follow=True)  # no slash: APPEND_SLASH, then the same JSON
    assert moved.status_code == 404 and moved.json()["code"] == "not_found"
