"""The learner's dashboard is kept whole per person (core.pages.kept_pages) and never shows an old state.

The test settings turn the caches off; every test here turns them on. Changes run
inside ``committed()``: a kept page goes stale when a change commits.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.notifications.services import notify
from core.pages import kept_pages
from core.scheduling.models import Booking
from core.scheduling.services import bookings as booking_services

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
NONCE = re.compile(r'nonce="[^"]+"')


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture
def browser(learner) -> Client:
    client = Client()
    client.force_login(learner)
    return client


def dashboard(client: Client) -> tuple[str, str, int]:
    """The page, its ``X-Page-Cache`` answer and the queries it took."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode(), response.get("X-Page-Cache", ""), len(captured)


def kept(client: Client) -> None:
    """Give ``client`` its CSRF cookie (the first answer sets it), then its kept page (the second)."""
    client.get("/dashboard/")
    assert dashboard(client)[1] == "miss"


def without_tokens(html: str) -> str:
    return NONCE.sub("", TOKEN.sub("", html))


def test_the_second_view_is_the_kept_page_with_its_own_nonce(browser, learner, mentor, make_session, committed):
    with committed():
        booking_services.book_session(make_session(mentor, hours=30, title="Python basics"), learner)
    browser.get("/dashboard/")  # the first answer gives this browser its CSRF cookie
    first, first_state, first_queries = dashboard(browser)
    second, second_state, second_queries = dashboard(browser)
    assert (first_state, second_state) == ("miss", "hit")
    assert "Python basics" in second
    assert without_tokens(second) == without_tokens(first)
    assert NONCE.findall(second) != NONCE.findall(first)  # each answer's nonce matches its own CSP header
    assert second_queries <= 2  # the session and the person, for the middleware
    assert second_queries < first_queries


def test_a_booking_a_cancellation_and_a_notification_show_at_once(browser, learner, mentor, make_session, committed):
    browser.get("/dashboard/")
    assert "No upcoming sessions." in dashboard(browser)[0]
    session = make_session(mentor, hours=30, title="Python basics")
    with committed():
        booking = booking_services.book_session(session, learner)
    assert "Python basics" in dashboard(browser)[0]
    with committed():
        booking_services.cancel_booking(booking, learner)
    assert "No upcoming sessions." in dashboard(browser)[0]
    dashboard(browser)
    with committed():
        notify(learner, "test", "A note only you get")
    html, state, _ = dashboard(browser)
    assert state == "miss" and "A note only you get" in html


def test_a_new_name_shows_at_once(browser, learner, committed):
    browser.get("/dashboard/")
    dashboard(browser)
    with committed():
        learner.display_name = "Zed Renamed"
        learner.save()
    html, state, _ = dashboard(browser)
    assert state == "miss" and ">Z<" in html.replace(" ", "")  # the header's initial


def test_another_person_never_gets_the_page(browser, learner, mentor, make_session, committed, user_factory):
    with committed():
        booking_services.book_session(make_session(mentor, hours=30, title="Python basics"), learner)
    kept(browser)
    assert dashboard(browser)[1] == "hit"
    other = Client()
    other.force_login(user_factory(display_name="Other Person"))
    other.get("/dashboard/")
    html, _, _ = dashboard(other)
    assert "Python basics" not in html and "No upcoming sessions." in html


def test_a_message_is_shown_once_and_never_kept(browser, learner, mentor, make_session, committed):
    with committed():
        booking = booking_services.book_session(make_session(mentor, hours=30, title="Python basics"), learner)
    kept(browser)
    assert dashboard(browser)[1] == "hit"
    with committed():
        response = browser.post(f"/dashboard/bookings/{booking.pk}/cancel/")
    assert response.status_code == 302
    html, state, _ = dashboard(browser)
    assert state == "" and "is cancelled" in html  # built for the message, not kept
    html, state, _ = dashboard(browser)
    assert state == "miss" and "is cancelled" not in html  # shown once
    assert Booking.objects.get().status == Booking.CANCELLED


def test_each_browser_gets_forms_its_own_cookie_accepts(learner, mentor, make_session, committed):
    with committed():
        booking_services.book_session(make_session(mentor, hours=30, title="Python basics"), learner)
    laptop, phone = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    for client in (laptop, phone):
        client.force_login(learner)
        kept(client)
    assert dashboard(laptop)[1] == "hit"
    html, state, _ = dashboard(phone)
    assert state == "hit"  # its own kept page: another CSRF secret, another key
    token = TOKEN.search(html).group(0).split('value="')[1].rstrip('"')
    with committed():
        response = phone.post(f"/dashboard/bookings/{Booking.objects.get().pk}/cancel/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Booking.objects.get().status == Booking.CANCELLED


def test_a_browser_without_a_csrf_cookie_gets_a_page_built_for_it(browser):
    html, state, _ = dashboard(browser)  # no cookie yet: the page sets it, so it is not kept
    assert state == ""
    assert browser.cookies.get("csrftoken")
    assert dashboard(browser)[1] == "miss"


def test_a_kept_page_lives_a_minute_at_most(browser, monkeypatch):
    kept(browser)
    assert dashboard(browser)[1] == "hit"
    later = timezone.now() + timedelta(seconds=kept_pages.MAX_AGE + 1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    assert dashboard(browser)[1] == "miss"


def test_a_page_is_not_kept_while_the_cache_is_off(browser, settings):
    settings.PAGE_CACHE_ENABLED = False
    browser.get("/dashboard/")
    assert dashboard(browser)[1] == "" and dashboard(browser)[1] == ""
