"""Every page and API of the load mix costs a fixed number of queries, whatever the number of mentors.

The same requests against a catalogue of 10 and of 200 mentors (each with a
live page, two skills, a weekly rule, an upcoming group session with a booking
and a review) must stay under one limit: a query per listed mentor or session
(an N+1) breaks it at 200. The anonymous page cache is off here (test settings):
these are the costs of rendering.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from wagtail.models import Page, Site

from core.catalogue.models import MentorPage
from core.pages.models import HomePage
from core.scheduling.models import Booking, Session, WeeklyRule

#: The most queries each request may make (measured at 10 mentors, plus two).
LIMITS = {
    "home": 12,
    # one for the sponsored slotting step (running campaigns), whatever the catalogue; one for Wagtail's
    # active locale (WAGTAIL_I18N_ENABLED: the page of the visitor's language is served)
    "mentor search": 16,
    "mentor search with filters": 28,  # as above, plus one for the connected calendars of the mentors listed
    "mentor page": 17,  # Wagtail's active locale, as for the search, and the mentor's session packages
    "session page": 10,
    "api mentors": 8,
    "api sessions": 6,
    "api recommendations": 13,
    "dashboard": 35,  # + sponsored slots in its two recommendation blocks, + the unread messages badge
}


@pytest.fixture
def site_root(db):
    """The site serves a real home page (with its trending list), as a deployment does."""
    home = HomePage(title="Home", slug="home-for-counts")
    Page.get_first_root_node().add_child(instance=home)
    Site.objects.filter(is_default_site=True).update(root_page=home)
    return home


@pytest.fixture
def catalogue(mentor_index, skills, user_factory):
    """Build ``n`` mentors with what every listing shows; returns the learner who booked with each."""

    def build(n: int):
        learner = user_factory(display_name="Lee Learner")
        start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=3)
        all_skills = list(skills.values())
        sessions = []
        for i in range(n):
            user = user_factory(display_name=f"Mentor {i}", is_mentor=True)
            page = MentorPage(
                title=f"Mentor {i}",
                slug=f"mentor-{i}",
                user=user,
                headline="Teaches",
                hourly_rate_minor=3000,
                currency="USD",
                live=True,
                rating_average=Decimal("4.5"),
                rating_count=2,
            )
            page.skills = all_skills[i % 5 : i % 5 + 2]
            mentor_index.add_child(instance=page)
            WeeklyRule.objects.create(mentor=user, weekday=i % 7, start_time=time(9), end_time=time(17))
            session = Session.objects.create(
                mentor=user,
                title=f"Group {i}",
                starts_at=start + timedelta(hours=i),
                ends_at=start + timedelta(hours=i, minutes=60),
                capacity=5,
            )
            session.skills.set(all_skills[:2])
            sessions.append(session)
        Booking.objects.bulk_create(
            Booking(
                session=s,
                learner=learner,
                status=Booking.CONFIRMED,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
            )
            for s in sessions
        )
        return learner, sessions

    return build


@pytest.mark.parametrize("mentors", [10, 200])
def test_query_counts_do_not_grow_with_the_catalogue(mentors, catalogue, skills, client, django_assert_max_num_queries):
    def get(name: str, url: str, **headers) -> None:
        client.get(url, **headers)  # warm-up: per-process caches (templates, site, settings)
        with django_assert_max_num_queries(LIMITS[name], info=f"{name} at {mentors} mentors"):
            response = client.get(url, **headers)
        assert response.status_code == 200, (name, response.status_code)
        if name == "home":
            assert b"Trending" in response.content or b"recs-trending" in response.content

    learner, sessions = catalogue(mentors)
    mentor_page = MentorPage.objects.live().order_by("pk").first()
    token = Token.objects.create(user=learner).key
    anonymous = {
        "home": "/",
        "mentor search": "/mentors/",
        "mentor search with filters": f"/mentors/?skill={skills['python'].slug}&min_rating=4&free_within_days=7",
        "mentor page": mentor_page.url,
        "session page": f"/sessions/{sessions[0].pk}/",
    }
    api = {
        "api mentors": "/api/mentors/",
        "api sessions": "/api/sessions/",
        "api recommendations": "/api/recommendations/",
    }
    for name, url in anonymous.items():
        get(name, url)
    for name, url in api.items():
        get(name, url, HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(learner)
    get("dashboard", "/dashboard/")


#: Signed-in requests once their cached parts are kept (core.pages.cache.cached_part), measured at 10
#: mentors plus two: the session list costs the token's query only; the dashboard, for a learner with
#: an interest (so a learning path to show), no longer builds the path (9 queries fewer than with the cache off).
CACHED_LIMITS = {
    "api sessions": 1,
    "dashboard": 37,
}


@pytest.mark.parametrize("mentors", [10, 200])
def test_signed_in_requests_with_their_cached_parts(
    mentors, catalogue, skills, client, settings, django_assert_max_num_queries
):
    settings.PAGE_CACHE_ENABLED = True
    learner, _sessions = catalogue(mentors)
    learner.interests.set([skills["python"]])
    token = Token.objects.create(user=learner).key

    def get(name: str, url: str, **headers) -> None:
        client.get(url, **headers)  # fills the caches
        with django_assert_max_num_queries(CACHED_LIMITS[name], info=f"{name} at {mentors} mentors, cached"):
            response = client.get(url, **headers)
        assert response.status_code == 200, (name, response.status_code)

    get("api sessions", "/api/sessions/", HTTP_AUTHORIZATION=f"Token {token}")
    client.force_login(learner)
    get("dashboard", "/dashboard/")
