"""axe-core on the pages the journey tests do not reach: the checkout, the room's lobby, the
mentor's tools and the project's Wagtail admin extensions, in English and Hindi.

0 serious or critical violations on each, with nothing excluded: the admin pages are checked
whole, Wagtail's own sidebar and header included.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.helpers import enable_plugin, log_in

from .test_i18n_a11y import AXE, BLOCKING
from .test_keyboard_journey import tab_to

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

LOCALES = ["en-GB", "hi-IN"]


def axe_violations(page) -> list[dict]:
    """Serious or critical violations on ``page``, with the markup of the first few nodes."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, { resultTypes: ['violations'] })")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [{"target": n["target"], "html": n["html"][:200]} for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


def new_page(browser, live_server, locale: str, user, args_browser=None):
    context = (args_browser or browser).new_context(
        base_url=live_server.url, locale=locale, viewport={"width": 1280, "height": 900}, bypass_csp=True
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    if user is not None:
        log_in(page, live_server, user)
    return page


def assert_clean(found: dict[str, list]) -> None:
    blocking = {path: v for path, v in found.items() if v}
    assert not blocking, json.dumps(blocking, indent=1, ensure_ascii=False)


def _mentor_and_learner():
    from core.accounts.models import User

    mentor = User.objects.create_user(
        "maya@example.org", "a-Strong-pass-123", display_name="Maya Mentor", is_mentor=True
    )
    learner = User.objects.create_user("lee@example.org", "a-Strong-pass-123", display_name="Lee Learner")
    return mentor, learner


@pytest.mark.parametrize("locale", LOCALES)
def test_checkout_pages(browser, live_server, locale):
    from core.payments.services.ledger import freeze_commission
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session
    from plugins.payments.giftcard.models import GiftCard

    enable_plugin("payment_giftcard")
    enable_plugin("payment_manual", {"instructions": "IBAN DE00 0000 0000 0000 0000 00"})
    mentor, learner = _mentor_and_learner()
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    session = create_session(
        mentor, title="Pandas in practice", start=start, duration_minutes=60, price_minor=3_500, currency="EUR"
    )
    booking = book_session(session, learner)
    freeze_commission(booking)
    GiftCard.objects.create(code="GC-E2E1-TEST-CARD", currency="EUR", initial_minor=5_000)

    page = new_page(browser, live_server, locale, learner)
    found = {}
    try:
        page.goto(f"/payments/checkout/{booking.pk}/")
        found["checkout"] = axe_violations(page)
        response = page.goto(f"/payments/checkout/{booking.pk}/manual/")
        assert response.status == 200
        expect(page.locator("main")).to_contain_text("IBAN DE00")  # the instructions, not a redirect
        found["bank transfer"] = axe_violations(page)
        page.goto(f"/payments/checkout/{booking.pk}/giftcard/")
        found["gift card form"] = axe_violations(page)
        page.locator("input[name=code]").fill("gc-none-such-card")
        page.locator("#payment-fields button[type=submit], form button[type=submit]").last.click()
        page.wait_for_selector("[aria-invalid=true]")
        found["gift card form with an error"] = axe_violations(page)
    finally:
        page.context.close()
    assert_clean(found)


@pytest.fixture
def media_browser(playwright):
    """Chromium with a fake camera and microphone, so the room's lobby shows its preview."""
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args, headless=True)
    try:
        yield browser
    finally:
        browser.close()


@pytest.mark.parametrize("locale", LOCALES)
def test_room_lobby(browser, media_browser, live_server, locale):
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    mentor, learner = _mentor_and_learner()
    now = datetime.now(UTC)
    session = create_session(
        mentor,
        title="Intro to WebRTC",
        start=now + timedelta(minutes=5),
        duration_minutes=60,
        capacity=2,
        now=now - timedelta(hours=1),
    )
    book_session(session, learner, now=now - timedelta(hours=1))
    found = {}
    for who, user in (("learner", learner), ("mentor", mentor)):
        page = new_page(browser, live_server, locale, user, args_browser=media_browser)
        try:
            page.goto(f"/sessions/{session.pk}/room/")
            page.wait_for_function("() => document.getElementById('preview').videoWidth > 0")
            found[f"room lobby ({who})"] = axe_violations(page)
            # The lobby's main button is reached with Tab alone and shows its focus.
            tab_to(page, page.locator("#join-button"))
        finally:
            page.context.close()
    assert_clean(found)


MENTOR_TOOLS = [
    "/schedule/availability/",
    "/dashboard/mentor/",
    "/schedule/questions/",
    "/packages/mine/",
    "/schedule/calendar/",
]


@pytest.mark.parametrize("locale", LOCALES)
def test_mentor_tools(browser, live_server, locale):
    mentor, _ = _mentor_and_learner()
    page = new_page(browser, live_server, locale, mentor)
    found = {}
    try:
        for path in MENTOR_TOOLS:
            response = page.goto(path)
            assert response.status == 200, path
            found[path] = axe_violations(page)
    finally:
        page.context.close()
    assert_clean(found)


ADMIN_PAGES = ["/admin/plugins/", "/admin/plugins/payment_manual/", "/admin/recommenders/", "/admin/analytics/"]


@pytest.mark.parametrize("locale", LOCALES)
def test_admin_extensions(browser, live_server, locale):
    from core.accounts.models import User

    admin = User.objects.create_superuser("root@example.org", "a-Strong-pass-123", display_name="Root")
    page = new_page(browser, live_server, locale, admin)
    found = {}
    try:
        for path in ADMIN_PAGES:
            response = page.goto(path)
            assert response.status == 200, path
            found[path] = axe_violations(page)
    finally:
        page.context.close()
    assert_clean(found)
