"""Learner and mentor dashboards: the right sessions, in the viewer's zone, and actions that call the services."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from core.notifications import services as notifications
from core.scheduling.models import Booking, Session
from core.scheduling.services import bookings as booking_services

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def local(moment: datetime, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%H:%M")


@pytest.fixture
def world(mentor, learner, user_factory, make_session, committed):
    stranger = user_factory(display_name="Sam Stranger")
    other_mentor = user_factory(is_mentor=True, display_name="Otto Other")
    soon = make_session(mentor, hours=30, title="Python basics")
    later = make_session(mentor, hours=80, title="Group SQL", capacity=3, price_minor=1200)
    dropped = make_session(mentor, hours=100, title="Dropped talk")
    not_mine = make_session(other_mentor, hours=40, title="Someone else's")
    with committed():
        mine = booking_services.book_session(soon, learner)
        pending = booking_services.book_session(later, learner)
        booking_services.book_session(later, stranger)
        gone = booking_services.book_session(dropped, learner)
        booking_services.cancel_booking(gone, learner)
        booking_services.book_session(not_mine, stranger)
    return {
        "stranger": stranger,
        "soon": soon,
        "later": later,
        "dropped": dropped,
        "not_mine": not_mine,
        "mine": mine,
        "pending": pending,
    }


def section(html: str, marker: str) -> str:
    start = html.index(marker)
    return html[start : html.index("</ul>", start)]


def test_learner_dashboard_shows_my_sessions_in_my_zone(learner, world):
    html = signed_in(learner).get("/dashboard/").content.decode()
    assert 'data-viewer-zone="Asia/Kolkata"' in html and "Asia/Kolkata" in html
    upcoming = section(html, "data-upcoming")
    assert "Python basics" in upcoming and "Group SQL" in upcoming
    assert upcoming.index("Python basics") < upcoming.index("Group SQL"), "soonest first"
    assert local(world["soon"].starts_at, "Asia/Kolkata") in upcoming
    assert "Pending payment" in upcoming and "Confirmed" in upcoming
    assert "Dropped talk" not in upcoming
    past = section(html, "data-past")
    assert "Dropped talk" in past and "Cancelled" in past
    assert "Someone else" not in html
    assert f"/dashboard/bookings/{world['mine'].pk}/reschedule/" in upcoming
    assert f"/dashboard/bookings/{world['mine'].pk}/cancel/" in upcoming
    assert "recent-notifications-heading" in html and "Booked: Python basics" in html


def test_mentor_dashboard_shows_schedule_and_attendees(mentor, learner, world):
    html = signed_in(mentor).get("/dashboard/mentor/").content.decode()
    assert 'data-viewer-zone="America/New_York"' in html
    schedule = html[html.index("data-schedule") : html.index("mentor-past-heading")]
    for title in ("Python basics", "Group SQL"):
        assert title in schedule
    assert "Someone else" not in html
    assert local(world["soon"].starts_at, "America/New_York") in schedule
    group = schedule[schedule.index("Group SQL") :]
    assert "2 of 3 seats taken" in group and "€12.00" in group
    assert "Lee Learner" in group and "Sam Stranger" in group
    assert f"/dashboard/sessions/{world['soon'].pk}/cancel/" in schedule
    assert "/schedule/availability/" in html
    dropped = schedule[schedule.index("Dropped talk") :]
    assert "not booked yet" in dropped[:600], "a published 1:1 stays open after its learner cancelled"
    assert "No past sessions yet" in section(html, "data-past")
    assert "New booking: Lee Learner" in html


def test_only_mentors_see_the_mentor_dashboard(learner):
    response = signed_in(learner).get("/dashboard/mentor/")
    assert response.status_code == 403
    assert b"for mentors" in response.content


def test_dashboards_need_login():
    for url in ("/dashboard/", "/dashboard/mentor/"):
        response = Client().get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_learner_cancels_own_booking_but_not_someone_elses(learner, world):
    client = signed_in(learner)
    response = client.post(f"/dashboard/bookings/{world['mine'].pk}/cancel/", {"next": "/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    assert Booking.objects.get(pk=world["mine"].pk).status == Booking.CANCELLED
    theirs = Booking.objects.get(learner=world["stranger"], session=world["later"])
    assert client.post(f"/dashboard/bookings/{theirs.pk}/cancel/").status_code == 404
    assert Booking.objects.get(pk=theirs.pk).status == Booking.CONFIRMED or theirs.status == Booking.PENDING_PAYMENT
    assert client.get(f"/dashboard/bookings/{world['pending'].pk}/cancel/").status_code == 405
    again = client.post(f"/dashboard/bookings/{world['mine'].pk}/cancel/", follow=True)
    assert "Not cancelled" in again.content.decode()


def test_mentor_cancels_one_seat_and_a_whole_session(mentor, world):
    client = signed_in(mentor)
    theirs = Booking.objects.get(learner=world["stranger"], session=world["later"])
    client.post(f"/dashboard/bookings/{theirs.pk}/cancel/")
    assert Booking.objects.get(pk=theirs.pk).status == Booking.CANCELLED
    response = client.post(f"/dashboard/sessions/{world['later'].pk}/cancel/", {"reason": "travelling"}, follow=True)
    assert "is cancelled" in response.content.decode()
    session = Session.objects.get(pk=world["later"].pk)
    assert session.status == Session.CANCELLED and session.cancel_reason == "travelling"
    assert Booking.objects.get(pk=world["pending"].pk).status == Booking.CANCELLED
    assert client.post(f"/dashboard/sessions/{world['not_mine'].pk}/cancel/").status_code == 404


def test_reschedule_page_lists_free_slots_and_moves_the_booking(learner, world):
    client = signed_in(learner)
    booking = world["mine"]
    page = client.get(f"/dashboard/bookings/{booking.pk}/reschedule/")
    assert page.status_code == 200
    slots = re.findall(r'data-new-start="([^"]+)"', page.content.decode())
    assert slots, "the mentor is free all day"
    assert all(datetime.fromisoformat(s).utcoffset() == timedelta(hours=5, minutes=30) for s in slots), "viewer's zone"
    choice = datetime.fromisoformat(slots[3])
    response = client.post(f"/dashboard/bookings/{booking.pk}/reschedule/", {"start": slots[3]})
    assert response.status_code == 302 and response["Location"] == "/dashboard/"
    moved = Booking.objects.get(pk=booking.pk)
    assert moved.starts_at == choice.astimezone(UTC) and moved.reschedule_count == 1

    before = moved.starts_at
    for bad in ({"start": "tomorrow"}, {"start": "2030-01-01T10:00"}, {}, {"start": slots[4], "session": "1"}):
        response = client.post(f"/dashboard/bookings/{booking.pk}/reschedule/", bad)
        assert response.status_code == 400, bad
        assert "Not moved" in response.content.decode()
    past = (datetime.now(UTC) - timedelta(hours=2)).isoformat()
    assert client.post(f"/dashboard/bookings/{booking.pk}/reschedule/", {"start": past}).status_code == 400
    assert Booking.objects.get(pk=booking.pk).starts_at == before, "nothing changed"


def test_group_seat_moves_to_another_session(mentor, learner, world, make_session):
    other = make_session(mentor, hours=150, title="Group SQL again", capacity=3, price_minor=1200)
    booking = world["pending"]
    client = signed_in(learner)
    page = client.get(f"/dashboard/bookings/{booking.pk}/reschedule/").content.decode()
    assert "Group SQL again" in page and "Python basics" not in page
    client.post(f"/dashboard/bookings/{booking.pk}/reschedule/", {"session": other.pk})
    assert Booking.objects.get(pk=booking.pk).session_id == other.pk


def test_start_only_inside_the_window(mentor, learner, make_session, committed):
    soon = make_session(mentor, start=(datetime.now(UTC) + timedelta(minutes=5)).replace(second=0, microsecond=0))
    far = make_session(mentor, hours=50, title="Far away")
    with committed():
        booking_services.book_session(soon, learner)
    client = signed_in(mentor)
    html = client.get("/dashboard/mentor/").content.decode()
    assert f"/dashboard/sessions/{soon.pk}/start/" in html
    assert f"/dashboard/sessions/{far.pk}/start/" not in html
    refused = client.post(f"/dashboard/sessions/{far.pk}/start/", follow=True)
    assert "Not started" in refused.content.decode()
    assert Session.objects.get(pk=far.pk).status == Session.SCHEDULED
    with committed():
        response = client.post(f"/dashboard/sessions/{soon.pk}/start/")
    assert response.status_code == 302 and response["Location"] == f"/sessions/{soon.pk}/room/"
    assert Session.objects.get(pk=soon.pk).status == Session.IN_PROGRESS
    learner_html = signed_in(learner).get("/dashboard/").content.decode()
    assert f'href="/sessions/{soon.pk}/room/"' in learner_html and "Join now" in learner_html
    assert notifications.unread_count(learner) >= 2
    assert signed_in(learner).post(f"/dashboard/sessions/{soon.pk}/start/").status_code == 404
