"""The admin page (fitted when, on what; refit now), site settings, the page and the template tags."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.template import Context, Template
from django.test import RequestFactory
from wagtail.models import Site

from core.recommendations.models import RecommendationSettings, RecommenderModel
from core.recommendations.tasks import refit_recommenders


@pytest.fixture
def admin_client(client, user_factory):
    admin = user_factory(display_name="Admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_refit_now_fits_and_shows_when_and_on_what(admin_client, platform):
    from peerlearn.celery import app

    # On the real stack the task goes to a worker; here we want its answer on the page.
    was_eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    try:
        _refit_from_the_admin(admin_client)
    finally:
        app.conf.task_always_eager = was_eager


def _refit_from_the_admin(admin_client):
    page = admin_client.get("/admin/recommenders/")
    assert page.status_code == 200 and b"Not fitted yet" in page.content
    response = admin_client.post("/admin/recommenders/", follow=True)
    assert response.status_code == 200
    assert b"Refitted" in response.content and b"Serving" in response.content
    assert b"interactions of" in response.content
    assert RecommenderModel.objects.filter(fitted_at__isnull=False).count() >= 5


def test_admin_page_needs_permission(client, user_factory, db):
    client.force_login(user_factory(is_staff=True))
    assert client.get("/admin/recommenders/").status_code in (302, 403)


def test_beat_task_and_command_refit(platform, capsys):
    outcomes = refit_recommenders()
    assert outcomes and all(o["ok"] for o in outcomes)
    call_command("refit_recommenders")
    assert "fitted" in capsys.readouterr().out


def test_settings_refuse_weights_that_sum_to_zero(db):
    conf = RecommendationSettings.for_site(Site.objects.get(is_default_site=True))
    conf.weight_content = conf.weight_collaborative = conf.weight_popularity = conf.weight_trending = 0
    with pytest.raises(ValidationError) as error:
        conf.full_clean()
    assert "weight_content" in error.value.message_dict
    conf.weight_trending = -1
    with pytest.raises(ValidationError):
        conf.full_clean()


def test_settings_defaults_are_the_documented_blend(db):
    conf = RecommendationSettings.for_site(Site.objects.get(is_default_site=True))
    assert (conf.weight_content, conf.weight_collaborative, conf.weight_popularity, conf.weight_trending) == (
        0.4,
        0.3,
        0.2,
        0.1,
    )


def test_admin_settings_form_rejects_zero_weights(admin_client, db):
    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/recommendations/recommendationsettings/{site.pk}/"
    assert admin_client.get(url).status_code == 200
    data = {
        "weight_content": "0",
        "weight_collaborative": "0",
        "weight_popularity": "0",
        "weight_trending": "0",
        "diversity_lambda": "0.7",
        "exploration_share": "0.1",
        "new_mentor_days": "30",
        "availability_horizon_days": "14",
        "dismiss_days": "90",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 200 and b"At least one blend weight" in response.content
    assert RecommendationSettings.for_site(site).weight_content == 0.4


def test_template_tags_render_lists_with_explanations(fitted):
    request = RequestFactory().get("/")
    request.user = fitted["newcomer"]
    html = Template("{% load recommendations %}{% recommended_for_you 4 %}{% trending_now 3 %}").render(
        Context({"request": request})
    )
    assert "Recommended for you" in html and "Trending" in html
    assert "Teaches Django and Python, which you listed" in html
    assert "data-impression=" in html and "Not interested" in html and "feedback.js" in html


def test_template_tag_for_visitors_shows_popular_items(fitted):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = Template("{% load recommendations %}{% recommended_for_you %}").render(Context({"request": request}))
    assert "Popular on PeerLearn" in html and "Not interested" not in html


def test_recommendations_page(client, fitted):
    assert client.get("/recommendations/").status_code == 302  # sign in first
    client.force_login(fitted["newcomer"])
    response = client.get("/recommendations/")
    assert response.status_code == 200
    assert b"Ada Lovelace" in response.content and b"which you listed" in response.content
