"""The learner's seat list is kept per person (core.dashboards.kept) and never shows an old state.

The test settings turn the kept parts off; every test here turns them on. Changes
run inside ``committed()``: the kept list goes stale when a change commits.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from core.catalogue.models import Review
from core.dashboards import services
from core.scheduling.models import Booking
from core.scheduling.services import bookings as booking_services
from core.scheduling.services.policy import current_policy

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def caches_on(settings):
    settings.PAGE_CACHE_ENABLED = True


def seats(client: Client) -> tuple[str, int]:
    """The seat list of the dashboard, and the queries the page took."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/dashboard/")
    assert response.status_code == 200
    html = response.content.decode()
    start = html.index('id="learner-sessions"')
    return html[start : html.index('id="past-heading"', start)], len(captured)


def test_the_seat_list_is_built_once_then_kept(learner, mentor, make_session, committed):
    session = make_session(mentor, hours=30, title="Python basics")
    with committed():
        booking_services.book_session(session, learner)
    client = Client()
    client.force_login(learner)
    first, first_queries = seats(client)
    second, second_queries = seats(client)
    assert "Python basics" in first
    assert re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", second) == re.sub(
        r'name="csrfmiddlewaretoken" value="[^"]+"', "", first
    )
    assert second_queries <= first_queries - 2  # the bookings' queries are gone


def test_a_new_booking_and_a_cancellation_show_at_once(learner, mentor, make_session, committed):
    client = Client()
    client.force_login(learner)
    assert "No upcoming sessions." in seats(client)[0]
    session = make_session(mentor, hours=30, title="Python basics")
    with committed():
        booking = booking_services.book_session(session, learner)
    assert "Python basics" in seats(client)[0]
    with committed():
        booking_services.cancel_booking(booking, learner)
    assert "No upcoming sessions." in seats(client)[0]


def test_the_mentor_starting_the_session_shows_join_now(learner, mentor, make_session, committed):
    soon = make_session(mentor, start=(datetime.now(UTC) + timedelta(minutes=5)).replace(second=0, microsecond=0))
    with committed():
        booking_services.book_session(soon, learner)
    client = Client()
    client.force_login(learner)
    assert "Join now" not in seats(client)[0]  # kept now
    mentor_client = Client()
    mentor_client.force_login(mentor)
    with committed():
        assert mentor_client.post(f"/dashboard/sessions/{soon.pk}/start/").status_code == 302
    assert "Join now" in seats(client)[0]


def test_a_review_ends_the_invitation_to_rate(learner, mentor, make_session, committed):
    session = make_session(mentor, hours=30, title="Python basics")
    with committed():
        booking = booking_services.book_session(session, learner)
    Booking.objects.filter(pk=booking.pk).update(status=Booking.COMPLETED)  # no signal: as a bulk job would
    with committed():
        Booking.objects.get(pk=booking.pk).save(update_fields=["status"])
    client = Client()
    client.force_login(learner)
    assert "Rate this session" in client.get("/dashboard/").content.decode()
    with committed():
        Review.objects.create(booking=booking, mentor=mentor, learner=learner, rating=5)
    assert "Rate this session" not in client.get("/dashboard/").content.decode()


def test_the_list_is_rebuilt_when_a_time_boundary_passes(learner, mentor, make_session, committed, monkeypatch):
    policy = current_policy()
    session = make_session(mentor, hours=30, title="Python basics")
    with committed():
        booking_services.book_session(session, learner)
    now = datetime.now(UTC)
    overview = services.learner_overview(learner, now=now)
    opens = session.starts_at - timedelta(minutes=policy.room_opens_minutes_before)
    deadlines = (
        session.starts_at - timedelta(hours=policy.reschedule_window_hours),
        session.starts_at - timedelta(hours=policy.free_cancellation_hours),
    )
    assert services.next_change(overview, now) == min(m for m in (opens, *deadlines, session.starts_at) if m > now)
    client = Client()
    client.force_login(learner)
    kept, _ = seats(client)
    assert "Reschedule" in kept and "The room opens" in kept
    # An hour after the room opened: the room can be joined and the booking can no longer be moved.
    later = opens + timedelta(minutes=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)
    rebuilt, _ = seats(client)
    assert "Open the room" in rebuilt
    assert "The room opens" not in rebuilt


def test_each_browser_gets_the_kept_list_with_a_cancel_form_that_works(learner, mentor, make_session, committed):
    session = make_session(mentor, hours=30, title="Python basics")
    with committed():
        booking_services.book_session(session, learner)
    laptop, phone = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    laptop.force_login(learner)
    phone.force_login(learner)
    _, built = seats(laptop)
    html, kept = seats(phone)  # another browser, another CSRF secret: the same kept list
    assert kept <= built - 2
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    with committed():
        response = phone.post(f"/dashboard/bookings/{Booking.objects.get().pk}/cancel/", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert Booking.objects.get().status == Booking.CANCELLED


def test_the_kept_checklist_follows_interests_and_the_first_booking(learner, mentor, make_session, committed):
    from core.taxonomy.models import Skill

    client = Client()
    client.force_login(learner)
    assert "Choose interests" in client.get("/dashboard/").content.decode()
    with committed():
        learner.interests.add(Skill.objects.create(name="Python", category="Programming"))
    page = client.get("/dashboard/").content.decode()
    assert 'data-checklist="learner"' in page and "Choose interests" not in page
    with committed():
        booking_services.book_session(make_session(mentor, hours=30), learner)
    assert "data-checklist" not in client.get("/dashboard/").content.decode()


def test_a_past_row_is_rendered_once_per_state(learner, mentor, make_session, committed):
    """Past seats come from the process's rows, rendered again only when something they show changes."""
    from django.test.signals import template_rendered
    from django.utils import translation

    from core.dashboards.kept import PAST_ROW_TEMPLATE, past_row_html

    session = make_session(mentor, hours=30, title="Python basics")
    with committed():
        booking = booking_services.book_session(session, learner)
    with committed():
        booking_services.cancel_booking(booking, learner)
    rendered = []

    def count(sender, template, **kwargs):
        if template.name == PAST_ROW_TEMPLATE:
            rendered.append(template.name)

    template_rendered.connect(count)
    try:
        row = services.learner_overview(learner)["past"][0]
        first = past_row_html(row)
        assert past_row_html(services.learner_overview(learner)["past"][0]) is first
        assert len(rendered) == 1 and "Python basics" in first and "Cancelled" in first
        mentor.display_name = "Ada Renamed"
        mentor.save()
        renamed = past_row_html(services.learner_overview(learner)["past"][0])
        assert "Ada Renamed" in renamed and len(rendered) == 2
        with translation.override("de"):
            german = past_row_html(services.learner_overview(learner)["past"][0])
        assert german != renamed and len(rendered) == 3
    finally:
        template_rendered.disconnect(count)


def test_the_dashboard_lists_past_seats_latest_first(learner, mentor, make_session, committed):
    client = Client()
    client.force_login(learner)
    for hours, title in ((30, "Older talk"), (40, "Newer talk")):
        with committed():
            booking = booking_services.book_session(make_session(mentor, hours=hours, title=title), learner)
        with committed():
            booking_services.cancel_booking(booking, learner)
    html = client.get("/dashboard/").content.decode()
    past = html[html.index('id="past-heading"') :]
    assert past.index("Newer talk") < past.index("Older talk")
    assert past.count('data-booking-id="') == 2
