"""A person signs up, confirms their email, logs in and edits their profile, in a real browser."""

from __future__ import annotations

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.e2e

EMAIL = "asha.rao@example.org"
PASSWORD = "Tulsi-garden-2931"
FIRST_NAME = "Asha Rao"
NEW_NAME = "Asha R. (mentor-to-be)"
NEW_BIO = "Backend developer in Pune. Learning Carnatic violin on weekends."
CONFIRM_LINK = re.compile(r"https?://[^\s\"'<>]+/accounts/confirm-email/[^/\s\"'<>]+/")


def label(text: str) -> re.Pattern[str]:
    """A form label, matched whole: Django may add ':' (and a theme '*') after the text."""
    return re.compile(rf"^\s*{re.escape(text)}\s*:?\s*\*?\s*$", re.I)


def button(*names: str) -> re.Pattern[str]:
    return re.compile(r"^\s*(" + "|".join(names) + r")\s*$", re.I)


def _confirmation_link(to: str, timeout: float = 10.0) -> str:
    """The confirmation URL from the verification mail (sent by the live server's thread)."""
    deadline = time.monotonic() + timeout
    while True:
        for message in mail.outbox:
            if to in message.to:
                bodies = [message.body] + [content for content, _mime in getattr(message, "alternatives", [])]
                for body in bodies:
                    found = CONFIRM_LINK.search(str(body))
                    if found:
                        return found.group(0)
        if time.monotonic() > deadline:
            sent = [(m.to, m.subject) for m in mail.outbox]
            raise AssertionError(f"no confirmation link mailed to {to} within {timeout}s; outbox: {sent}")
        time.sleep(0.1)


def _log_out_if_logged_in(page: Page) -> None:
    page.goto("/accounts/logout/")
    sign_out = page.get_by_role("button", name=button(r"sign\s*out", r"log\s*out"))
    if sign_out.count():
        with page.expect_navigation():
            sign_out.first.click()
    # Logged out: the profile now sends us to the login page.
    page.goto("/accounts/profile/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


def test_signup_confirm_login_and_edit_profile(live_server, transactional_db, page: Page, results_dir):
    from allauth.account.models import EmailAddress

    from core.accounts.models import User

    # 1. Sign up.
    page.goto("/accounts/signup/")
    page.get_by_label(label("Email")).fill(EMAIL)
    page.get_by_label(label("Password")).fill(PASSWORD)
    page.get_by_label(label("Password (again)")).fill(PASSWORD)
    page.get_by_label(label("Display name")).fill(FIRST_NAME)
    page.get_by_label(label("Time zone")).select_option("Asia/Kolkata")
    expect(page.get_by_label(label("Learn from mentors"))).to_be_checked()
    with page.expect_navigation():
        page.get_by_role("button", name=button(r"sign\s*up")).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/signup/"))

    # 2. Confirm the address from the mail (an absolute URL built from the request's host).
    link = _confirmation_link(EMAIL)
    assert link.startswith(live_server.url), f"{link!r} does not point at the live server {live_server.url!r}"
    page.goto(link)
    with page.expect_navigation():
        page.get_by_role("button", name=button("confirm")).click()
    expect(page).not_to_have_url(re.compile(r"/accounts/confirm-email/"))

    # 3. Log out, then log in with the new credentials.
    _log_out_if_logged_in(page)
    page.goto("/accounts/login/")
    page.get_by_label(label("Email")).fill(EMAIL)
    page.get_by_label(label("Password")).fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=button(r"sign\s*in", r"log\s*in")).click()
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))

    # 4. Edit the profile: the sign-up's time zone is kept, name and bio change.
    page.goto("/accounts/profile/edit/")
    expect(page.get_by_label(label("Time zone"))).to_have_value("Asia/Kolkata")
    expect(page.get_by_label(label("Display name"))).to_have_value(FIRST_NAME)
    page.get_by_label(label("Display name")).fill(NEW_NAME)
    page.get_by_label(label("Bio")).fill(NEW_BIO)
    with page.expect_navigation():
        page.get_by_role("button", name=button(r"save(\s+profile)?")).click()

    # 5. The profile page shows the new name and bio.
    expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
    expect(page.get_by_role("heading", name=NEW_NAME)).to_be_visible()
    expect(page.get_by_text(NEW_BIO)).to_be_visible()
    page.screenshot(path=str(results_dir / "e2e-profile.png"), full_page=True)

    # 6. And so does the database.
    user = User.objects.get(email=EMAIL)
    assert user.display_name == NEW_NAME
    assert user.bio == NEW_BIO
    assert user.time_zone == "Asia/Kolkata"
    assert user.is_learner
    assert EmailAddress.objects.get(user=user, email=EMAIL).verified is True
