"""Sponsored mentors in mentor search (page and API) and in recommendations: labelled, capped, counted, bookable."""

from __future__ import annotations

import re

import pytest

from core.sponsorship.slotting import Slot, within_cap

from .conftest import campaign_input, free_all_week

pytestmark = pytest.mark.django_db

#: A result of the search page: (' data-sponsored' or '', the mentor's user id).
ITEM = (
    r'<li( class="relative" data-sponsored)?[^>]*>\s*'
    r"(?:<p[^>]*><span[^>]*>Sponsored</span></p>\s*)?"
    r'<article[^>]*data-mentor="(\d+)"'
)


def _impressions():
    from core.sponsorship.models import SponsoredImpression

    return SponsoredImpression.objects.count()


def test_search_page_shows_labelled_sponsored_slots_within_the_cap(client, world):
    page = world["index"]
    answer = client.get(page.url + "?skill=python")
    assert answer.status_code == 200
    html = answer.content.decode()
    items = re.findall(ITEM, html)
    assert len(items) == 10
    flags = [bool(sponsored) for sponsored, _ in items]
    assert flags == [True, False, False, False, False, True, False, False, False, False]
    assert within_cap([Slot(mentor, flag) for flag, (_, mentor) in zip(flags, items, strict=True)])
    sponsored_ids = {p.user_id for p in world["sponsored"]}
    assert all(int(mentor) in sponsored_ids for flag, (_, mentor) in zip(flags, items, strict=True) if flag)
    assert html.count(">Sponsored</span>") == 2
    assert _impressions() == 2
    assert "no-store" in answer["Cache-Control"] and "private" in answer["Cache-Control"]
    # every view counts again
    client.get(page.url + "?skill=python")
    assert _impressions() == 4


def test_search_api_marks_every_result_and_counts_clicks_once(client, world):
    from core.sponsorship.models import CampaignDay, SponsoredImpression

    answer = client.get("/api/mentors/?skill=python&page_size=8")
    assert answer.status_code == 200, answer.content
    results = answer.json()["results"]
    assert all(isinstance(r["sponsored"], bool) for r in results)
    flags = [r["sponsored"] for r in results]
    assert sum(flags) >= 1
    assert within_cap([Slot(r["id"], r["sponsored"]) for r in results])
    assert all(r["impression_id"] is None and r["click_url"] is None for r in results if not r["sponsored"])
    first = next(r for r in results if r["sponsored"])
    assert first["id"] in {p.user_id for p in world["sponsored"]}
    assert "no-store" in answer["Cache-Control"]
    for _ in range(2):
        click = client.get(first["click_url"])
        assert click.status_code == 302
    impression = SponsoredImpression.objects.get(impression_id=first["impression_id"])
    assert impression.clicked_at is not None
    assert CampaignDay.objects.get(campaign=impression.campaign).clicks == 1


def test_only_bookable_mentors_with_a_plan_or_an_editors_campaign_are_sponsored(
    client, world, make_mentor, skills, user_factory
):
    from core.sponsorship import services
    from core.sponsorship.models import SponsoredImpression
    from core.subscriptions.models import Subscription

    # the plans of two sponsored mentors end; the third has no free time: nobody is eligible
    Subscription.objects.filter(mentor__in=[p.user for p in world["sponsored"][:2]]).update(status="canceled")
    world["sponsored"][2].user.weekly_rules.all().delete()
    answer = client.get("/api/mentors/?skill=python&page_size=8")
    assert not any(r["sponsored"] for r in answer.json()["results"])
    # an editor sponsors a mentor without a plan: shown
    editor = user_factory(is_staff=True)
    services.create_campaign(editor, campaign_input(name="Editor's pick"), mentor=world["sponsored"][0].user)
    results = client.get("/api/mentors/?skill=python&page_size=8").json()["results"]
    assert [r["id"] for r in results if r["sponsored"]] == [world["sponsored"][0].user_id]
    # a learner never sees themselves sponsored
    client.force_login(world["sponsored"][0].user)
    before = SponsoredImpression.objects.count()
    results = client.get("/api/mentors/?skill=python&page_size=8").json()["results"]
    assert not any(r["sponsored"] for r in results) and SponsoredImpression.objects.count() == before


def test_untargeted_skill_is_not_sponsored(client, world, skills, make_mentor):
    guitar = make_mentor("Guitar teacher", skills=[skills["guitar"]], rating="4.0", rating_count=3)
    free_all_week(guitar.user)
    results = client.get("/api/mentors/?skill=guitar").json()["results"]
    assert [r["sponsored"] for r in results] == [False]


def test_spend_stops_at_the_daily_budget(world):
    from core.sponsorship import services
    from core.sponsorship.models import Campaign, CampaignDay

    sponsored = world["sponsored"][0]
    campaign = Campaign.objects.get(mentor=sponsored.user)
    Campaign.objects.filter(pk=campaign.pk).update(
        price_minor=1_000, daily_budget_minor=3
    )  # 1 cent per view, 3 cents a day
    campaign.refresh_from_db()
    shown = [services.record_impression(campaign, surface="test") for _ in range(5)]
    assert [s is not None for s in shown] == [True, True, True, False, False]
    day = CampaignDay.objects.get(campaign=campaign)
    assert day.impressions == 3 and day.spend_minor == 3
    per_day = services.create_campaign(
        sponsored.user, campaign_input(name="Per day", pricing="per_day", price="4.00", daily_budget="4.00")
    )
    assert all(services.record_impression(per_day, surface="test") for _ in range(4))
    assert CampaignDay.objects.get(campaign=per_day).spend_minor == 400  # one day, however many views


def _organic_list(world):
    from django.utils import timezone

    from core.recommendations import sources
    from core.recommendations.ranker import RankedItem
    from core.recommendations.services import Recommendation, RecommendationList

    catalogue = sources.catalogue_view(30, ("mentor",)).catalogue
    ids = {p.user_id for p in world["organic"]}
    items = [c for c in catalogue.items if c.owner_user_id in ids]
    return RecommendationList(
        items=[
            Recommendation(RankedItem(c, 1.0 - n / 10, {"content": 0.5}, "Because you like Python"), n + 1)
            for n, c in enumerate(items)
        ],
        generated_at=timezone.now(),
        models=["content"],
        personalised=True,
    )


def test_recommendations_get_sponsored_slots_after_ranking(world, user_factory, rf):
    from django.template.loader import render_to_string

    from core.recommendations.api import RecommendedItemSerializer
    from core.sponsorship.placement import place_recommendations

    organic = _organic_list(world)
    assert len(organic.items) == 8
    learner = user_factory()
    placed = place_recommendations(organic, learner, surface="home")
    flags = [r.sponsored for r in placed.items]
    assert flags == [True, False, False, False, False, True, False, False, False, False]
    assert [r.position for r in placed.items] == list(range(1, 11))
    assert [r.candidate.key for r in placed.items if not r.sponsored] == [r.candidate.key for r in organic.items]
    rows = [RecommendedItemSerializer.from_recommendation(r) for r in placed.items]
    assert [row["sponsored"] for row in rows] == flags
    request = rf.get("/")
    request.user = learner
    html = render_to_string(
        "recommendations/includes/list.html",
        {
            "result": placed,
            "title": "Recommended",
            "section_id": "x",
            "surface": "home",
            "signed_in": True,
            "request": request,
        },
    )
    assert html.count("data-sponsored-label>Sponsored<") == 2
    assert html.count("/sponsored/click/") == 2


def test_recommendation_click_feedback_counts_the_sponsored_click(world, user_factory):
    from core.recommendations.services import record_feedback
    from core.sponsorship.models import CampaignDay
    from core.sponsorship.placement import place_recommendations

    learner = user_factory()
    placed = place_recommendations(_organic_list(world), learner)
    rec = next(r for r in placed.items if r.sponsored)
    record_feedback(learner, impression_id=rec.impression_id, item=rec.candidate.key, kind="impression")
    record_feedback(learner, impression_id=rec.impression_id, item=rec.candidate.key, kind="click")
    record_feedback(learner, impression_id=rec.impression_id, item=rec.candidate.key, kind="click")
    assert sum(CampaignDay.objects.values_list("clicks", flat=True)) == 1


def test_a_dashboard_with_sponsored_slots_is_counted_on_every_view(client, world, user_factory, settings):
    """A signed-in page is kept whole (core.pages.kept_pages) unless it shows sponsored slots: each view counts."""
    settings.PAGE_CACHE_ENABLED = True
    client.force_login(user_factory(display_name="Lee Learner"))
    client.get("/dashboard/")
    before = _impressions()
    answers = [client.get("/dashboard/") for _ in range(2)]
    assert all(">Sponsored</span>" in a.content.decode() for a in answers)
    assert all(a.get("X-Page-Cache") is None for a in answers)
    assert _impressions() > before and (_impressions() - before) % 2 == 0
