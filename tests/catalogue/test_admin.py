"""The catalogue in the Wagtail admin: mentor page editor, a new index page gets the workflow, reviews."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.catalogue.models import MentorIndexPage
from core.catalogue.profiles import WORKFLOW_NAME

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, user_factory):
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    return client


def test_mentor_page_editor_renders(admin_client, make_mentor):
    page = make_mentor("Ana Silva")
    response = admin_client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="panel-child-content-bio-section"' in html or ">Bio<" in html
    for field in ("headline", "skills", "languages", "hourly_rate_minor", "currency", "photo", "user"):
        assert f'name="{field}' in html, field


def test_index_page_created_in_admin_gets_the_mentor_workflow(admin_client, site_root):
    url = reverse("wagtailadmin_pages:add", args=["catalogue", "mentorindexpage", site_root.pk])
    response = admin_client.post(
        url, {"title": "Find a mentor", "slug": "find", "intro": "", "per_page": "12", "action-publish": "1"}
    )
    assert response.status_code == 302, response.content[:400]
    index = MentorIndexPage.objects.get(slug="find")
    assert index.get_workflow().name == WORKFLOW_NAME


def test_reviews_listing_and_inspect(admin_client, make_mentor, user_factory, make_booking):
    from core.catalogue.reviews import submit_review

    ana = make_mentor("Ana Silva")
    learner = user_factory()
    review = submit_review(learner, make_booking(ana.user, learner).pk, 4, "Helpful")
    assert admin_client.get(reverse("wagtailsnippets_catalogue_review:list")).status_code == 200
    inspect = admin_client.get(reverse("wagtailsnippets_catalogue_review:inspect", args=[review.pk]))
    assert inspect.status_code == 200 and "Helpful" in inspect.content.decode()
    edit = admin_client.get(reverse("wagtailsnippets_catalogue_review:edit", args=[review.pk]))
    assert edit.status_code == 200
