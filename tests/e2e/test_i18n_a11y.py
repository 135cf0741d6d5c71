"""The site in Hindi with no English left on the learner's pages, axe-core on the pages of the
journey in English and Hindi, the room's live region, and the layout mirrored right to left.

Runs the real ASGI site under daphne over a seeded SQLite file (the fixture of
``test_booking_flow``). axe-core is vendored (``tests/e2e/vendor/axe.min.js``, MPL-2.0, from
the npm package) and injected into each page; the browser context bypasses the site's CSP
for that injection only.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.i18n.pofiles import read

from .test_booking_flow import PASSWORD, site_url  # noqa: F401  (the module-scoped site fixture)

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}


def english_product_strings() -> list[str]:
    """Messages of the catalogue long enough to be unambiguous, whose Hindi differs from the English."""
    found = []
    for entry in read(ROOT / "locale" / "hi" / "LC_MESSAGES" / "django.po"):
        text = entry.msgid
        if not text or entry.msgid_plural or "%" in text or "{" in text or entry.msgstr.get(0) == text:
            continue
        if len(text) >= 12 and len(text.split()) >= 2 and re.search(r"[a-z]{3}", text):
            found.append(text)
    return found


def context_for(browser, base_url: str, locale: str):
    context = browser.new_context(
        base_url=base_url, locale=locale, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(20_000)
    return context


def sign_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").first.click()
    page.wait_for_url(re.compile(r".*/accounts/profile/.*|.*/$"))


def axe_violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def no_english_left(page, strings: list[str]) -> list[str]:
    body = page.inner_text("body")
    return [
        f"{text!r} in …{body[max(0, body.index(text) - 60) : body.index(text) + 60]!r}…"
        for text in strings
        if text in body
    ]


def test_a_learner_books_in_hindi_and_meets_no_english(browser, site_url, results_dir):  # noqa: F811
    strings = english_product_strings()
    assert len(strings) > 300
    context = context_for(browser, site_url, "hi-IN")
    page = context.new_page()
    try:
        visited = {}
        page.goto("/accounts/login/")
        expect(page.locator("html")).to_have_attribute("lang", "hi")
        visited["login"] = no_english_left(page, strings)
        sign_in(page, "lee@example.org")
        page.goto("/mentors/?skill=python")
        visited["search"] = no_english_left(page, strings)
        page.locator("[data-mentor] h3 a").first.click()
        visited["mentor"] = no_english_left(page, strings)
        page.click("[data-book]")
        visited["slots"] = no_english_left(page, strings)
        page.locator("button[data-start]").first.click()
        visited["confirm"] = no_english_left(page, strings)
        page.get_by_role("button", name="यह समय बुक करें").click()
        assert page.inner_text("[data-testid=booking-status]").strip() == "पुष्ट"
        visited["booking"] = no_english_left(page, strings)
        page.goto("/dashboard/")
        assert "Maya Mentor के साथ" in page.inner_text("[data-upcoming]")
        visited["dashboard"] = no_english_left(page, strings)
        page.goto("/notifications/")
        visited["notifications"] = no_english_left(page, strings)
        assert {name: left for name, left in visited.items() if left} == {}
    except Exception:
        page.screenshot(path=str(results_dir / "hindi-journey-failure.png"), full_page=True)
        raise
    finally:
        context.close()


PUBLIC_PAGES = ["/accounts/login/", "/accounts/signup/", "/mentors/", "/mentors/?skill=python", "/skills/"]
MEMBER_PAGES = ["/dashboard/", "/accounts/profile/", "/accounts/profile/edit/", "/notifications/", "/messages/"]


@pytest.mark.parametrize("locale", ["en-GB", "hi-IN"])
def test_axe_finds_nothing_serious_on_the_journeys_pages(browser, site_url, locale, results_dir):  # noqa: F811
    context = context_for(browser, site_url, locale)
    page = context.new_page()
    found = {}
    try:
        for path in PUBLIC_PAGES:
            page.goto(path)
            found[path] = axe_violations(page)
        sign_in(page, "lee@example.org")
        for path in MEMBER_PAGES:
            page.goto(path)
            found[path] = axe_violations(page)
        page.goto("/mentors/?skill=python")
        page.locator("[data-mentor] h3 a").first.click()
        found["mentor page"] = axe_violations(page)
        page.click("[data-book]")
        found["slot picker"] = axe_violations(page)
    finally:
        context.close()
    blocking = {path: v for path, v in found.items() if v}
    assert not blocking, json.dumps(blocking, indent=1, ensure_ascii=False)


def test_the_switcher_changes_the_language_with_the_keyboard_alone(browser, site_url):  # noqa: F811
    context = context_for(browser, site_url, "en-GB")
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.keyboard.press("Tab")  # the skip link comes first, and shows when focused
        expect(page.locator(".skip-link")).to_be_focused()
        select = page.locator("#language-select")
        for _ in range(30):
            page.keyboard.press("Tab")
            if select.evaluate("el => el === document.activeElement"):
                break
        expect(select).to_be_focused()
        outline = select.evaluate("el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).boxShadow")
        assert outline.strip() not in ("none none", "none"), "focus is visible"
        select.press("ArrowDown")  # हिंदी
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        expect(page.locator("html")).to_have_attribute("lang", "hi")
    finally:
        context.close()
