"""Campaigns: who may run one, bad input refused with a reason (nothing written), the reports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from .conftest import campaign_input, subscribe

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


@pytest.fixture
def sponsor(user_factory, sponsor_plan, skills):
    user = user_factory(is_mentor=True)
    subscribe(user, sponsor_plan)
    return user


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"price": "-1.00"}, "price"),
        ({"price": "0"}, "price"),
        ({"daily_budget": "0"}, "daily_budget"),
        ({"daily_budget": "abc"}, "daily_budget"),
        ({"pricing": "per_click"}, "pricing"),
        ({"starts_on": "2001-01-01"}, "starts_on"),
        ({"starts_on": (TODAY() + timedelta(days=900)).isoformat()}, "starts_on"),
        ({"ends_on": (TODAY() + timedelta(days=400)).isoformat()}, "ends_on"),
        ({"ends_on": (TODAY() - timedelta(days=1)).isoformat()}, "ends_on"),
        ({"starts_on": "next week"}, "starts_on"),
        ({"skills": ["no-such-skill"]}, "skills"),
        ({"currency": "EURO"}, "currency"),
        ({"pricing": "per_day", "price": "10.00", "daily_budget": "5.00"}, "daily_budget"),
    ],
)
def test_bad_campaign_input_is_a_400_with_a_reason_and_writes_nothing(client, sponsor, changes, field):
    from core.sponsorship.models import Campaign

    client.force_login(sponsor)
    answer = client.post("/api/sponsored/campaigns/", campaign_input(**changes), content_type="application/json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["errors"], answer.json()
    assert not Campaign.objects.exists()


def test_a_mentor_without_an_eligible_plan_is_refused(client, user_factory, skills):
    from core.sponsorship.models import Campaign

    client.force_login(user_factory(is_mentor=True))
    answer = client.post("/api/sponsored/campaigns/", campaign_input(), content_type="application/json")
    assert answer.status_code == 403 and answer.json()["code"] == "no_plan"
    page = client.get("/sponsored/campaigns/")
    assert b"come with a premium plan" in page.content
    assert not Campaign.objects.exists()


def test_an_editor_sponsors_any_mentor_and_sees_every_report(client, user_factory, skills, sponsor):
    editor = user_factory(is_staff=True, is_superuser=True)
    mentor = user_factory(is_mentor=True)
    client.force_login(editor)
    answer = client.post("/api/sponsored/campaigns/", campaign_input(mentor=mentor.pk), content_type="application/json")
    assert answer.status_code == 201, answer.json()
    assert answer.json()["mentor"] == mentor.pk and answer.json()["impressions"] == 0
    client.force_login(sponsor)
    assert (
        client.post("/api/sponsored/campaigns/", campaign_input(), content_type="application/json").status_code == 201
    )
    assert len(client.get("/api/sponsored/campaigns/").json()) == 1  # a mentor sees their own
    client.force_login(editor)
    assert len(client.get("/api/sponsored/campaigns/").json()) == 2
    admin = client.get("/admin/snippets/sponsorship/campaign/")
    assert admin.status_code == 200 and b"Impressions" in admin.content


def test_mentor_creates_a_campaign_on_the_page_and_reads_its_report(client, sponsor):
    from core.sponsorship import services
    from core.sponsorship.models import Campaign

    client.force_login(sponsor)
    bad = client.post("/sponsored/campaigns/", campaign_input(daily_budget="0", skills="python"))
    assert bad.status_code == 400 and b"daily_budget" in bad.content and not Campaign.objects.exists()
    made = client.post("/sponsored/campaigns/", {**campaign_input(), "skills": ["python"]})
    assert made.status_code == 302
    campaign = Campaign.objects.get()
    services.record_impression(campaign, surface="search")
    page = client.get("/sponsored/campaigns/")
    assert page.status_code == 200 and b"Python spring" in page.content
    assert b"data-total-impressions>1<" in page.content
    report = client.get(f"/sponsored/campaigns/{campaign.pk}/")
    assert report.status_code == 200 and "€0.01" in report.content.decode()
