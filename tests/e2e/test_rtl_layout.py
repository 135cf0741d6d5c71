"""The theme mirrored right to left: Arabic (added for this test only) stands in for RTL.

The home page, the mentor list and a mentor page open in Chromium with ``dir="rtl"``; the header's
logo sits on the right, the navigation on the left, and a mentor card's avatar on the right of its
name. Screenshots go to test-results/ for a person to look at.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WIDTH = 1280
LOGO = "header a[href='/']"


def _mentor_page():
    from wagtail.models import Page, Site

    from core.accounts.models import User
    from core.catalogue.models import MentorIndexPage, MentorPage
    from core.catalogue.profiles import bio_from_text
    from core.pages.models import HomePage
    from core.taxonomy.models import Skill

    python = Skill.objects.create(name="Python", category="Programming")
    root = HomePage(title="Home", slug="home-rtl")  # the site's own home, not Wagtail's welcome page
    Page.get_first_root_node().add_child(instance=root)
    Site.objects.filter(is_default_site=True).update(root_page=root)
    index = MentorIndexPage(title="Mentors", slug="mentors", intro="Find your mentor.")
    root.add_child(instance=index)
    index.save_revision().publish()
    mentor = User.objects.create_user(
        "maya@example.org", "a-Strong-pass-123", display_name="Maya Mentor", is_mentor=True
    )
    page = MentorPage(
        title="Maya Mentor", slug="maya-mentor", user=mentor, headline="Python from scratch",
        bio=bio_from_text("I teach Python."), languages=["en"], hourly_rate_minor=2_500, currency="EUR",
    )  # fmt: skip
    page.skills = [python]
    index.add_child(instance=page)
    page.save_revision(user=mentor).publish()
    return page


def box(page, selector: str) -> dict:
    element = page.locator(selector).first
    element.wait_for()
    return element.bounding_box()


def assert_header_mirrored(page) -> None:
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    logo = box(page, LOGO)
    nav = box(page, "#site-menu")
    assert logo["x"] > WIDTH / 2, f"the logo is on the right: {logo}"
    assert nav["x"] + nav["width"] < logo["x"], f"the navigation is left of the logo: {nav} {logo}"
    first, last = (box(page, f"#site-menu > ul > li:{which}-child") for which in ("first", "last"))
    assert first["x"] > last["x"], "the menu reads from right to left"


def test_home_list_and_mentor_page_mirror_right_to_left(browser, live_server, settings, results_dir):
    settings.LANGUAGES = [*settings.LANGUAGES, ("ar", "Arabic")]
    mentor_page = _mentor_page()
    context = browser.new_context(base_url=live_server.url, locale="ar", viewport={"width": WIDTH, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto("/")
        assert_header_mirrored(page)
        page.screenshot(path=str(results_dir / "rtl-home.png"))

        page.goto("/mentors/")
        assert_header_mirrored(page)
        card = page.locator("[data-mentor]").first
        avatar = card.locator(":scope > div > :first-child").first.bounding_box()
        name = card.locator("h3").bounding_box()
        assert avatar["x"] > name["x"] + name["width"] - 1, f"the avatar is right of the name: {avatar} {name}"
        price = card.locator("[data-price]").bounding_box()
        card_box = card.bounding_box()
        assert price["x"] + price["width"] > card_box["x"] + card_box["width"] / 2, "the price starts on the right"
        page.screenshot(path=str(results_dir / "rtl-mentor-list.png"))

        page.goto(mentor_page.url)
        assert_header_mirrored(page)
        heading = box(page, "article[data-mentor] h1")
        assert heading["x"] + heading["width"] > WIDTH / 2, "the mentor's name starts on the right"
        page.screenshot(path=str(results_dir / "rtl-mentor-page.png"), full_page=True)
    finally:
        context.close()
