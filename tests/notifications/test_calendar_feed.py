"""The private calendar feed: /calendar/<token>.ics, created, regenerated and revoked by its owner."""

from __future__ import annotations

import icalendar
import pytest
from django.test import Client

from core.notifications.calendar import session_uid
from core.notifications.models import CalendarFeed
from core.scheduling.services import bookings as booking_services
from core.scheduling.services import sessions as session_services

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def feed_events(response) -> dict[str, icalendar.Event]:
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    calendar = icalendar.Calendar.from_ical(response.content.decode())
    assert calendar["METHOD"] == "PUBLISH"
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.fixture
def schedule(mentor, learner, user_factory, make_session, committed):
    """The learner: one confirmed, one pending, one cancelled seat; the mentor: four sessions."""
    confirmed = make_session(mentor, hours=30, title="Confirmed one")
    pending = make_session(mentor, hours=54, title="Pending one", price_minor=1500)
    dropped = make_session(mentor, hours=78, title="Dropped one")
    called_off = make_session(mentor, hours=102, title="Called off", capacity=3)
    with committed():
        booking_services.book_session(confirmed, learner)
        booking_services.book_session(pending, learner)
        cancelled = booking_services.book_session(dropped, learner)
        booking_services.cancel_booking(cancelled, learner)
        booking_services.book_session(called_off, user_factory())
        session_services.cancel_session(called_off, mentor)
    return {"confirmed": confirmed, "pending": pending, "dropped": dropped, "called_off": called_off}


def test_create_subscribe_regenerate_revoke(learner, schedule):
    client = signed_in(learner)
    page = client.get("/calendar/")
    assert page.status_code == 200 and b"Create my calendar address" in page.content

    response = client.post("/calendar/", {"action": "create"})
    assert response.status_code == 302
    feed = CalendarFeed.objects.get(user=learner)
    assert len(feed.token) >= 40
    page = client.get("/calendar/").content.decode()
    assert f"/calendar/{feed.token}.ics" in page and "webcal://" in page

    anonymous = Client()  # a calendar app: no cookies, only the URL
    events = feed_events(anonymous.get(f"/calendar/{feed.token}.ics"))
    assert str(events[session_uid(schedule["confirmed"].pk)]["STATUS"]) == "CONFIRMED"
    assert str(events[session_uid(schedule["pending"].pk)]["STATUS"]) == "TENTATIVE"
    assert session_uid(schedule["dropped"].pk) not in events, "a cancelled seat drops out of the feed"
    assert session_uid(schedule["called_off"].pk) not in events
    confirmed = events[session_uid(schedule["confirmed"].pk)]
    assert confirmed.decoded("DTSTART") == schedule["confirmed"].starts_at
    assert confirmed.decoded("DTSTART").utcoffset().total_seconds() == 0
    assert confirmed.walk("VALARM"), "a subscribed event reminds 15 minutes before"
    feed.refresh_from_db()
    assert feed.last_fetched is not None

    old = feed.token
    client.post("/calendar/", {"action": "regenerate"})
    feed.refresh_from_db()
    assert feed.token != old
    assert anonymous.get(f"/calendar/{old}.ics").status_code == 404
    assert anonymous.get(f"/calendar/{feed.token}.ics").status_code == 200

    client.post("/calendar/", {"action": "revoke"})
    assert not CalendarFeed.objects.filter(user=learner).exists()
    assert anonymous.get(f"/calendar/{feed.token}.ics").status_code == 404


def test_mentor_feed_lists_the_sessions_they_teach(mentor, schedule):
    client = signed_in(mentor)
    client.post("/calendar/", {"action": "create"})
    token = CalendarFeed.objects.get(user=mentor).token
    events = feed_events(Client().get(f"/calendar/{token}.ics"))
    for key in ("confirmed", "pending", "dropped"):
        assert session_uid(schedule[key].pk) in events
    assert session_uid(schedule["called_off"].pk) not in events
    assert events[session_uid(schedule["dropped"].pk)]["SEQUENCE"] >= 1, "changed once: a cancelled seat"


def test_unknown_or_malformed_tokens_and_bad_actions(learner):
    client = Client()
    assert client.get("/calendar/" + "x" * 43 + ".ics").status_code == 404
    assert client.get("/calendar/short.ics").status_code == 404
    assert client.get("/calendar/").status_code == 302, "the settings page needs a login"
    response = signed_in(learner).post("/calendar/", {"action": "explode"})
    assert response.status_code == 400
    assert not CalendarFeed.objects.exists()


def test_an_inactive_users_feed_stops(learner):
    client = signed_in(learner)
    client.post("/calendar/", {"action": "create"})
    token = CalendarFeed.objects.get(user=learner).token
    learner.is_active = False
    learner.save()
    assert Client().get(f"/calendar/{token}.ics").status_code == 404
