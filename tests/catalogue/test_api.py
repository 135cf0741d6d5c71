"""GET /api/mentors/ and /api/mentors/{id}/: search, filters, bad filters, the schema."""

from __future__ import annotations

from datetime import time

import pytest

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentors(make_mentor, skills):
    return {
        "ana": make_mentor(
            "Ana Silva",
            skills=[skills["python"]],
            languages=["en", "pt"],
            rate=3050,
            currency="USD",
            rating="4.75",
            rating_count=8,
            headline="Backend web development",
            time_zone="Europe/Lisbon",
        ),
        "ben": make_mentor(
            "Ben Okafor", skills=[skills["guitar"]], rate=2000, currency="EUR", rating="3.00", rating_count=1
        ),
        "kai": make_mentor("Kai Tanaka", skills=[skills["python"], skills["calculus"]], rate=4500, currency="JPY"),
        "draft": make_mentor("Eve Draft", skills=[skills["python"]], live=False),
    }


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def test_list_item_fields(api_client, mentors):
    response = api_client.get("/api/mentors/?q=backend")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    ana = mentors["ana"]
    assert item == {
        "id": ana.user_id,
        "page_id": ana.pk,
        "url": f"http://testserver{ana.url}",
        "display_name": "Ana Silva",
        "headline": "Backend web development",
        "skills": [{"id": ana.skills.get().pk, "name": "Python", "slug": "python", "category": "Programming"}],
        "languages": ["en", "pt"],
        "time_zone": "Europe/Lisbon",
        "hourly_rate": "30.50",
        "currency": "USD",
        "rating_average": "4.75",
        "rating_count": 8,
        "photo": None,
        "sponsored": False,
        "impression_id": None,
        "click_url": None,
    }


def test_list_is_public_paginated_and_hides_drafts(api_client, mentors):
    response = api_client.get("/api/mentors/?page_size=2")
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert mentors["draft"].user_id not in ids(response) + ids(api_client.get(body["next"]))
    assert ids(response)[0] == mentors["ana"].user_id  # best rated first


FILTER_CASES = [
    ("skill=python", ["ana", "kai"]),
    ("skill=python&skill=calculus", ["kai"]),
    ("skill=python,calculus", ["kai"]),
    ("language=pt", ["ana"]),
    # bounds in USD (the reference) by default: 30.50 USD, 20 EUR = 22.22 USD, 4500 JPY = 30 USD
    ("min_price=25", ["ana", "kai"]),
    ("max_price=25", ["ben"]),
    ("min_price=30.50&max_price=30.50", ["ana"]),
    ("currency=JPY&max_price=5000", ["kai"]),
    # in EUR: 27.45, 20 and 27 EUR
    ("price_currency=EUR&max_price=21", ["ben"]),
    ("price_currency=eur&min_price=27&max_price=28", ["ana", "kai"]),
    ("min_rating=4.5", ["ana"]),
    ("q=guitar", ["ben"]),
    ("q=Kai", ["kai"]),
]


def test_filters(api_client, mentors, exchange_rates):
    for query, expected in FILTER_CASES:
        response = api_client.get(f"/api/mentors/?{query}")
        assert response.status_code == 200, response.json()
        assert sorted(ids(response)) == sorted(mentors[name].user_id for name in expected), query


def test_a_currency_without_rate_is_left_out_of_price_bounds(api_client, mentors, exchange_rates):
    from core.catalogue.models import ExchangeRate

    ExchangeRate.objects.filter(currency="JPY").delete()
    bounded = ids(api_client.get("/api/mentors/?min_price=1"))
    assert sorted(bounded) == sorted([mentors["ana"].user_id, mentors["ben"].user_id])
    # without a bound, every currency is listed
    assert len(ids(api_client.get("/api/mentors/"))) == 3


def test_exchange_rates_endpoint(api_client, exchange_rates):
    body = api_client.get("/api/exchange-rates/").json()
    assert body["reference"] == "USD"
    assert {row["currency"]: row["per_reference"] for row in body["rates"]} == {
        "EUR": "0.900000",
        "INR": "84.000000",
        "JPY": "150.000000",
    }


def test_free_within_days(api_client, mentors):
    from core.scheduling.models import WeeklyRule

    for weekday in range(7):
        WeeklyRule.objects.create(mentor=mentors["kai"].user, weekday=weekday, start_time=time(8), end_time=time(20))
    assert ids(api_client.get("/api/mentors/?free_within_days=7")) == [mentors["kai"].user_id]


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("skill=nope", "skill"),
        ("language=english", "language"),
        ("currency=usd1", "currency"),
        ("min_price=abc", "min_price"),
        ("min_price=-1", "min_price"),
        ("max_price=NaN", "max_price"),
        ("min_price=10&max_price=5", "max_price"),
        ("min_rating=5.5", "min_rating"),
        ("min_rating=x", "min_rating"),
        ("free_within_days=abc", "free_within_days"),
        ("free_within_days=365", "free_within_days"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_bad_filters_answer_400_naming_the_parameter(api_client, skills, query, param):
    response = api_client.get(f"/api/mentors/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and list(body["errors"]) == [param]
    assert param in body["detail"]


def test_detail(api_client, mentors, make_session, skills):
    ana = mentors["ana"]
    session = make_session(ana.user, "Intro to Django", skills=[skills["django"]], capacity=8, price=1250)
    response = api_client.get(f"/api/mentors/{ana.user_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == ana.user_id and body["hourly_rate"] == "30.50"
    assert "<p>Hello, I am Ana Silva.</p>" in body["bio"]
    assert body["book_url"] == f"/mentors/{ana.user_id}/book/"
    assert [s["id"] for s in body["upcoming_sessions"]] == [session.pk]
    assert body["upcoming_sessions"][0]["price"] == "12.50" and body["upcoming_sessions"][0]["seats_taken"] == 0


@pytest.mark.parametrize("who", ["draft", "unknown", "learner"])
def test_detail_404(api_client, mentors, user_factory, who):
    user_id = {
        "draft": mentors["draft"].user_id,
        "unknown": 999999,
        "learner": user_factory().pk,
    }[who]
    response = api_client.get(f"/api/mentors/{user_id}/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_photo_url_is_a_rendition(api_client, mentors):
    from django.core.files.images import ImageFile
    from wagtail.images import get_image_model
    from wagtail.images.tests.utils import get_test_image_file

    image = get_image_model().objects.create(title="Ana", file=ImageFile(get_test_image_file().file, name="ana.png"))
    mentors["ana"].__class__.objects.filter(pk=mentors["ana"].pk).update(photo=image)
    photo = api_client.get(f"/api/mentors/{mentors['ana'].user_id}/").json()["photo"]
    assert photo.startswith("http://testserver/") and "fill-256x256" in photo


def test_endpoints_are_in_the_openapi_schema(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/mentors/" in paths and "/api/mentors/{user_id}/" in paths
    assert "/api/mentors/{user_id}/reviews/" in paths and "/api/reviews/" in paths
    names = {p["name"] for p in paths["/api/mentors/"]["get"]["parameters"]}
    assert {"q", "skill", "language", "min_price", "max_price", "min_rating", "free_within_days"} <= names
