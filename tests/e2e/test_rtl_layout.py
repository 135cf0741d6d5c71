"""The theme mirrored right to left: Arabic (added for this test only) stands in for RTL.

The home page, the mentor list and a mentor page open in Chromium with ``dir="rtl"``; the header's
logo sits on the right, the navigation on the left, the home page's "Find a mentor" arrow follows its
label on the left and points left, and a mentor card's avatar sits on the right of its name.
Screenshots go to test-results/ for a person to look at.
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


def arrow_tip_x(page) -> float:
    """Where the call to action's arrow points: the x of its drawn tip relative to its centre (> 0: right)."""
    return page.evaluate(
        """() => {
            const svg = document.querySelector('[data-cta-arrow]');
            const path = svg.querySelector('path');
            const matrix = path.getCTM();
            // The arrow's tip is right of the centre in the path's own coordinates (about x = 17).
            const tip = new DOMPoint(17, 10).matrixTransform(matrix);
            const centre = new DOMPoint(10, 10).matrixTransform(matrix);
            return tip.x - centre.x;
        }"""
    )


def assert_arrow_points_to_the_inline_end(page) -> None:
    """The "Find a mentor" arrow points left in a right-to-left page: forwards, the way the text reads."""
    cta = page.locator("a.btn-lg", has=page.locator("[data-cta-arrow]")).first
    expect(cta).to_contain_text("Find a mentor")
    arrow = cta.locator("[data-cta-arrow]")
    assert arrow.get_attribute("data-cta-arrow") == "rtl"
    assert arrow_tip_x(page) < 0, "the arrow points to the left"
    button, icon = cta.bounding_box(), arrow.bounding_box()
    centre = button["x"] + button["width"] / 2
    assert icon["x"] + icon["width"] / 2 < centre, f"the arrow follows the label, on its left: {icon} {button}"


def test_home_list_and_mentor_page_mirror_right_to_left(browser, live_server, settings, results_dir):
    settings.LANGUAGES = [*settings.LANGUAGES, ("ar", "Arabic")]
    mentor_page = _mentor_page()
    context = browser.new_context(base_url=live_server.url, locale="ar", viewport={"width": WIDTH, "height": 900})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto("/")
        assert_header_mirrored(page)
        assert_arrow_points_to_the_inline_end(page)
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
