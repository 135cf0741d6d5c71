"""The anonymous page cache (core/pages/cache.py): visitors share pages, nobody shares secrets.

The test settings turn the cache off; every test here turns it on. Changes are
made inside ``django_capture_on_commit_callbacks(execute=True)`` because the
cache is made stale when a change commits.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client, RequestFactory
from wagtail.models import Site

from core.analytics.models import Event
from core.analytics.services.events import flush
from core.pages.cache import HEADER, _claim_rebuild, _fresh_until, _key, _release_rebuild, cached_part
from core.scheduling.models import Session, WeeklyRule
from core.scheduling.services.bookings import book_session
from core.scheduling.services.policy import current_policy
from core.themes.models import ThemeSettings

NONCE_IN_BODY = re.compile(rb'<script nonce="([^"]+)"')


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PAGE_CACHE_ENABLED = True
    yield
    flush()  # the page views hits logged for later go into this test's database, not the next one's


@pytest.fixture
def mentor_page(make_mentor, skills):
    return make_mentor("Ada Lovelace", skills=[skills["python"]], headline="Teaches Python")


@pytest.fixture
def group_session(mentor_page):
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
    return Session.objects.create(
        mentor=mentor_page.user,
        title="Python together",
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=3,
    )


def nonce_of(response) -> str:
    policy = response["Content-Security-Policy"]
    return re.search(r"'nonce-([^']+)'", policy).group(1)


def test_a_visitors_second_visit_comes_from_the_cache_without_a_query(client, mentor_page, django_assert_num_queries):
    first = client.get(mentor_page.url)
    assert first.status_code == 200 and first[HEADER] == "miss"
    with django_assert_num_queries(0):
        second = client.get(mentor_page.url)
    assert second.status_code == 200 and second[HEADER] == "hit"
    assert b"Teaches Python" in second.content
    assert second["Content-Type"] == first["Content-Type"]
    assert second["X-Frame-Options"] == first["X-Frame-Options"]
    assert NONCE_IN_BODY.sub(b"", second.content) == NONCE_IN_BODY.sub(b"", first.content)


def test_each_hit_gets_its_own_nonce_and_the_page_matches_its_policy(client, mentor_page):
    responses = [client.get(mentor_page.url) for _ in range(3)]
    assert [r[HEADER] for r in responses] == ["miss", "hit", "hit"]
    nonces = [nonce_of(r) for r in responses]
    assert len(set(nonces)) == 3
    for response, nonce in zip(responses, nonces, strict=True):
        in_body = set(NONCE_IN_BODY.findall(response.content))
        assert in_body == {nonce.encode()}


def test_a_signed_in_person_never_gets_nor_fills_the_cache(client, mentor_page, user_factory):
    learner = user_factory(display_name="Lee Learner")
    client.get(mentor_page.url)  # a visitor fills the cache
    member = Client()
    member.force_login(learner)
    answer = member.get(mentor_page.url)
    assert HEADER not in answer and b"Log out" in answer.content
    token_answer = Client(HTTP_AUTHORIZATION="Token whatever").get(mentor_page.url)
    assert HEADER not in token_answer
    # And what a signed-in person saw is never stored for visitors.
    from core.pages.cache import clear_page_cache

    clear_page_cache()
    member.get(mentor_page.url)
    visitor = client.get(mentor_page.url)
    assert visitor[HEADER] == "miss" and b"Log out" not in visitor.content


def test_a_request_with_any_other_cookie_is_not_served_from_the_cache(client, mentor_page):
    client.get(mentor_page.url)
    for name in ("sessionid", "messages", "anything"):
        other = Client()
        other.cookies[name] = "x"
        assert HEADER not in other.get(mentor_page.url)
    shareable = Client()
    shareable.cookies["csrftoken"] = "A" * 32
    assert shareable.get(mentor_page.url)[HEADER] == "hit"


def test_no_csrf_token_or_cookie_is_ever_shared(client, group_session):
    """The session page shows visitors a link to log in, not a form: no token, no cookie, so it is kept."""
    url = f"/sessions/{group_session.pk}/"
    alice, bob = Client(), Client()
    alice.cookies["csrftoken"] = "a" * 32
    first = alice.get(url)
    second = bob.get(url)
    assert (first[HEADER], second[HEADER]) == ("miss", "hit")
    for response in (first, second):
        assert not response.cookies
        assert b"csrfmiddlewaretoken" not in response.content
        assert b"/accounts/login/?next=" in response.content


def test_an_answer_that_sets_a_cookie_is_not_kept(client, mentor_index):
    from core.catalogue.models import ExchangeRate

    ExchangeRate.objects.create(currency="EUR", per_reference="0.9")
    url = f"{mentor_index.url}?price_currency=EUR"
    first = Client().get(url)
    assert "peerlearn_currency" in first.cookies and HEADER not in first
    assert HEADER not in Client().get(url)


def test_the_time_zone_cookie_is_part_of_the_key(mentor_page):
    plain, tokyo = Client(), Client()
    tokyo.cookies["peerlearn_tz"] = "Asia/Tokyo"
    assert plain.get(mentor_page.url)[HEADER] == "miss"
    assert tokyo.get(mentor_page.url)[HEADER] == "miss"
    assert tokyo.get(mentor_page.url)[HEADER] == "hit"


def test_publishing_a_page_makes_it_stale(client, mentor_page, django_capture_on_commit_callbacks):
    client.get(mentor_page.url)
    with django_capture_on_commit_callbacks(execute=True):
        mentor_page.headline = "Now teaches Rust"
        mentor_page.save_revision().publish()
    fresh = client.get(mentor_page.url)
    assert fresh[HEADER] == "miss" and b"Now teaches Rust" in fresh.content


def test_unpublishing_a_page_takes_it_away(client, mentor_page, django_capture_on_commit_callbacks):
    client.get(mentor_page.url)
    with django_capture_on_commit_callbacks(execute=True):
        mentor_page.unpublish()
    assert client.get(mentor_page.url).status_code == 404


def test_while_one_request_rebuilds_a_stale_page_the_others_get_the_stale_one(
    client, mentor_page, django_capture_on_commit_callbacks
):
    """A crowd meeting a page made stale rebuilds it once, not once per visitor who came meanwhile."""
    client.get(mentor_page.url)
    with django_capture_on_commit_callbacks(execute=True):
        mentor_page.headline = "Now teaches Rust"
        mentor_page.save_revision().publish()
    key = _key(RequestFactory().get(mentor_page.url, secure=False))
    assert _claim_rebuild(key)  # another request is rebuilding it
    meanwhile = client.get(mentor_page.url)
    assert meanwhile[HEADER] == "stale" and b"Teaches Python" in meanwhile.content
    _release_rebuild(key)  # ... and is done
    rebuilt = client.get(mentor_page.url)
    assert rebuilt[HEADER] == "miss" and b"Now teaches Rust" in rebuilt.content
    assert client.get(mentor_page.url)[HEADER] == "hit"


def test_pages_kept_together_go_stale_at_different_times(settings):
    """A crowd fills a cold cache within a minute; were every page stale PAGE_CACHE_TIMEOUT later, all would be
    rebuilt at once (in the load benchmark: a minute of seconds-long answers every five minutes)."""
    now = datetime.now(UTC).timestamp()
    lifetimes = [_fresh_until() - now for _ in range(50)]
    timeout = settings.PAGE_CACHE_TIMEOUT
    assert all(timeout / 2 - 1 <= lifetime <= timeout + 1 for lifetime in lifetimes)
    assert max(lifetimes) - min(lifetimes) > timeout / 4


def later(monkeypatch, seconds: float) -> None:
    """The clock ``seconds`` ahead for the rest of the test."""
    moved = datetime.now(UTC) + timedelta(seconds=seconds)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moved)


def test_a_page_past_its_time_is_rebuilt_once_while_the_others_get_it_stale(client, mentor_page, settings, monkeypatch):
    assert client.get(mentor_page.url)[HEADER] == "miss"
    assert client.get(mentor_page.url)[HEADER] == "hit"
    later(monkeypatch, settings.PAGE_CACHE_TIMEOUT + 1)
    key = _key(RequestFactory().get(mentor_page.url, secure=False))
    assert _claim_rebuild(key)  # another request is rebuilding it
    meanwhile = client.get(mentor_page.url)
    assert meanwhile[HEADER] == "stale" and b"Teaches Python" in meanwhile.content
    _release_rebuild(key)
    assert client.get(mentor_page.url)[HEADER] == "miss"
    assert client.get(mentor_page.url)[HEADER] == "hit"


def test_a_kept_part_past_its_time_is_built_again(settings, monkeypatch):
    built = []

    def build() -> int:
        built.append(1)
        return len(built)

    assert [cached_part("clocked", ["x"], ["clock-test"], build) for _ in range(2)] == [1, 1]
    later(monkeypatch, settings.PAGE_CACHE_TIMEOUT + 1)
    assert cached_part("clocked", ["x"], ["clock-test"], build) == 2


def test_a_rebuild_that_stores_nothing_lets_the_next_request_try_again(
    client, mentor_page, django_capture_on_commit_callbacks
):
    client.get(mentor_page.url)
    with django_capture_on_commit_callbacks(execute=True):
        mentor_page.unpublish()
    assert [client.get(mentor_page.url).status_code for _ in range(3)] == [404, 404, 404]


def test_a_booking_changes_the_seats_on_the_kept_session_page_without_a_rebuild(
    client, group_session, user_factory, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """Seats are live parts of a kept page (core.pages.live_parts): a booking does not make it stale."""
    url = f"/sessions/{group_session.pk}/"
    learners = [user_factory() for _ in range(3)]  # a new account changes the site (mentor lists): made first
    current_policy()  # the site's booking policy exists, as on a running site (made on first read)
    before = client.get(url)
    assert before[HEADER] == "miss" and b"3 of 3 free" in before.content
    with django_capture_on_commit_callbacks(execute=True):
        book_session(group_session, learners[0])
    with django_assert_num_queries(0):
        after = client.get(url)
    assert after[HEADER] == "hit" and b"2 of 3 free" in after.content and b"Book for free" in after.content
    with django_capture_on_commit_callbacks(execute=True):
        book_session(group_session, learners[1])
        book_session(group_session, learners[2])
    full = client.get(url).content.decode()
    assert "0 of 3 free" in full and "This session is full." in full and "Join the waitlist" in full
    assert "Book for free" not in full
    assert b"\x00" not in before.content + after.content


def test_a_booking_changes_the_seats_on_the_kept_mentor_page(
    client, mentor_page, group_session, user_factory, django_capture_on_commit_callbacks
):
    learners = [user_factory() for _ in range(3)]
    current_policy()  # the site's booking policy exists, as on a running site (made on first read)
    assert b"3 seats, 0 taken" in client.get(mentor_page.url).content
    with django_capture_on_commit_callbacks(execute=True):
        book_session(group_session, learners[0])
    after = client.get(mentor_page.url)
    assert after[HEADER] == "hit" and b"3 seats, 1 taken" in after.content
    hindi = client.get(mentor_page.url, HTTP_ACCEPT_LANGUAGE="hi")
    with django_capture_on_commit_callbacks(execute=True):
        book_session(group_session, learners[1])
        book_session(group_session, learners[2])
    kept_hindi = client.get(mentor_page.url, HTTP_ACCEPT_LANGUAGE="hi").content.decode()
    assert hindi[HEADER] == "miss" and "3 seats" not in kept_hindi and b"full" in client.get(mentor_page.url).content


def test_seats_missing_from_the_cache_are_counted_on_the_next_hit(
    client, group_session, user_factory, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from core.pages.live_parts import SEATS_PREFIX

    url = f"/sessions/{group_session.pk}/"
    learner = user_factory()
    client.get(url)
    book_session(group_session, learner)  # committed without its after-commit work: nothing was told
    cache.delete(SEATS_PREFIX + str(group_session.pk))
    again = client.get(url)
    assert again[HEADER] == "hit" and b"2 of 3 free" in again.content


def test_a_signed_in_page_carries_no_live_markers(client, group_session, user_factory):
    client.force_login(user_factory())
    page = client.get(f"/sessions/{group_session.pk}/")
    assert page.status_code == 200 and b"3 of 3 free" in page.content and b"\x00" not in page.content


def test_a_new_session_shows_on_the_mentors_page(client, mentor_page, django_capture_on_commit_callbacks):
    client.get(mentor_page.url)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=4)
    with django_capture_on_commit_callbacks(execute=True):
        Session.objects.create(
            mentor=mentor_page.user, title="Fresh session", starts_at=start, ends_at=start + timedelta(hours=1)
        )
    fresh = client.get(mentor_page.url)
    assert fresh[HEADER] == "miss" and b"Fresh session" in fresh.content


def test_an_availability_change_makes_the_search_stale(client, mentor_page, django_capture_on_commit_callbacks):
    url = f"{mentor_page.get_parent().url}?free_within_days=7"
    client.get(url)
    assert client.get(url)[HEADER] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        WeeklyRule.objects.create(mentor=mentor_page.user, weekday=1, start_time=time(9), end_time=time(12))
    assert client.get(url)[HEADER] == "miss"
    assert client.get(mentor_page.url)[HEADER] == "miss"


def test_theme_settings_make_every_page_stale(client, mentor_page, django_capture_on_commit_callbacks):
    client.get(mentor_page.url)
    site = Site.objects.get(is_default_site=True)
    with django_capture_on_commit_callbacks(execute=True):
        settings = ThemeSettings.for_site(site)
        settings.tagline = "A brand new tagline"
        settings.save()
    assert b"A brand new tagline" in client.get(mentor_page.url).content


def test_page_views_served_from_the_cache_are_still_logged(client, mentor_page, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            client.get(mentor_page.url)
    flush()
    viewed = Event.objects.filter(name="mentor.viewed", mentor_id=mentor_page.user_id)
    assert viewed.count() == 3
    assert all(event.user_id is None for event in viewed)


def test_each_language_has_its_own_copy(client, mentor_page):
    """The key holds the language (cookie, else Accept-Language): a Hindi visitor never gets the English page."""
    english = client.get(mentor_page.url, HTTP_ACCEPT_LANGUAGE="en")
    hindi = client.get(mentor_page.url, HTTP_ACCEPT_LANGUAGE="hi")
    again = client.get(mentor_page.url, HTTP_ACCEPT_LANGUAGE="hi")
    assert english[HEADER] == "miss" and hindi[HEADER] == "miss" and again[HEADER] == "hit"
    assert b"Find a mentor" in english.content
    assert "मेंटर खोजें" in again.content.decode() and b"Find a mentor" not in again.content
    spanish = Client(HTTP_ACCEPT_LANGUAGE="hi")
    spanish.cookies["django_language"] = "es"
    assert "Buscar un mentor" in spanish.get(mentor_page.url).content.decode(), (
        "the switcher's cookie beats the browser"
    )
