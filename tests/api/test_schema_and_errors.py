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


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield path, method, operation


@pytest.fixture
def schema(client):
    return client.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def test_every_operation_documents_the_refusals_around_it(schema):
    """The machinery's refusals are in the schema, with the Error body, so clients and fuzzers can rely on it."""
    error = "#/components/schemas/Error"
    for path, method, operation in _operations(schema):
        responses = operation["responses"]
        assert responses["400"]["content"]["application/json"]["schema"]["$ref"] == error, (path, method)
        if "{" in path:
            assert "404" in responses, (path, method)
        if method in {"post", "put", "patch"}:
            assert {"409", "413", "415"} <= set(responses), (path, method)
        if path.startswith("/api/auth/"):
            assert "429" in responses, (path, method)
        if operation.get("security") and {} not in operation["security"]:
            assert {"401", "403"} <= set(responses), (path, method)
    assert set(schema["components"]["schemas"]["Error"]["required"]) == {"detail", "code"}


def test_path_ids_are_bounded_and_bodies_documented_as_json(schema):
    for path, method, operation in _operations(schema):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "path" and parameter["schema"]["type"] == "integer":
                assert parameter["schema"]["maximum"] == 2**63 - 1, (path, parameter)
        content = operation.get("requestBody", {}).get("content", {})
        assert "application/x-www-form-urlencoded" not in content, (path, method)
    photo = schema["paths"]["/api/users/profile/update/"]["patch"]["requestBody"]["content"]
    assert "multipart/form-data" in photo, "a photo upload keeps multipart"


@pytest.mark.parametrize("path", ["/api/sessions/", "/api/bookings/", "/api/mentors/{user_id}/reviews/"])
def test_paginated_lists_are_documented_as_pages(schema, path):
    operation = schema["paths"][path]["get"]
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert {"count", "next", "previous", "results"} <= set(page["properties"])
    names = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert names["page_size"]["maximum"] == 100 and "404" in operation["responses"]


@pytest.mark.parametrize("method", ["get", "post", "delete", "put"])
def test_unknown_api_paths_are_json_404_for_every_method(client, method):
    response = getattr(client, method)("/api/schedule/overrides/not-a-number/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found", "JSON, not Wagtail's page tree nor a CSRF page"


def test_an_id_too_large_for_the_database_is_404(client):
    response = client.get("/api/mentors/21241693755911067140096/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client.get("/mentors/21241693755911067140096/book/").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"), [("page_size=0", "page_size"), ("page_size=abc", "page_size"), ("upcoming=maybe", "upcoming")]
)
def test_paging_and_flags_are_strict(api_client, user_factory, query, field):
    api_client.force_authenticate(user_factory())
    response = api_client.get(f"/api/bookings/?{query}")
    assert response.status_code == 400 and field in response.json()["errors"]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "offset=-1", "offset=x"])
def test_notification_paging_is_strict(api_client, user_factory, query):
    api_client.force_authenticate(user_factory())
    response = api_client.get(f"/api/notifications/?{query}")
    assert response.status_code == 400, response.content


def test_unknown_api_url_is_json_in_development_too(client, settings):
    """Under DEBUG Django's own 404 page lists every URL pattern; /api/ answers JSON instead."""
    settings.DEBUG = True
    response = client.get("/api/nonexistent/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "No API endpoint at /api/nonexistent/.", "code": "not_found"}
    assert "urlpatterns" not in response.content.decode() and "django-admin" not in response.content.decode()
    moved = client.get("/api/nonexistent", follow=True)  # no slash: APPEND_SLASH, then the same JSON
    assert moved.status_code == 404 and moved.json()["code"] == "not_found"
