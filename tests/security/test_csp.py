"""The Content-Security-Policy header: on every kind of page, strict for scripts, nonce per request."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import wagtail
from django.http import HttpResponse
from django.test import RequestFactory

from core.security import csp

pytestmark = pytest.mark.django_db

WAGTAIL_TEMPLATES = Path(wagtail.__file__).parent / "admin" / "templates"
OUR_TEMPLATES = Path(csp.__file__).parent / "templates"


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split("; ")}


def script_nonces(html: str) -> set[str]:
    return set(re.findall(r'<script[^>]*\snonce="([^"]+)"', html))


@pytest.fixture
def admin_client(client, user_factory):
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    return client


def assert_strict(response) -> str:
    policy = directives(response)
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts
    assert policy["object-src"] == ["'none'"]
    (nonce,) = [source[len("'nonce-") : -1] for source in scripts if source.startswith("'nonce-")]
    assert len(nonce) >= 22
    return nonce


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/accounts/signup/", "/mentors/", "/no-such-page/"])
def test_theme_pages_carry_the_policy_and_their_inline_script_its_nonce(client, url):
    response = client.get(url)
    nonce = assert_strict(response)
    html = response.content.decode()
    if "{% block" not in html and "theme-color" in html:  # pages of the theme's base.html
        assert script_nonces(html) == {nonce}  # the class-swapping script in <head>, nonced
    assert not re.search(r"<script(?![^>]*\b(src|nonce|type)=)[^>]*>", html), "an inline script without nonce"


def test_every_request_gets_a_new_nonce(client):
    assert assert_strict(client.get("/")) != assert_strict(client.get("/"))


def test_websockets_of_this_host_may_connect(client):
    connect = directives(client.get("/"))["connect-src"]
    assert {"'self'", "ws://testserver", "wss://testserver"} <= set(connect)


@pytest.mark.parametrize("url", ["/admin/", "/admin/pages/", "/admin/plugins/", "/admin/scheduling/sessions/"])
def test_the_admin_carries_the_policy(admin_client, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert_strict(response)


@pytest.mark.parametrize("url", ["/api/docs/", "/api/redoc/", "/api/schema/", "/api/users/profile/"])
def test_api_docs_and_api_answers_carry_the_policy(client, url):
    response = client.get(url)
    assert_strict(response)
    if url in ("/api/docs/", "/api/redoc/"):
        html = response.content.decode()
        assert "fonts.googleapis.com" not in html
        assert not re.search(r"<script(?![^>]*\b(src|nonce)=)[^>]*>", html), "an inline script without nonce"


def test_the_swagger_initialiser_is_a_same_origin_script(client):
    html = client.get("/api/docs/").content.decode()
    (script_url,) = [src for src in re.findall(r'<script src="([^"]+)"', html) if "script" in src.split("?")[-1]]
    response = client.get(script_url)
    assert response.status_code == 200 and "SwaggerUIBundle" in response.content.decode()


def test_a_view_adds_sources_for_its_own_response_only(settings):
    request = RequestFactory().get("/")

    def view(req):
        csp.allow(req, "frame-src", ["https://js.example.com"])
        return HttpResponse("ok")

    response = csp.ContentSecurityPolicyMiddleware(view)(request)
    assert "https://js.example.com" in directives(response)["frame-src"]
    plain = csp.ContentSecurityPolicyMiddleware(lambda req: HttpResponse("ok"))(RequestFactory().get("/"))
    assert "https://js.example.com" not in plain["Content-Security-Policy"]


def test_a_response_with_its_own_policy_keeps_it():
    def view(req):
        response = HttpResponse("a document")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    response = csp.ContentSecurityPolicyMiddleware(view)(RequestFactory().get("/"))
    assert response["Content-Security-Policy"] == "default-src 'none'"


def test_report_only_mode(settings):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = True
    response = csp.ContentSecurityPolicyMiddleware(lambda req: HttpResponse("ok"))(RequestFactory().get("/"))
    assert "Content-Security-Policy" not in response
    assert "script-src" in response["Content-Security-Policy-Report-Only"]


def test_a_disallowed_host_still_gets_a_policy_and_no_500(client):
    response = client.get("/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "ws://" not in response["Content-Security-Policy"]


@pytest.mark.parametrize(
    "name",
    [
        "wagtailadmin/widgets/date_input.html",
        "wagtailadmin/widgets/time_input.html",
        "wagtailadmin/widgets/datetime_input.html",
        "wagtailadmin/panels/inline_panel.html",
        "wagtailadmin/panels/multiple_chooser_panel.html",
    ],
)
def test_our_wagtail_template_overrides_differ_only_by_the_nonce(name):
    """After a Wagtail upgrade this fails if Wagtail changed the template: copy it again and add the nonce."""
    ours = (OUR_TEMPLATES / name).read_text()
    ours = ours.replace("{% load csp %}", "").replace(' nonce="{% csp_nonce %}"', "")
    assert ours == (WAGTAIL_TEMPLATES / name).read_text()


def test_wagtail_choosers_inline_script_gets_the_nonce(admin_client):
    from wagtail.admin.widgets import AdminPageChooser

    token = csp._nonce.set("abc123")
    try:
        html = AdminPageChooser().render("page", None, {"id": "id_page"})
    finally:
        csp._nonce.reset(token)
    assert '<script nonce="abc123">' in html and "<script>" not in html


ROOT = Path(__file__).resolve().parents[2]
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.I)
UN_NONCED_SCRIPT = re.compile(r"<script(?![^>]*\b(src|nonce|type)=)[^>]*>", re.I)


def project_templates():
    for folder in ("themes", "core", "plugins"):
        for path in (ROOT / folder).rglob("*.html"):
            if "node_modules" not in path.parts:
                yield path


def test_no_template_has_an_inline_handler_or_an_inline_script_without_nonce():
    """The policy refuses both: `onclick=` never runs, a `<script>` without the nonce neither."""
    problems = []
    for path in project_templates():
        text = path.read_text(encoding="utf-8")
        for pattern, what in ((INLINE_HANDLER, "inline handler"), (UN_NONCED_SCRIPT, "script without nonce")):
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}")
    assert problems == [], "\n".join(problems)
