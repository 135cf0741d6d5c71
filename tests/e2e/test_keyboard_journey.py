"""Every journey of a learner with the keyboard alone: a visitor signs up; a learner signs in, searches,
opens a mentor and books a slot; pays (a gift card, and a card through Stripe.js); mentor and learner
join the room and chat; the learner rates the finished session.

Only key presses drive the pages (Tab, Shift+Tab, Enter, Space, arrows, typing); the only ``goto``s
are addresses the person types (or opens from a mail). Every element a Tab stops on, on the way or
at the end, must show its focus: an outline or a box shadow under ``:focus-visible``, on it or on a
wrapper that draws the ring for it, that goes when the focus leaves. The dialogs met on the way (the
small-screen menu, the interests' list box, the card's 3-D Secure dialog, the confirmation before a
cancellation) take the focus when they open and give it back when they close.

Signing in, searching and booking run over the seeded ASGI site of ``test_booking_flow``, the room
over its own; signing up, paying and rating over pytest-django's live server, each test with its own
data, the learner signed in by cookie where signing in is not the point.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from .helpers import priced_booking, screenshot_on_failure
from .test_booking_flow import PASSWORD, site_url  # noqa: F401  (the module-scoped site fixture)
from .test_first_day import site, workshop  # noqa: F401  (home page, mentor index, skills; a group session)
from .test_i18n_a11y import context_for
from .test_room import netns_chromium, room_site  # noqa: F401  (the room's server and its Chromium)
from .test_signup_profile import _confirmation_link as confirmation_link

MAX_TABS = 80
SIGNUP_EMAIL = "asha.rao@example.org"
SIGNUP_PASSWORD = "Tulsi-garden-2931"

# The focus shows when the focused element, or a wrapper near it (a radio tile's label, the chips box of a
# multi-select), draws an outline or a box shadow that is not there once the focus leaves: the element is
# blurred for a moment (its transitions run to their end) and focused again, with its :focus-visible kept.
FOCUS_SHOWN = """el => {
  if (!el.matches(':focus-visible')) return 'not :focus-visible';
  const ring = (e, own) => {
    const style = getComputedStyle(e);
    const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
    const parts = [outline ? `${style.outlineStyle} ${style.outlineWidth} ${style.outlineColor}` : ''];
    if (own) parts.push(style.boxShadow === 'none' ? '' : style.boxShadow);
    return parts.join(' | ');
  };
  const settle = () => document.getAnimations().forEach(a => { if (a instanceof CSSTransition) a.finish(); });
  const chain = [el];
  for (let up = el.parentElement; up && chain.length < 4; up = up.parentElement) chain.push(up);
  settle();
  const focusedLook = chain.map((e, i) => ring(e, i === 0));
  el.blur();
  settle();
  const restingLook = chain.map((e, i) => ring(e, i === 0));
  el.focus({ preventScroll: true });
  settle();
  if (!el.matches(':focus-visible')) return 'lost :focus-visible when focused again';
  const shows = focusedLook.some((look, i) => look.replace(/[ |]/g, '') && look !== restingLook[i]);
  return shows ? '' : 'no outline or box shadow comes with the focus, on it or on a wrapper';
}"""


def focused(page) -> str:
    """A short description of the focused element, for failure messages."""
    return page.evaluate(
        "() => { const e = document.activeElement; return e ? e.outerHTML.slice(0, 160) : 'nothing'; }"
    )


def tab_to(page, locator, *, backwards: bool = False) -> int:
    """Press Tab (or Shift+Tab) until ``locator`` has the focus; the presses it took.

    Every stop on the way must show the focus, not only the one the journey wanted.
    """
    key = "Shift+Tab" if backwards else "Tab"
    target = locator.first
    target.wait_for()
    presses = 0
    while presses < MAX_TABS:
        page.keyboard.press(key)
        presses += 1
        problem = page.evaluate(
            f"() => document.activeElement === document.body ? '' : ({FOCUS_SHOWN})(document.activeElement)"
        )
        assert not problem, f"focus is not visible on {focused(page)}: {problem}"
        if target.evaluate("el => el === document.activeElement"):
            return presses
    raise AssertionError(f"{MAX_TABS} × {key} never reached {locator}; focus is on {focused(page)}")


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


# --- Sign up, pay and rate: over pytest-django's live server, each test with its own data ---------------------


def keyboard_page(browser, live_server, user=None, **options):
    """A page of a new context on the live server; ``user`` signed in by cookie (signing in is the test above)."""
    from .helpers import log_in

    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1280, "height": 900}, **options
    )
    context.set_default_timeout(20_000)
    page = context.new_page()
    if user is not None:
        log_in(page, live_server, user)
    return page


def press_to_go(page, key: str = "Enter") -> None:
    """Press ``key`` on the focused element and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.mark.django_db(transaction=True)
def test_a_visitor_signs_up_with_the_keyboard_alone(live_server, browser, site, results_dir):  # noqa: F811
    """From the home page to a signed-in first day: the form, its check boxes and the interests' combobox."""
    from allauth.account.models import EmailAddress

    from core.accounts.models import User

    page = keyboard_page(browser, live_server, timezone_id="Europe/Paris")
    with screenshot_on_failure(page, results_dir / "keyboard-signup-failure.png"):
        page.goto("/")
        tab_to(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Sign up"))
        press_to_go(page)
        expect(page).to_have_url(re.compile(r"/accounts/signup/$"))

        # The fields follow one another, one Tab apart, in the order they are read.
        tab_to(page, page.locator("input[name=email]"))
        page.keyboard.type(SIGNUP_EMAIL)
        for name, text in (
            ("password1", SIGNUP_PASSWORD),
            ("password2", SIGNUP_PASSWORD),
            ("display_name", "Asha Rao"),
        ):
            assert tab_to(page, page.locator(f"input[name={name}]")) == 1, f"{name} is not the next stop"
            page.keyboard.type(text)
        zone = page.locator("select[name=time_zone]")
        assert tab_to(page, zone) == 1
        expect(zone).to_have_value("Europe/Paris")  # pre-filled from the browser
        page.keyboard.type("Asia/Kolk")  # a closed list box jumps to what is typed
        expect(zone).to_have_value("Asia/Kolkata")

        learner, mentor = (
            page.locator("input[name=roles][value=learner]"),
            page.locator("input[name=roles][value=mentor]"),
        )
        assert tab_to(page, learner) == 1
        expect(learner).to_be_checked()
        assert tab_to(page, mentor) == 1
        page.keyboard.press("Space")  # a check box ticks and unticks with Space
        expect(mentor).to_be_checked()
        page.keyboard.press("Space")
        expect(mentor).not_to_be_checked()

        # The interests' combobox: type to filter, Enter chooses, Escape closes its list and keeps the focus.
        interests = page.get_by_role("combobox", name="What would you like to learn?")
        assert tab_to(page, interests) == 1
        page.keyboard.type("pyth")
        listbox = page.get_by_role("listbox", name="What would you like to learn?")
        expect(listbox).to_be_visible()
        expect(interests).to_have_attribute("aria-activedescendant", re.compile(".+"))
        page.keyboard.press("Enter")
        expect(page.get_by_role("list", name="Chosen: What would you like to learn?")).to_contain_text("Python")
        page.keyboard.press("Escape")
        expect(listbox).to_be_hidden()
        expect(interests).to_be_focused()

        tab_to(page, page.get_by_role("button", name=re.compile(r"^\s*Sign up\s*$", re.I)))
        page.screenshot(path=str(results_dir / "keyboard-journey-signup.png"), full_page=True)
        press_to_go(page)

        # Signed in on the profile; the first-day checklist leads on, from the keyboard too.
        expect(page).to_have_url(re.compile(r"/accounts/profile/$"))
        checklist = page.locator('[data-checklist="learner"]')
        expect(checklist.locator('[data-step="interests"]')).to_have_attribute("data-state", "done")
        tab_to(page, checklist.get_by_role("link", name="Find a mentor"))
        press_to_go(page)
        expect(page).to_have_url(re.compile(r"/mentors/$"))
        expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="My sessions")).to_be_visible()

        # The address is confirmed from the mail's link (where production insists on it before signing in).
        page.goto(confirmation_link(SIGNUP_EMAIL))
        tab_to(page, page.get_by_role("button", name="Confirm"))
        press_to_go(page)
        expect(page).not_to_have_url(re.compile(r"/accounts/confirm-email/"))

    user = User.objects.get(email=SIGNUP_EMAIL)
    assert (user.display_name, user.time_zone, user.is_learner, user.is_mentor) == (
        "Asha Rao",
        "Asia/Kolkata",
        True,
        False,
    )
    assert list(user.interests.values_list("name", flat=True)) == ["Python"]
    assert EmailAddress.objects.get(user=user, email=SIGNUP_EMAIL).verified


def choose_gateway(page, name: str) -> None:
    """On the checkout, move through the payment methods with the arrow keys until ``name`` is chosen."""
    tab_to(page, page.locator("input[name=gateway]:checked"))
    wanted = page.get_by_role("radio", name=name)
    for _ in range(page.locator("input[name=gateway]").count()):
        if wanted.is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(wanted).to_be_checked()
    expect(wanted).to_be_focused()
    tab_to(page, page.get_by_role("button", name="Continue"))
    press_to_go(page)


@pytest.mark.django_db(transaction=True)
def test_a_learner_pays_with_a_gift_card_with_the_keyboard_alone(live_server, browser, results_dir):
    """Dashboard → Pay now → the gift card chosen with the arrows → a mistyped code, corrected → confirmed."""
    from core.scheduling.models import Booking
    from plugins.payments.giftcard.models import GiftCard

    from .helpers import enable_plugin

    booking, learner = priced_booking()
    enable_plugin("payment_giftcard")
    card = GiftCard.objects.create(code="GC-E2E1-TEST-CARD", currency="EUR", initial_minor=5_000)
    page = keyboard_page(browser, live_server, learner)
    with screenshot_on_failure(page, results_dir / "keyboard-gift-card-failure.png"):
        page.goto("/dashboard/")
        tab_to(page, page.get_by_role("link", name="Pay now"))
        press_to_go(page)
        expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/$"))
        choose_gateway(page, "Gift card")
        expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/giftcard/$"))

        code = page.get_by_label("Gift card code")
        tab_to(page, code)
        page.keyboard.type("gc-none-such-card")
        press_to_go(page)  # Enter in the field sends the form
        expect(page.locator("#payment-fields")).to_contain_text("No gift card has this code")
        expect(code).to_have_attribute("aria-invalid", "true")

        tab_to(page, code)
        page.keyboard.press("ControlOrMeta+a")
        page.keyboard.type("gc-e2e1-test-card")
        tab_to(page, page.get_by_role("button", name="Pay €35.00"))
        page.screenshot(path=str(results_dir / "keyboard-journey-gift-card.png"), full_page=True)
        press_to_go(page)
        expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/result/$"))
        expect(page.locator("#booking-status")).to_have_text("Confirmed")

    booking.refresh_from_db()
    card.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert card.balance_minor == 1_500


@pytest.mark.django_db(transaction=True)
def test_a_learner_rates_a_finished_session_with_the_keyboard_alone(live_server, browser, workshop, results_dir):  # noqa: F811
    """Dashboard → Rate this session → a star rating chosen with Space and the arrows, a comment → stored."""
    from core.accounts.models import User
    from core.catalogue.models import Review
    from core.scheduling.models import Booking, Session

    learner = User.objects.create_user("lee@example.org", PASSWORD, display_name="Lee Learner")
    booking = Booking.objects.create(
        session=workshop,
        learner=learner,
        status=Booking.COMPLETED,
        starts_at=workshop.starts_at,
        ends_at=workshop.ends_at,
        price_minor=0,
        currency="EUR",
    )
    Session.objects.filter(pk=workshop.pk).update(status=Session.COMPLETED)
    page = keyboard_page(browser, live_server, learner)
    with screenshot_on_failure(page, results_dir / "keyboard-rating-failure.png"):
        page.goto("/dashboard/")
        tab_to(page, page.locator(f'[data-rate-booking="{booking.pk}"]'))
        press_to_go(page)
        expect(page).to_have_url(re.compile(rf"/reviews/new/{booking.pk}/$"))

        # Tab enters the group of ratings once, on its first (none is chosen yet); Space chooses it,
        # the arrows move the choice; Tab leaves the group for the comment.
        excellent, good = page.get_by_role("radio", name="5 - Excellent"), page.get_by_role("radio", name="4 - Good")
        tab_to(page, excellent)
        expect(page.get_by_role("radio", checked=True)).to_have_count(0)
        page.keyboard.press("Space")
        expect(excellent).to_be_checked()
        page.keyboard.press("ArrowDown")
        page.keyboard.press("ArrowDown")
        expect(page.get_by_role("radio", name="3 - OK")).to_be_checked()
        page.keyboard.press("ArrowUp")
        expect(good).to_be_checked()
        expect(good).to_be_focused()
        assert not good.evaluate(FOCUS_SHOWN), "the focus moved by the arrows shows"
        comment = page.get_by_label("Comment")
        assert tab_to(page, comment) == 1, "Tab leaves the group of ratings for the comment"
        page.keyboard.type("Clear and patient.")
        page.screenshot(path=str(results_dir / "keyboard-journey-rating.png"), full_page=True)
        tab_to(page, page.get_by_role("button", name="Send review"))
        press_to_go(page)
        expect(page).to_have_url(re.compile(r"/reviews/$"))

    review = Review.objects.get(booking=booking)
    assert (review.rating, review.comment) == (4, "Clear and patient.")


@pytest.mark.django_db(transaction=True)
def test_a_learner_pays_by_card_with_the_keyboard_alone(live_server, browser, stripe_harness, results_dir):
    """The card form of Stripe.js (localstripe's copy) typed into, its 3-D Secure dialog answered with Enter:
    the dialog takes the focus, and when the payment fails the focus comes back to the Pay button."""
    from core.payments.models import Payment
    from core.plugins import PaymentStart
    from core.scheduling.models import Booking

    from .helpers import enable_plugin, post_webhook

    booking, learner = priced_booking()
    enable_plugin(stripe_harness.plugin, stripe_harness.settings(), stripe_harness.secrets())
    page = keyboard_page(browser, live_server, learner)
    with screenshot_on_failure(page, results_dir / "keyboard-card-failure.png"):
        page.goto("/dashboard/")
        tab_to(page, page.get_by_role("link", name="Pay now"))
        press_to_go(page)
        choose_gateway(page, "Card (Stripe)")
        expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/stripe/$"))

        # localstripe's card element moves on to the next box once one is full.
        card = page.locator("#stripe-card-element")
        tab_to(page, card.locator("input[placeholder=number]"))
        for box, typed in (("number", "4000002760003184"), ("exp_month", "12"), ("exp_year", "34"), ("cvc", "123")):
            expect(card.locator(f"input[placeholder={box}]")).to_be_focused()
            page.keyboard.type(typed)
        expect(card.locator("input[placeholder=postal_code]")).to_be_focused()
        page.keyboard.type("10115")
        pay = page.get_by_role("button", name="Pay €35.00")
        tab_to(page, pay)

        # First try: the bank's dialog opens with the focus on its answer; the payment is refused,
        # the dialog goes and the focus is given back to Pay, with the reason announced.
        page.keyboard.press("Enter")
        authenticate = page.get_by_role("button", name="Complete authentication")
        expect(authenticate).to_be_focused()
        page.keyboard.press("Enter")
        expect(page.locator("#stripe-card-errors")).not_to_be_empty()
        expect(authenticate).to_have_count(0)
        expect(pay).to_be_enabled()
        expect(pay).to_be_focused()
        assert not pay.evaluate(FOCUS_SHOWN), "the focus given back shows"

        # Second try, with the learner's card now asking for 3-D Secure: authenticated, then confirmed.
        payment = Payment.objects.get(booking=booking)
        start = PaymentStart(reference=payment.reference, status="requires_action")
        stripe_harness.attach_3ds_card(start)
        page.keyboard.press("Enter")
        expect(authenticate).to_be_focused()
        page.screenshot(path=str(results_dir / "keyboard-journey-card-dialog.png"), full_page=True)
        press_to_go(page)
        expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/result/$"))
        intent = stripe_harness.client.v1.payment_intents.retrieve(payment.reference)
        webhook = stripe_harness.succeeded_event(start, intent.latest_charge)
        assert post_webhook(f"{live_server.url}/payments/webhooks/stripe/", webhook) == 200
        expect(page.locator("#booking-status")).to_have_text("Confirmed", timeout=20_000)

    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED


@pytest.mark.django_db(transaction=True)
def test_a_confirmation_on_the_way_answers_to_the_keyboard_and_gives_the_focus_back(live_server, browser):
    """The dashboard's "Cancel booking" asks first (``data-confirm``, the browser's own modal dialog, which
    holds the focus while open): dismissed, as Escape does, the focus is back on the button and nothing
    changed; accepted, the booking is cancelled."""
    from core.scheduling.models import Booking

    booking, learner = priced_booking()
    page = keyboard_page(browser, live_server, learner)
    asked: list[str] = []
    try:
        page.goto("/dashboard/")
        cancel = page.get_by_role("button", name="Cancel booking")
        tab_to(page, cancel)

        def dismiss(dialog) -> None:
            asked.append(dialog.message)
            dialog.dismiss()

        page.once("dialog", dismiss)
        page.keyboard.press("Enter")  # returns once the key's handlers have run, the question answered
        assert asked == ["Cancel your booking for Pandas in practice?"]
        expect(cancel).to_be_focused()
        assert not cancel.evaluate(FOCUS_SHOWN), "the focus given back shows"
        booking.refresh_from_db()
        assert booking.status == Booking.PENDING_PAYMENT

        page.once("dialog", lambda dialog: dialog.accept())
        press_to_go(page)
    finally:
        page.context.close()
    booking.refresh_from_db()
    assert booking.status == Booking.CANCELLED


# Razorpay's checkout.js cannot be loaded here: this stand-in behaves as its window does for the keyboard
# (it opens over the page with the focus inside, Escape closes it and calls ``modal.ondismiss``).
RAZORPAY_STAND_IN = """
window.Razorpay = function (options) {
  this.on = function () {};
  this.open = function () {
    var box = document.createElement("div");
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", "Razorpay");
    var close = document.createElement("button");
    close.textContent = "Close";
    box.appendChild(close);
    document.body.appendChild(box);
    function dismiss() { box.remove(); options.modal.ondismiss(); }
    close.addEventListener("click", dismiss);
    box.addEventListener("keydown", function (event) { if (event.key === "Escape") dismiss(); });
    close.focus();
  };
};
"""


@pytest.mark.django_db(transaction=True)
def test_closing_the_razorpay_window_gives_the_focus_back_to_pay(live_server, browser):
    """Razorpay's window takes the focus; closed with Escape, the focus is back on the (again usable) Pay button."""
    from tests.plugins.payments.harnesses import RazorpayHarness

    from .helpers import enable_plugin

    harness = RazorpayHarness()
    harness.start()
    booking, learner = priced_booking()
    settings = harness.settings()
    enable_plugin(harness.plugin, settings, harness.secrets())
    page = keyboard_page(browser, live_server, learner)
    page.route(
        f"**{settings['checkout_js_url']}",
        lambda route: route.fulfill(body=RAZORPAY_STAND_IN, content_type="text/javascript"),
    )
    try:
        page.goto("/dashboard/")
        tab_to(page, page.get_by_role("link", name="Pay now"))
        press_to_go(page)
        choose_gateway(page, "Razorpay (cards, UPI, netbanking)")
        expect(page).to_have_url(re.compile(rf"/payments/checkout/{booking.pk}/razorpay/$"))
        pay = page.get_by_role("button", name="Pay €35.00 with Razorpay")
        tab_to(page, pay)
        page.keyboard.press("Enter")
        window = page.get_by_role("dialog", name="Razorpay")
        expect(window.get_by_role("button", name="Close")).to_be_focused()
        page.keyboard.press("Escape")
        expect(window).to_have_count(0)
        expect(pay).to_be_enabled()
        expect(pay).to_be_focused()
        assert not pay.evaluate(FOCUS_SHOWN), "the focus given back shows"
    finally:
        page.context.close()
        harness.stop()
