"""A person's ranking is kept for a minute (core.pages.cache.cached_part) and never outlives what it shows.

Signed-in pages ask for two lists each (the dashboard's "for you" and "trending"): building one
costs the learner's features, every recommender's scores and the ranking. The list is kept per
person, question and language; a dismissal, a changed interest, a fitted model or a minute make
it stale. A booking does not: the seat it holds leaves the kept list as it is read. Impression
ids stay fresh on every answer. The test settings turn the caches off; every test here turns
them on.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.recommendations import services, store

FEEDBACK = "/api/recommendations/feedback/"


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_ENABLED = True
    settings.RECOMMENDATION_CACHE_SECONDS = 60


@pytest.fixture
def signed_in(api_client, platform):
    api_client.force_authenticate(platform["newcomer"])
    return api_client


def shown(client, url: str = "/api/recommendations/") -> tuple[list[str], list[str], int]:
    """The items listed, their impression ids, and the queries the answer took."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, response.content
    results = response.json()["results"]
    return [r["item"] for r in results], [r["impression_id"] for r in results], len(captured)


def test_the_second_list_is_kept_with_fresh_impression_ids(signed_in, fitted):
    first, first_ids, first_queries = shown(signed_in)
    again, again_ids, again_queries = shown(signed_in)
    assert again == first and first
    assert not set(again_ids) & set(first_ids)  # every answer is its own impression
    assert again_queries < first_queries


def test_another_learner_never_gets_a_kept_list(api_client, fitted, platform, skills, user_factory):
    api_client.force_authenticate(platform["newcomer"])
    mine, _, _ = shown(api_client)
    guitarist = user_factory(display_name="Guitarist")
    guitarist.interests.set([skills["guitar"]])
    api_client.force_authenticate(guitarist)
    theirs, _, _ = shown(api_client)
    assert theirs != mine
    assert theirs[0] == f"mentor:{platform['di'].pk}"  # the free guitar mentor, for them only


def test_a_dismissal_takes_the_item_off_the_kept_list(signed_in, fitted, django_capture_on_commit_callbacks):
    first, _, _ = shown(signed_in)
    item = first[0]
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in.post(FEEDBACK, {"impression_id": str(uuid.uuid4()), "item": item, "event": "dismiss"})
    assert response.status_code == 201
    assert item not in shown(signed_in)[0]


def test_new_interests_change_the_list_at_once(signed_in, fitted, platform, skills, django_capture_on_commit_callbacks):
    first, _, _ = shown(signed_in)
    assert first[0] == f"mentor:{platform['ada'].pk}"
    with django_capture_on_commit_callbacks(execute=True):
        platform["newcomer"].interests.set([skills["guitar"]])
    assert shown(signed_in)[0][0] == f"mentor:{platform['di'].pk}"


def test_a_booked_session_leaves_the_list_at_once_without_ranking_again(
    signed_in, fitted, platform, monkeypatch, django_capture_on_commit_callbacks
):
    from core.scheduling.models import Session
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.policy import current_policy

    with django_capture_on_commit_callbacks(execute=True):
        current_policy()  # the site's booking policy, stored on first use (which bumps ``site``)
    calls = []
    real = services._ranking
    monkeypatch.setattr(services, "_ranking", lambda *args: calls.append(1) or real(*args))
    first, _, _ = shown(signed_in)
    item = next((item for item in first if item.startswith("session:")), None)
    assert item, f"the fixture's sessions are recommended: {first}"
    with django_capture_on_commit_callbacks(execute=True):
        book_session(Session.objects.get(pk=int(item.split(":")[1])), platform["newcomer"])
    after, _, _ = shown(signed_in)
    assert after == [other for other in first if other != item]
    assert len(calls) == 1, "the kept ranking served, without the booked seat"


def test_a_fitted_model_and_a_minute_make_the_list_stale(
    signed_in, fitted, monkeypatch, django_capture_on_commit_callbacks
):
    calls = []
    real = services._ranking
    monkeypatch.setattr(services, "_ranking", lambda *args: calls.append(1) or real(*args))
    shown(signed_in)
    shown(signed_in)
    assert len(calls) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert all(outcome.ok for outcome in store.refit())
    shown(signed_in)
    assert len(calls) == 2
    later = timezone.now() + timedelta(seconds=61)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    shown(signed_in)
    assert len(calls) == 3


def test_with_the_cache_off_every_answer_is_built(signed_in, fitted, settings, monkeypatch):
    settings.PAGE_CACHE_ENABLED = False
    calls = []
    real = services._ranking
    monkeypatch.setattr(services, "_ranking", lambda *args: calls.append(1) or real(*args))
    shown(signed_in)
    shown(signed_in)
    assert len(calls) == 2


def test_a_kept_dashboard_reports_its_own_impressions(client, fitted, platform):
    """The dashboard is kept whole (core.pages.kept_pages); its recommendation rows get new impression ids."""
    import re

    client.force_login(platform["newcomer"])
    client.get("/dashboard/")  # the CSRF cookie
    answers = [client.get("/dashboard/") for _ in range(2)]
    assert [a["X-Page-Cache"] for a in answers] == ["miss", "hit"]
    rows = [re.findall(r'data-item="([^"]+)" data-impression="([^"]+)"', a.content.decode()) for a in answers]
    assert rows[0] and [item for item, _ in rows[1]] == [item for item, _ in rows[0]]
    assert not {i for _, i in rows[1]} & {i for _, i in rows[0]}
    _, impression = rows[1][0]
    response = client.post(
        FEEDBACK,
        {"impression_id": impression, "item": rows[1][0][0], "event": "impression", "surface": "dashboard"},
        content_type="application/json",
    )
    assert response.status_code in (200, 201), response.content
