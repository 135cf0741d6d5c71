"""Chromium under the site's Content-Security-Policy: nothing refused, and the scripts still work.

Every page records what the browser refused (``securitypolicyviolation``
events, console messages about the policy) and Alpine's expression errors (the
CSP build cannot run code written in attributes). The room page is loaded by a
mentor and a learner who meet over WebRTC and the room's WebSocket; the theme
pages exercise their Alpine bits; the admin, Swagger UI and Redoc render.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import log_in
from tests.e2e.test_room import assert_video_flows, netns_chromium, open_room, room_site  # noqa: F401
from tests.rooms.conftest import make_world

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-Strong-pass-123"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"} (${where})`);
});
"""


class Watcher:
    """Collects refusals and script errors of every page it watches."""

    def __init__(self) -> None:
        self.problems: list[str] = []
        self.pages: list[Page] = []

    def watch(self, page: Page) -> Page:
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"page error: {error}"))
        self.pages.append(page)
        return page

    def _console(self, message) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text or "Alpine" in text:
            self.problems.append(f"console {message.type}: {text}")

    def collect(self, page: Page) -> None:
        self.problems += [f"{page.url}: {v}" for v in page.evaluate("() => window.__cspViolations || []")]

    def assert_clean(self) -> None:
        assert self.problems == [], "\n".join(self.problems)


def test_the_room_works_under_the_policy(netns_chromium, user_factory):  # noqa: F811
    browser, base_url = netns_chromium
    world = make_world(user_factory, capacity=1)
    watcher = Watcher()
    pages = []
    for person in (world.mentor, world.learner):
        page = open_room(browser, base_url, world.cookies[person.pk], world.session.pk)
        pages.append(page)
    # open_room navigated already; watch from a fresh load so the recorder is in place before any script runs.
    for page in pages:
        watcher.watch(page)
        page.reload()
    mentor, learner = pages
    for page in pages:
        page.wait_for_function("() => document.getElementById('preview').videoWidth > 0")
    mentor.get_by_role("button", name="Start the session").click()
    mentor.locator("#call").wait_for()
    learner.get_by_role("button", name="Join the session").click()
    for page in pages:
        assert_video_flows(page)  # WebRTC media, negotiated over the room's WebSocket
    mentor.locator("#chat-input").fill("CSP check")
    mentor.locator("#chat-input").press("Enter")
    learner.locator("#chat-log").get_by_text("CSP check").wait_for()
    for page in pages:
        watcher.collect(page)
        page.context.close()
    watcher.assert_clean()


def test_theme_pages_and_their_alpine_bits(live_server, page: Page, user_factory):
    watcher = Watcher()
    watcher.watch(page)

    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_class("js h-full")  # the nonced inline script ran
    page.set_viewport_size({"width": 400, "height": 800})
    page.locator("[aria-controls=site-menu]").click()
    expect(page.locator("#site-menu")).to_have_class(re.compile(r"\bis-open\b"))  # Alpine: open = !open, :class
    watcher.collect(page)
    page.set_viewport_size({"width": 1280, "height": 900})

    page.goto("/")
    page.goto("/mentors/")
    watcher.collect(page)

    mentor = user_factory(email="maya@example.org", password=PASSWORD, display_name="Maya", is_mentor=True)
    log_in(page, live_server, mentor)
    page.goto("/schedule/availability/")
    first_day = page.locator("fieldset.sched-day").first
    ranges = first_day.locator(".sched-range")
    before = ranges.count()
    first_day.get_by_role("button", name="+ Add a range").click()  # Alpine: extra++ and x-for
    expect(ranges).to_have_count(before + 1)
    first_day.locator("input[type=time]").nth(0).fill("09:00")
    first_day.locator("input[type=time]").nth(1).fill("10:00")
    page.get_by_role("button", name="Save weekly hours").click()
    first_day = page.locator("fieldset.sched-day").first
    ranges = first_day.locator(".sched-range")
    saved = ranges.count()
    first_day.get_by_role("button", name="Remove").first.click()  # Alpine: $el.closest(...).remove()
    expect(ranges).to_have_count(saved - 1)
    watcher.collect(page)

    page.goto("/schedule/sessions/new/")
    widget = page.locator("[data-price-widget]")
    expect(widget.get_by_text("Price advice")).to_be_visible()
    expect(widget.get_by_text("Looking at similar sessions…")).to_be_hidden()  # the component asked the API
    answer = widget.locator("strong:visible, summary:visible, p[role=alert]:visible")
    expect(answer.first).to_be_visible()  # and shows the answer
    watcher.collect(page)
    watcher.assert_clean()


def test_the_admin_and_the_api_docs_render(live_server, page: Page, user_factory):
    from wagtail.models import Page as WagtailPage

    watcher = Watcher()
    watcher.watch(page)
    page.goto("/api/docs/")
    page.locator(".swagger-ui .info .title").get_by_text("PeerLearn API").wait_for()
    watcher.collect(page)
    page.goto("/api/redoc/")
    page.get_by_role("heading", name="PeerLearn API").first.wait_for()
    watcher.collect(page)

    admin = user_factory(email="admin@example.org", password=PASSWORD, is_staff=True, is_superuser=True)
    log_in(page, live_server, admin)
    home = WagtailPage.objects.filter(depth=2).first()
    for url, ready in [
        ("/admin/", "#wagtail-sidebar a"),
        (f"/admin/pages/{home.pk}/edit/", "form#page-edit-form"),
        ("/admin/plugins/", "table.listing"),
        ("/admin/scheduling/sessions/", "main"),
        ("/admin/reports/site-history/", "main"),
    ]:
        page.goto(url)
        page.locator(ready).first.wait_for()
        page.wait_for_load_state("networkidle")
        watcher.collect(page)
    page.goto("/")  # the Wagtail user bar on the site, as an editor sees it
    page.wait_for_load_state("networkidle")
    watcher.collect(page)
    watcher.assert_clean()
