"""With the caches on (as in production), a page asks the database whether any campaign runs once per day and change.

Most days most sites run no campaign; every recommendation block and search page used to
spend three queries finding that out. The answer is kept (``core.pages.cache.cached_part``)
until a campaign is saved or deleted, so a new, paused or ended campaign shows at once.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.recommendations import sources
from core.sponsorship import services
from core.sponsorship.models import Campaign
from core.sponsorship.placement import place_recommendations

from .conftest import campaign_input, free_all_week, subscribe
from .test_search_and_recommendations import _organic_list

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def caches_on(settings):
    from django.core.cache import cache

    settings.PAGE_CACHE_ENABLED = True
    cache.clear()


def _sponsored(result) -> int:
    return sum(1 for item in result.items if item.sponsored)


def test_no_running_campaign_costs_no_query_once_known(world, user_factory, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        Campaign.objects.all().delete()
    organic = _organic_list(world)
    learner = user_factory()
    assert _sponsored(place_recommendations(organic, learner)) == 0
    with CaptureQueriesContext(connection) as queries:
        assert _sponsored(place_recommendations(organic, learner)) == 0
        assert services.candidates({"python"}, set(), set()) == []
    assert len(queries) == 0


def test_a_campaign_started_paused_or_deleted_shows_at_once(
    world, user_factory, make_mentor, skills, sponsor_plan, django_capture_on_commit_callbacks
):
    organic = _organic_list(world)
    learner = user_factory()
    assert _sponsored(place_recommendations(organic, learner)) == 2
    with django_capture_on_commit_callbacks(execute=True):  # bumps wait for the commit, as in a request
        for campaign in Campaign.objects.all():
            campaign.status = Campaign.PAUSED
            campaign.save()
    assert _sponsored(place_recommendations(organic, learner)) == 0
    page = make_mentor("Newly sponsored", skills=[skills["python"]], rating="3.0", rating_count=2)
    free_all_week(page.user)
    subscribe(page.user, sponsor_plan)
    sources.forget_memo()  # the recommenders' catalogue snapshot (a minute) must know the new mentor
    with django_capture_on_commit_callbacks(execute=True):
        services.create_campaign(page.user, campaign_input(name="Started just now"))
    assert _sponsored(place_recommendations(organic, learner)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        Campaign.objects.get(name="Started just now").delete()
    assert _sponsored(place_recommendations(organic, learner)) == 0
