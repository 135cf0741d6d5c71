"""The notification records in the Wagtail admin: listed and inspected, never added or edited, tokens hidden."""

from __future__ import annotations

import pytest
from django.test import Client

from core.notifications import calendar, services

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(user_factory):
    admin = user_factory(is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(admin)
    return client


def test_admin_lists_and_inspects_notifications(admin_client, user_factory):
    person = user_factory()
    note = services.notify(person, "booking.confirmed", "Booked: Algebra", "Tue 10:00", "/dashboard/")
    listing = admin_client.get("/admin/sent_notifications/")
    assert listing.status_code == 200 and b"Booked: Algebra" in listing.content
    assert admin_client.get(f"/admin/sent_notifications/inspect/{note.pk}/").status_code == 200
    assert admin_client.get("/admin/sent_notifications/new/").status_code in (302, 403)
    assert admin_client.get(f"/admin/sent_notifications/edit/{note.pk}/").status_code in (302, 403)
    assert admin_client.get("/admin/reminders_sent/").status_code == 200


def test_admin_never_shows_a_feed_token_and_can_revoke(admin_client, user_factory):
    person = user_factory()
    feed = calendar.regenerate_feed(person)
    listing = admin_client.get("/admin/calendar_feeds/")
    assert listing.status_code == 200 and feed.token.encode() not in listing.content
    inspect = admin_client.get(f"/admin/calendar_feeds/inspect/{feed.pk}/")
    assert inspect.status_code == 200 and feed.token.encode() not in inspect.content
    response = admin_client.post(f"/admin/calendar_feeds/delete/{feed.pk}/")
    assert response.status_code == 302
    assert calendar.feed_of(person) is None
