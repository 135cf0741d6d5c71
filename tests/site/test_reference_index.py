"""People's records stay out of Wagtail's reference index; content still goes in (``core.pages.reference_index``)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve
from wagtail.models.reference_index import ReferenceIndex

from core.pages.reference_index import RECORDS

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def admin_viewsets_registered():
    resolve("/admin/")  # Wagtail registers the admin viewsets' models when the URLs load


def test_records_are_not_tracked_but_content_is():
    tracked = {model._meta.label for model in ReferenceIndex.tracked_models}
    assert not tracked & set(RECORDS)
    assert {"catalogue.MentorPage", "wagtailimages.Image", "sponsorship.Campaign"} <= tracked
    for label in RECORDS:
        assert not ReferenceIndex.model_is_indexable(apps.get_model(label))


def test_a_notification_is_saved_without_touching_the_index(user_factory):
    from core.notifications.models import Notification

    person = user_factory()
    with CaptureQueriesContext(connection) as captured:
        Notification.objects.create(user=person, kind="booking", title="Booked")
    assert not [q for q in captured.captured_queries if "wagtailcore_referenceindex" in q["sql"]]
    assert len(captured) == 1
