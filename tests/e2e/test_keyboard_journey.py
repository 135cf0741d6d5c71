"""A learner signs in, searches, opens a mentor and books a slot with the keyboard alone; in the
room, mentor and learner join and chat with it too.

Only key presses drive the pages (Tab, Shift+Tab, Enter, Space, arrows, typing); the only
``goto``s are addresses the person types. Every element the journey stops on must show its
focus (an outline or a box shadow under ``:focus-visible``). Runs over the seeded ASGI site of
``test_booking_flow``.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .test_booking_flow import PASSWORD, site_url  # noqa: F401  (the module-scoped site fixture)
from .test_i18n_a11y import context_for
from .test_room import netns_chromium, room_site  # noqa: F401  (the room's server and its Chromium)

MAX_TABS = 80

FOCUS_SHOWN = """el => {
  if (!el.matches(':focus-visible')) return 'not :focus-visible';
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow && style.boxShadow !== 'none';
  return outline || shadow ? '' : 'no outline or box-shadow';
}"""


def focused(page) -> str:
    """A short description of the focused element, for failure messages."""
    return page.evaluate(
        "() => { const e = document.activeElement; return e ? e.outerHTML.slice(0, 160) : 'nothing'; }"
    )


def tab_to(page, locator, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus, then check the focus shows."""
    key = "Shift+Tab" if backwards else "Tab"
    target = locator.first
    target.wait_for()
    for _ in range(MAX_TABS):
        page.keyboard.press(key)
        if target.evaluate("el => el === document.activeElement"):
            break
    else:
        raise AssertionError(f"{MAX_TABS} × {key} never reached {locator}; focus is on {focused(page)}")
    problem = target.evaluate(FOCUS_SHOWN)
    assert not problem, f"focus is not visible on {focused(page)}: {problem}"


def test_a_learner_books_with_the_keyboard_alone(browser, site_url, results_dir):  # noqa: F811
    context = context_for(browser, site_url, "en-GB")
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        tab_to(page, page.locator("input[name=login]"))
        page.keyboard.type("lee@example.org")
        tab_to(page, page.locator("input[name=password]"))
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")

        tab_to(page, page.get_by_role("link", name=re.compile("^(Find a mentor|Mentors)$")))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to(page, page.locator("input[name=q]"))
        page.keyboard.type("Python")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("[data-mentor]")).to_have_count(1)

        tab_to(page, page.locator("[data-mentor] h3 a"))
        with page.expect_navigation():
            page.keyboard.press("Enter")
        tab_to(page, page.locator("[data-book]"))
        with page.expect_navigation():
            page.keyboard.press("Enter")

        tab_to(page, page.locator("button[data-start]"))
        page.keyboard.press("Space")
        confirm = page.get_by_role("button", name="Book this time")
        tab_to(page, confirm)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        expect(page.locator("[data-testid=booking-status]")).to_have_text("Confirmed")
        page.screenshot(path=str(results_dir / "keyboard-journey-booked.png"))
    except Exception:
        page.screenshot(path=str(results_dir / "keyboard-journey-failure.png"), full_page=True)
        raise
    finally:
        context.close()


def test_the_small_screen_menu_takes_the_focus_and_escape_gives_it_back(browser, site_url):  # noqa: F811
    """The header's menu (the theme's one dialog-like surface) manages the focus with the keyboard."""
    context = browser.new_context(base_url=site_url, locale="en-GB", viewport={"width": 390, "height": 800})
    context.set_default_timeout(20_000)
    page = context.new_page()
    try:
        page.goto("/mentors/")
        toggle = page.get_by_role("button", name="Menu")
        tab_to(page, toggle)
        page.keyboard.press("Enter")
        expect(toggle).to_have_attribute("aria-expanded", "true")
        first = page.locator("#site-menu a").first
        expect(first).to_be_focused()
        assert first.inner_text().strip() == "Find a mentor"
        assert not first.evaluate(FOCUS_SHOWN), "the moved focus shows"

        page.keyboard.press("Tab")  # the focus stays in the open menu
        assert page.evaluate("() => document.getElementById('site-menu').contains(document.activeElement)")
        page.keyboard.press("Escape")
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#site-menu")).to_be_hidden()
        expect(toggle).to_be_focused()
        assert not toggle.evaluate(FOCUS_SHOWN), "the focus returned shows"

        page.keyboard.press("Space")  # and it opens again from the keyboard
        expect(first).to_be_focused()
    finally:
        context.close()


def test_mentor_and_learner_join_the_room_and_chat_with_the_keyboard_alone(netns_chromium, user_factory):  # noqa: F811
    """The room's lobby, its join button and its chat are reached and used with key presses only."""
    from tests.rooms.conftest import make_world

    from .test_room import open_room

    browser, base_url = netns_chromium
    world = make_world(user_factory, capacity=1)
    mentor = open_room(browser, base_url, world.cookies[world.mentor.pk], world.session.pk)
    learner = open_room(browser, base_url, world.cookies[world.learner.pk], world.session.pk)
    try:
        for page, name in ((mentor, "Start the session"), (learner, "Join the session")):
            page.wait_for_function("() => document.getElementById('preview').videoWidth > 0")
            button = page.get_by_role("button", name=name)
            expect(button).to_be_enabled()
            tab_to(page, button)
            page.keyboard.press("Enter")
            page.locator("#call").wait_for()

        tab_to(learner, learner.locator("#chat-input"))
        learner.keyboard.type("Hello from the keyboard")
        learner.keyboard.press("Enter")
        mentor.locator("#chat-log").get_by_text("Hello from the keyboard").wait_for()
    finally:
        for page in (mentor, learner):
            page.context.close()
