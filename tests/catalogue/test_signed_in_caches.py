"""The cached parts of signed-in pages (core.pages.cache.cached_part): cheap, personal, and never stale.

The learner dashboard keeps its learning-path block per learner and the session
list API keeps its answer per audience, until something they show changes. The
test settings turn these caches off; every test here turns them on. Changes are
made inside ``django_capture_on_commit_callbacks(execute=True)`` because the
caches are made stale when a change commits.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from core.scheduling.models import Booking, Session
from core.scheduling.services.bookings import book_session


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_ENABLED = True


@pytest.fixture
def mentor_page(make_mentor, skills):
    return make_mentor("Ada Lovelace", skills=[skills["python"], skills["django"]], headline="Teaches Python")


def make_session(mentor, title: str, skill, *, days: float = 3, capacity: int = 3, origin: str = Session.PUBLISHED):
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=days)
    session = Session.objects.create(
        mentor=mentor,
        title=title,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        capacity=capacity,
        origin=origin,
    )
    session.skills.set([skill])
    return session


@pytest.fixture
def learner(user_factory, skills):
    person = user_factory(display_name="Lee Learner", time_zone="Asia/Kolkata")
    person.interests.set([skills["django"]])
    return person


def learning_path_block(response) -> str:
    html = response.content.decode()
    start = html.index("data-learning-path")
    return html[start : html.index("</section>", start)]


def count_queries(client, url: str, **headers) -> tuple[object, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **headers)
    return response, len(captured)


def test_the_learning_path_is_built_once_per_learner(client, learner, mentor_page, skills):
    client.force_login(learner)
    first, first_queries = count_queries(client, "/dashboard/")
    second, second_queries = count_queries(client, "/dashboard/")
    assert first.status_code == second.status_code == 200
    assert learning_path_block(second) == learning_path_block(first)
    assert "Django" in learning_path_block(second)
    assert "Ada Lovelace" in learning_path_block(second)  # the goal's mentors
    assert second_queries <= first_queries - 5  # the path's own queries are gone

    other = Client()
    other_learner = type(learner).objects.create_user(
        email="other@example.org", password="a-Strong-pass-123", display_name="Other"
    )
    other_learner.interests.set([skills["calculus"]])
    other.force_login(other_learner)
    theirs = learning_path_block(other.get("/dashboard/"))
    assert "Calculus" in theirs and "Ada Lovelace" not in theirs  # never another learner's block


def test_a_booking_shows_on_the_dashboard_at_once_and_refreshes_the_path(
    client, learner, mentor_page, skills, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    group = make_session(mentor_page.user, "Django together", skills["django"])
    before = client.get("/dashboard/")
    assert b"Django together" in before.content  # offered in the path to Django
    assert "Already behind you" not in learning_path_block(before)

    with django_capture_on_commit_callbacks(execute=True):
        book_session(group, learner)
    upcoming = client.get("/dashboard/").content.decode()
    assert f'data-session-id="{group.pk}"' in upcoming

    past = make_session(mentor_page.user, "Python basics", skills["python"], days=-3)
    with django_capture_on_commit_callbacks(execute=True):
        Booking.objects.create(
            session=past,
            learner=learner,
            status=Booking.COMPLETED,
            starts_at=past.starts_at,
            ends_at=past.ends_at,
        )
    assert "Already behind you: Python" in learning_path_block(client.get("/dashboard/"))


def test_changing_interests_changes_the_path_at_once(
    client, learner, mentor_page, skills, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    assert "Django" in learning_path_block(client.get("/dashboard/"))
    with django_capture_on_commit_callbacks(execute=True):
        learner.interests.set([skills["guitar"]])
    block = learning_path_block(client.get("/dashboard/"))
    assert "Guitar" in block and "Django" not in block


def test_a_new_mentor_session_reaches_a_cached_path(
    client, learner, mentor_page, skills, django_capture_on_commit_callbacks
):
    client.force_login(learner)
    assert "Django evening" not in learning_path_block(client.get("/dashboard/"))
    with django_capture_on_commit_callbacks(execute=True):
        make_session(mentor_page.user, "Django evening", skills["django"])
    assert "Django evening" in learning_path_block(client.get("/dashboard/"))


@pytest.fixture
def token_client(learner):
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=learner).key}")


def listed(response) -> dict[int, dict]:
    assert response.status_code == 200, response.content
    return {row["id"]: row for row in response.json()["results"]}


def test_the_session_list_is_kept_and_a_booking_shows_at_once(
    token_client, learner, mentor_page, skills, django_capture_on_commit_callbacks
):
    group = make_session(mentor_page.user, "Python together", skills["python"], capacity=3)
    first = listed(token_client.get("/api/sessions/"))
    assert first[group.pk]["seats_left"] == 3
    again, queries = count_queries(token_client, "/api/sessions/")
    assert listed(again) == first
    assert queries <= 1  # the token only

    with django_capture_on_commit_callbacks(execute=True):
        book_session(group, learner)
    assert listed(token_client.get("/api/sessions/"))[group.pk]["seats_left"] == 2

    with django_capture_on_commit_callbacks(execute=True):
        later = make_session(mentor_page.user, "Python later", skills["python"], days=4)
    assert later.pk in listed(token_client.get("/api/sessions/"))


def test_a_booking_changes_the_seats_of_the_kept_list_without_a_rebuild(
    token_client, learner, mentor_page, skills, django_capture_on_commit_callbacks
):
    """Seats are read live into the kept list (core.pages.live_parts); a filter by seats is rebuilt instead."""
    from core.scheduling.services.policy import current_policy

    current_policy()  # the site's booking policy exists, as on a running site (made on first read)
    group = make_session(mentor_page.user, "Python together", skills["python"], capacity=1)
    assert listed(token_client.get("/api/sessions/"))[group.pk]["seats_left"] == 1
    assert group.pk in listed(token_client.get("/api/sessions/?has_seats=true"))
    with django_capture_on_commit_callbacks(execute=True):
        book_session(group, learner)
    after, queries = count_queries(token_client, "/api/sessions/")
    assert listed(after)[group.pk]["seats_left"] == 0
    assert queries <= 1  # the token only: the list was not built again
    assert group.pk not in listed(token_client.get("/api/sessions/?has_seats=true"))
    assert group.pk in listed(token_client.get("/api/sessions/?has_seats=false"))


def test_a_private_session_is_listed_only_for_its_people(
    token_client, learner, mentor_page, skills, user_factory, django_capture_on_commit_callbacks
):
    published = make_session(mentor_page.user, "Open group", skills["python"])
    visitor = Client()
    stranger = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user_factory()).key}")
    for client in (visitor, token_client, stranger):  # everyone's shared list is cached first
        assert set(listed(client.get("/api/sessions/"))) == {published.pk}

    with django_capture_on_commit_callbacks(execute=True):
        one_to_one = make_session(
            mentor_page.user, "Just us", skills["python"], days=2, capacity=1, origin=Session.SLOT
        )
        Booking.objects.create(
            session=one_to_one,
            learner=learner,
            status=Booking.CONFIRMED,
            starts_at=one_to_one.starts_at,
            ends_at=one_to_one.ends_at,
        )
    assert set(listed(token_client.get("/api/sessions/"))) == {published.pk, one_to_one.pk}
    assert set(listed(stranger.get("/api/sessions/"))) == {published.pk}
    assert set(listed(visitor.get("/api/sessions/"))) == {published.pk}
    mentor = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=mentor_page.user).key}")
    assert set(listed(mentor.get("/api/sessions/"))) == {published.pk, one_to_one.pk}


def test_each_time_zone_gets_its_own_list(token_client, learner, mentor_page, skills, user_factory):
    group = make_session(mentor_page.user, "Python together", skills["python"])
    elsewhere = user_factory(time_zone="America/New_York")
    theirs = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=elsewhere).key}")
    mine = listed(token_client.get("/api/sessions/"))[group.pk]
    other = listed(theirs.get("/api/sessions/"))[group.pk]
    assert mine["time_zone"] == "Asia/Kolkata" and other["time_zone"] == "America/New_York"
    assert mine["start_local"] != other["start_local"] and mine["start"] == other["start"]


def test_a_listed_session_that_ended_leaves_the_list_without_a_save(token_client, mentor_page, skills, monkeypatch):
    group = make_session(mentor_page.user, "Python together", skills["python"])
    assert group.pk in listed(token_client.get("/api/sessions/"))
    after_end = group.ends_at + timedelta(minutes=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: after_end)
    assert group.pk not in listed(token_client.get("/api/sessions/"))


def test_the_booking_policy_is_kept_until_an_editor_saves_it(learner, django_capture_on_commit_callbacks):
    """Every dashboard and booking reads the site's policy: two queries each time, now once per change."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from wagtail.models import Site

    from core.scheduling.models import SchedulingPolicy
    from core.scheduling.services.policy import current_policy

    assert current_policy().free_cancellation_hours == SchedulingPolicy().free_cancellation_hours
    with CaptureQueriesContext(connection) as captured:
        current_policy()
    assert len(captured) == 0

    with django_capture_on_commit_callbacks(execute=True):  # as the settings form saves it
        policy = SchedulingPolicy.for_site(Site.objects.get(is_default_site=True))
        policy.free_cancellation_hours = 72
        policy.save()
    assert current_policy().free_cancellation_hours == 72


def test_a_shared_part_is_rebuilt_by_one_request_while_the_others_get_the_last_one():
    """``stale_while_rebuilding``: what everyone shares (the session list) is built once after a change."""
    from core.pages.cache import _claim_rebuild, _release_rebuild, bump, cached_part, part_key

    built = []

    def kept() -> int:
        return cached_part(
            "shared-test", [], ["shared-test"], lambda: built.append(1) or len(built), stale_while_rebuilding=True
        )

    assert kept() == 1 and kept() == 1
    bump("shared-test")
    key = part_key("shared-test", [])
    assert _claim_rebuild(key)  # another request is rebuilding it
    assert kept() == 1 and len(built) == 1, "the last value, not a second build"
    _release_rebuild(key)
    assert kept() == 2 and kept() == 2, "rebuilt once, then kept"


def test_a_personal_part_is_never_served_stale():
    from core.pages.cache import _claim_rebuild, bump, cached_part, part_key

    built = []

    def kept() -> int:
        return cached_part("personal-test", [7], ["person:7"], lambda: built.append(1) or len(built))

    assert kept() == 1
    bump("person:7")
    _claim_rebuild(part_key("personal-test", [7]))
    assert kept() == 2


def _counting_reads(monkeypatch) -> list:
    from django.core.cache import cache

    reads = []
    get_many = cache.get_many
    monkeypatch.setattr(cache, "get_many", lambda keys, *a, **kw: reads.append(list(keys)) or get_many(keys, *a, **kw))
    return reads


def test_parts_read_together_cost_one_round_trip_and_never_serve_a_bumped_value(monkeypatch):
    from core.pages.cache import bump, cached_part, parts_read_together

    built = {"first": 0, "second": 0}

    def part(name: str) -> int:
        return cached_part(name, [1], [f"{name}-tag"], lambda: built.__setitem__(name, built[name] + 1) or built[name])

    assert (part("first"), part("second")) == (1, 1)
    reads = _counting_reads(monkeypatch)
    with parts_read_together(("first", [1], ["first-tag"]), ("second", [1], ["second-tag"])):
        assert (part("first"), part("second")) == (1, 1)
        assert len(reads) == 1, "both parts and their tags in the one read"
        assert part("first") == 1 and len(reads) == 2, "a value read ahead is used once, then read anew"
    bump("second-tag")
    with parts_read_together(("first", [1], ["first-tag"]), ("second", [1], ["second-tag"])):
        assert (part("first"), part("second")) == (1, 2), "a bumped tag read ahead makes its part stale"


def test_a_learner_without_sessions_of_their_own_gets_the_shared_list_in_one_read(
    token_client, learner, mentor_page, skills, monkeypatch
):
    group = make_session(mentor_page.user, "Python together", skills["python"])
    assert group.pk in listed(token_client.get("/api/sessions/"))  # the token, the shared list and seats kept
    reads = _counting_reads(monkeypatch)
    assert group.pk in listed(token_client.get("/api/sessions/"))
    assert len(reads) == 3, f"the token, own sessions with the shared list, the seats left: {reads}"
