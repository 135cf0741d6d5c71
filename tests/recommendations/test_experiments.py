"""A/B experiments: deterministic assignment, refused bad definitions, variant-tagged events, the funnel."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from core.recommendations import experiments
from core.recommendations.experiments import CONTROL, ExperimentPlan, VariantPlan
from core.recommendations.ranker import Weights


@pytest.fixture
def admin_client(client, user_factory):
    client.force_login(user_factory(display_name="Admin", is_staff=True, is_superuser=True))
    return client


def _experiment(variants, *, active=True, name="Blend test"):
    from wagtail.models import Site

    from core.recommendations.models import Experiment, ExperimentVariant

    experiment = Experiment.objects.create(site=Site.objects.get(is_default_site=True), name=name, active=active)
    for n, fields in enumerate(variants):
        ExperimentVariant.objects.create(experiment=experiment, sort_order=n, **fields)
    return experiment


# --- assignment ------------------------------------------------------------------


def test_assignment_is_deterministic_and_respects_the_shares_on_10000_ids():
    plan = ExperimentPlan(7, "x", (VariantPlan("a", 20.0), VariantPlan("b", 30.0)))
    counts = Counter(experiments.choose(plan, uid).variant for uid in range(1, 10_001))
    assert abs(counts["a"] - 2000) <= 150
    assert abs(counts["b"] - 3000) <= 150
    assert abs(counts[CONTROL] - 5000) <= 150
    assert all(experiments.choose(plan, uid) == experiments.choose(plan, uid) for uid in range(1, 200))
    # another experiment reshuffles people independently
    other = ExperimentPlan(8, "y", plan.variants)
    moved = sum(experiments.choose(plan, u).variant != experiments.choose(other, u).variant for u in range(1, 1001))
    assert moved > 300


def test_full_split_leaves_no_control_and_bucket_is_stable():
    plan = ExperimentPlan(3, "x", (VariantPlan("a", 50.0), VariantPlan("b", 50.0)))
    assert {experiments.choose(plan, u).variant for u in range(1, 2000)} == {"a", "b"}
    assert experiments.bucket(3, 42) == experiments.bucket(3, 42)
    assert 0 <= experiments.bucket(3, 42) < experiments.BUCKETS


def test_assign_reads_the_active_experiment(db):
    assert experiments.assign(1, None) == experiments.NO_EXPERIMENT
    experiment = _experiment([{"name": "pop", "traffic_share": 100, "weight_popularity": 1.0}])
    site_id = experiment.site_id
    got = experiments.assign(5, site_id)
    assert got.experiment_id == experiment.pk and got.variant == "pop"
    assert got.weights == Weights(content=0, collaborative=0, popularity=1.0, trending=0)
    assert experiments.assign(None, site_id) == experiments.NO_EXPERIMENT
    experiment.active = False
    experiment.save()  # the signal drops the cached plan
    assert experiments.assign(5, site_id) == experiments.NO_EXPERIMENT


# --- bad definitions ----------------------------------------------------------------


def test_variant_and_share_rules():
    assert experiments.share_error([60, 40]) is None
    assert "120 %" in experiments.share_error([60, 60])
    assert experiments.variant_errors("a", [0.0, 0.0, 0.0, 0.0], ()) == {
        "weight_content": "The weight set must add up to a positive number."
    }
    assert "weight_content" in experiments.variant_errors("a", [None] * 4, ())
    assert experiments.variant_errors("a", [None] * 4, ("popularity",)) == {}
    assert "name" in experiments.variant_errors("Control", [1.0, None, None, None], ())


def _form(site_id, variants, *, name="Try", active="on"):
    data = {
        "name": name,
        "site": str(site_id),
        "description": "",
        "variants-TOTAL_FORMS": str(len(variants)),
        "variants-INITIAL_FORMS": "0",
        "variants-MIN_NUM_FORMS": "1",
        "variants-MAX_NUM_FORMS": "1000",
    }
    if active:
        data["active"] = active
    for n, v in enumerate(variants):
        for key, value in v.items():
            data[f"variants-{n}-{key}"] = str(value)
        data[f"variants-{n}-ORDER"] = str(n + 1)
        data[f"variants-{n}-DELETE"] = ""
        data[f"variants-{n}-id"] = ""
    return data


def test_admin_refuses_shares_over_100_and_zero_weight_sets(admin_client, db):
    from wagtail.models import Site

    from core.recommendations.models import Experiment

    site = Site.objects.get(is_default_site=True)
    url = reverse("wagtailsnippets_recommendations_experiment:add")
    assert admin_client.get(url).status_code == 200
    over = _form(
        site.pk,
        [
            {"name": "a", "traffic_share": 70, "weight_content": 1},
            {"name": "b", "traffic_share": 40, "weight_trending": 1},
        ],
    )
    response = admin_client.post(url, over)
    assert response.status_code == 200
    errors = response.context["form"].formsets["variants"].forms[0].errors
    assert "traffic_share" in errors and "110 %" in errors["traffic_share"][0]
    assert "Traffic share" in str(response.context["form"].non_field_errors())
    zero = _form(site.pk, [{"name": "a", "traffic_share": 50, "weight_content": 0, "weight_popularity": 0}])
    response = admin_client.post(url, zero)
    assert response.status_code == 200
    assert "positive" in str(response.context["form"].formsets["variants"].forms[0].errors)
    unknown = _form(site.pk, [{"name": "a", "traffic_share": 50, "recommenders": "nope"}])
    response = admin_client.post(url, unknown)
    assert "Unknown recommender nope" in str(response.context["form"].formsets["variants"].forms[0].errors)
    assert not Experiment.objects.exists()

    good = _form(site.pk, [{"name": "a", "traffic_share": 50, "weight_popularity": 1}])
    response = admin_client.post(url, good)
    assert response.status_code == 302
    experiment = Experiment.objects.get()
    assert experiment.active and [v.name for v in experiment.variants.all()] == ["a"]
    second = admin_client.post(url, _form(site.pk, [{"name": "b", "traffic_share": 10, "weight_content": 1}]))
    assert second.status_code == 200 and "already active" in str(second.context["form"].errors["active"])
    assert Experiment.objects.count() == 1


# --- serving and logging -----------------------------------------------------------------


def test_ranker_uses_the_variant_and_impressions_carry_it(fitted, api_client):
    learner = fitted["learners"][3]
    _experiment(
        [{"name": "popular-only", "traffic_share": 100, "weight_popularity": 1.0, "recommenders": "popularity"}]
    )
    api_client.force_authenticate(learner)
    body = api_client.get("/api/recommendations/").json()
    assert body["variant"] == "popular-only" and body["experiment"]
    assert body["models"] == ["popularity"]
    assert all(set(item["parts"]) <= {"popularity"} for item in body["results"])
    item = body["results"][0]
    response = api_client.post(
        "/api/recommendations/feedback/",
        {"impression_id": item["impression_id"], "item": item["item"], "event": "impression"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["variant"] == "popular-only"
    from core.recommendations.models import RecommendationEvent

    event = RecommendationEvent.objects.get(impression_id=item["impression_id"])
    assert event.variant == "popular-only" and event.experiment_id == body["experiment"]


def test_without_experiment_nothing_is_tagged(fitted, api_client):
    api_client.force_authenticate(fitted["learners"][3])
    body = api_client.get("/api/recommendations/").json()
    assert body["variant"] == "" and body["experiment"] is None


# --- the funnel ---------------------------------------------------------------------------


def test_wilson_interval_by_hand():
    low, high = experiments.wilson(5, 10)
    assert low == pytest.approx(0.2366, abs=1e-4) and high == pytest.approx(0.7634, abs=1e-4)
    low, high = experiments.wilson(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    assert experiments.wilson(0, 0) is None


def test_funnel_on_a_hand_computed_fixture(platform, make_session, make_booking, admin_client):
    """Two variants and the control; bookings go to the variant of the last impression before them.

    a: learner0 saw session S (impression, click), booked S, completed, rated  -> 1/1/1/1/1
       learner1 saw mentor Bo (impression), no click, booked Bo's session T -> 2 impressions, 1 click, 2 bookings
    b: learner2 saw S and Ada, clicked Ada; booked S *before* seeing it -> impression 2, click 1, booking 0
    control: learner3 saw T twice (2 impressions), then booked T (confirmed) -> 2/0/1/0/0
    """
    from core.catalogue.models import Review
    from core.recommendations.models import RecommendationEvent
    from core.scheduling.models import Booking

    experiment = _experiment(
        [
            {"name": "a", "traffic_share": 30, "weight_content": 1},
            {"name": "b", "traffic_share": 30, "weight_popularity": 1},
        ]
    )
    l0, l1, l2, l3 = platform["learners"]
    ada, bo = platform["ada"], platform["bo"]
    s = make_session(ada, "S", in_hours=100)  # clear of the platform's sessions (PostgreSQL refuses overlaps)
    t = make_session(bo, "T", in_hours=110, capacity=10)
    now = timezone.now()
    Booking.objects.update(created_at=now - timedelta(days=10))  # the platform's own bookings predate it all

    def log(user, item, kind, variant, minutes_ago, impression=None):
        impression = impression or uuid.uuid4()
        RecommendationEvent.objects.create(
            impression_id=impression,
            user=user,
            item=item,
            kind=kind,
            experiment=experiment,
            variant=variant,
            created_at=now - timedelta(minutes=minutes_ago),
        )
        return impression

    def book(session, learner, status, minutes_ago):
        booking = make_booking(session, learner, status=status)
        type(booking).objects.filter(pk=booking.pk).update(created_at=now - timedelta(minutes=minutes_ago))
        return booking

    i = log(l0, f"session:{s.pk}", "impression", "a", 60)
    log(l0, f"session:{s.pk}", "click", "a", 59, i)
    b0 = book(s, l0, "completed", 50)
    Review.objects.create(booking=b0, learner=l0, mentor=ada, rating=5, status=Review.APPROVED, comment="Great")

    log(l1, f"mentor:{bo.pk}", "impression", "a", 60)
    i = log(l1, f"session:{s.pk}", "impression", "a", 58)
    log(l1, f"session:{s.pk}", "click", "a", 57, i)
    book(t, l1, "confirmed", 40)  # T is Bo's: attributed through the mentor impression

    book(s, l2, "confirmed", 90)  # before any impression: not attributed
    log(l2, f"session:{s.pk}", "impression", "b", 60)
    i = log(l2, f"mentor:{ada.pk}", "impression", "b", 55)
    log(l2, f"mentor:{ada.pk}", "click", "b", 54, i)
    log(l2, f"mentor:{ada.pk}", "click", "b", 54)  # a click of an impression never logged: not counted

    log(l3, f"session:{t.pk}", "impression", CONTROL, 30)
    log(l3, f"session:{t.pk}", "impression", CONTROL, 20)
    book(t, l3, "cancelled", 15)  # cancelled bookings are not bookings
    book(t, l3, "confirmed", 10)

    rows = {r.variant: r for r in experiments.funnel(experiment, catalogue_size=10)}
    assert list(rows) == ["a", "b", CONTROL]
    a, b, c = rows["a"], rows["b"], rows[CONTROL]
    assert (a.users, a.impressions, a.clicks, a.bookings, a.completed, a.rated) == (2, 3, 2, 2, 1, 1)
    assert (b.users, b.impressions, b.clicks, b.bookings, b.completed, b.rated) == (1, 2, 1, 0, 0, 0)
    assert (c.users, c.impressions, c.clicks, c.bookings, c.completed, c.rated) == (1, 2, 0, 1, 0, 0)
    assert a.items_shown == 2 and a.coverage == pytest.approx(0.2)  # session S and mentor Bo of 10
    assert b.coverage == pytest.approx(0.2) and c.coverage == pytest.approx(0.1)
    click_rate = a.rates[0]
    assert (click_rate.successes, click_rate.trials) == (2, 3)
    assert click_rate.interval == pytest.approx(experiments.wilson(2, 3))
    assert b.rates[2].value is None  # no bookings: no completion rate

    page = admin_client.get(reverse("recommendations_admin:experiment_report", args=[experiment.pk]))
    assert page.status_code == 200
    assert b"click-through" in page.content and b"control" in page.content


def test_report_needs_permission(client, user_factory, db):
    experiment = _experiment([{"name": "a", "traffic_share": 10, "weight_content": 1}])
    client.force_login(user_factory(is_staff=True))
    url = reverse("recommendations_admin:experiment_report", args=[experiment.pk])
    assert client.get(url).status_code in (302, 403)
