"""The scheduling pages people use: availability editor, publishing, slot picker, session and booking pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.scheduling.models import Booking, DateOverride, SchedulingProfile, Session, WaitlistEntry, WeeklyRule
from core.scheduling.services import bookings as svc

pytestmark = pytest.mark.django_db


# --- availability editor ------------------------------------------------------------------


def test_editor_is_for_mentors(client, learner):
    assert client.get("/schedule/availability/").status_code == 302  # log in first
    client.force_login(learner)
    assert client.get("/schedule/availability/").status_code == 403


def test_editor_saves_the_week_and_refuses_bad_ranges(client, mentor_factory):
    mentor = mentor_factory("Asia/Kolkata", [])
    client.force_login(mentor)
    page = client.get("/schedule/availability/")
    assert page.status_code == 200 and "Asia/Kolkata" in page.content.decode()
    week = {
        "action": "weekly",
        "start-0": ["09:00", "14:00", ""],
        "end-0": ["12:00", "18:00", ""],
        "start-5": ["20:00"],
        "end-5": ["00:00"],
    }
    assert client.post("/schedule/availability/", week).status_code == 302
    assert [(r.weekday, f"{r.start_time:%H:%M}", f"{r.end_time:%H:%M}") for r in WeeklyRule.objects.all()] == [
        (0, "09:00", "12:00"),
        (0, "14:00", "18:00"),
        (5, "20:00", "00:00"),
    ]
    overlapping = {"action": "weekly", "start-1": ["09:00", "11:00"], "end-1": ["12:00", "13:00"]}
    response = client.post("/schedule/availability/", overlapping)
    assert response.status_code == 400 and "overlap" in response.content.decode()
    # the refused ranges are shown again as typed, not replaced by the saved week
    typed = re.findall(r'name="(?:start|end)-1" value="([^"]*)"', response.content.decode())
    assert typed == ["09:00", "12:00", "11:00", "13:00"]
    backwards = {"action": "weekly", "start-2": ["17:00"], "end-2": ["09:00"]}
    assert client.post("/schedule/availability/", backwards).status_code == 400
    garbage = {"action": "weekly", "start-2": ["nine"], "end-2": ["ten"]}
    assert client.post("/schedule/availability/", garbage).status_code == 400
    assert WeeklyRule.objects.count() == 3  # nothing changed


@pytest.mark.parametrize(("language", "first"), [("en", "6"), ("hi", "6"), ("es", "0")])
def test_the_week_starts_on_the_readers_first_weekday(client, mentor_factory, language, first):
    """English and Hindi readers (United States, India) start on Sunday, Spanish readers on Monday."""
    mentor = mentor_factory("UTC", [])
    mentor.preferred_language = language
    mentor.save(update_fields=["preferred_language"])
    client.force_login(mentor)
    days = re.findall(r'data-weekday="(\d)"', client.get("/schedule/availability/").content.decode())
    assert days[0] == first and sorted(days) == list("0123456")


def test_editor_overrides_and_settings(client, mentor_factory):
    mentor = mentor_factory("UTC")
    client.force_login(mentor)
    day = (datetime.now(UTC) + timedelta(days=5)).date()
    added = client.post("/schedule/availability/", {"action": "add_override", "date": day, "kind": "unavailable"})
    assert added.status_code == 302
    assert DateOverride.objects.get().whole_day
    extra = {"action": "add_override", "date": day, "kind": "available", "start_time": "19:00", "end_time": "21:00"}
    assert client.post("/schedule/availability/", extra).status_code == 302
    bad = {"action": "add_override", "date": day, "kind": "available"}
    response = client.post("/schedule/availability/", bad)
    assert response.status_code == 400 and "Extra time needs a start and an end" in response.content.decode()
    past = {"action": "add_override", "date": day - timedelta(days=30), "kind": "unavailable"}
    assert client.post("/schedule/availability/", past).status_code == 400
    override = DateOverride.objects.first()
    assert (
        client.post("/schedule/availability/", {"action": "delete_override", "override": override.pk}).status_code
        == 302
    )
    assert DateOverride.objects.count() == 1
    settings = {
        "action": "settings",
        "min_notice_hours": 24,
        "horizon_days": 30,
        "buffer_minutes": 15,
        "slot_lengths": ["30", "90"],
        "slot_step_minutes": "15",
    }
    assert client.post("/schedule/availability/", settings).status_code == 302
    profile = SchedulingProfile.objects.get(mentor=mentor)
    assert (profile.min_notice_minutes, profile.slot_lengths, profile.slot_step_minutes) == (1440, [30, 90], 15)
    assert client.post("/schedule/availability/", {**settings, "slot_lengths": []}).status_code == 400


# --- publishing a session -------------------------------------------------------------------


def test_publish_a_group_session_in_the_mentors_zone(client, mentor_factory):
    mentor = mentor_factory("America/New_York")
    client.force_login(mentor)
    assert client.get("/schedule/sessions/new/").status_code == 200
    local = (datetime.now(ZoneInfo("America/New_York")) + timedelta(days=10)).replace(
        hour=18, minute=0, second=0, microsecond=0
    )
    form = {
        "title": "Evening study group",
        "start": local.strftime("%Y-%m-%dT%H:%M"),
        "duration_minutes": "90",
        "capacity": "3",
        "price": "15.00",
        "currency": "USD",
    }
    response = client.post("/schedule/sessions/new/", form)
    session = Session.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/"
    assert session.starts_at == local.astimezone(UTC) and session.price_minor == 1500 and session.capacity == 3
    for change, text in [
        ({"price": "15.001"}, "decimal place"),
        ({"currency": "XYZ"}, "XYZ"),
        ({"capacity": "0"}, "greater than or equal to 1"),
        ({"start": "2020-01-01T10:00"}, "in the past"),
        ({"start": "9999-12-31T23:30"}, "out of range"),
        ({"start": "2026-02-31T10:00"}, "valid date"),
    ]:
        response = client.post("/schedule/sessions/new/", {**form, "title": "Another", **change})
        assert response.status_code == 400 and text in response.content.decode(), change
    assert Session.objects.count() == 1


def test_a_time_the_clocks_skip_is_refused(client, mentor_factory):
    mentor = mentor_factory("America/New_York")
    client.force_login(mentor)
    next_year = datetime.now(UTC).year + 1
    # the second Sunday of March: 02:30 does not exist in New York
    march = [datetime(next_year, 3, d) for d in range(8, 15) if datetime(next_year, 3, d).weekday() == 6][0]
    form = {
        "title": "Night owls",
        "start": f"{march:%Y-%m-%d}T02:30",
        "duration_minutes": "60",
        "capacity": "3",
        "price": "0",
        "currency": "EUR",
    }
    response = client.post("/schedule/sessions/new/", form)
    assert response.status_code == 400 and "does not exist" in response.content.decode()


def test_publishing_is_for_mentors(client, learner):
    client.force_login(learner)
    assert client.get("/schedule/sessions/new/").status_code == 403


# --- slot picker ---------------------------------------------------------------------------------


def test_slot_picker_shows_the_viewers_zone_grouped_by_day(client, mentor_factory, user_factory):
    mentor = mentor_factory("Asia/Kolkata", [(d, "09:00", "11:00") for d in range(7)], lengths=[60], step=60)
    viewer = user_factory(time_zone="America/Los_Angeles")
    client.force_login(viewer)
    html = client.get(f"/mentors/{mentor.pk}/book/").content.decode()
    assert "America/Los_Angeles" in html and "Asia/Kolkata" in html
    # 09:00 and 10:00 in Kolkata are 19:30 and 20:30 the day before in Los Angeles (PST, -8:00)
    assert re.search(r">\s*19:30\s*<", html) and re.search(r">\s*20:30\s*<", html)
    assert "PST" in html or "PDT" in html
    days = re.findall(r'<h2 id="day-\d+"', html)
    assert len(days) >= 6
    # a visitor's browser zone comes from the cookie
    client.logout()
    client.cookies["peerlearn_tz"] = "Asia/Tokyo"
    html = client.get(f"/mentors/{mentor.pk}/book/").content.decode()
    assert "Asia/Tokyo" in html and re.search(r">\s*12:30\s*<", html)


def test_booking_from_the_picker(client, mentor_factory, learner, user_factory):
    mentor = mentor_factory("UTC", lengths=[30, 60], step=30)
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    anonymous = client.post(f"/mentors/{mentor.pk}/book/", {"start": start.isoformat(), "duration_minutes": 60})
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(learner)
    html = client.get(f"/mentors/{mentor.pk}/book/?length=30").content.decode()
    assert "30 min" in html
    chosen = {"start": start.isoformat(), "duration_minutes": 60}
    confirm = client.post(f"/mentors/{mentor.pk}/book/", chosen)
    assert confirm.status_code == 200 and not Booking.objects.exists(), "a click on a slot only asks"
    assert "Book this time?" in confirm.content.decode() and 'name="confirmed" value="1"' in confirm.content.decode()
    response = client.post(f"/mentors/{mentor.pk}/book/", {**chosen, "confirmed": "1"})
    booking = Booking.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/schedule/bookings/{booking.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Your booking is confirmed" in page and "Europe/Berlin" in page
    client.force_login(user_factory())
    taken = client.post(f"/mentors/{mentor.pk}/book/", chosen)
    assert taken.status_code == 409 and "just taken" in taken.content.decode()
    raced = client.post(f"/mentors/{mentor.pk}/book/", {**chosen, "confirmed": "1"})
    assert raced.status_code == 409 and "just taken" in raced.content.decode()
    assert client.get(f"/schedule/bookings/{booking.pk}/").status_code == 404  # not theirs
    assert client.get("/mentors/999999/book/").status_code == 404


def test_reschedule_and_cancel_pages(client, mentor_factory, learner):
    mentor = mentor_factory("UTC")
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    booking = svc.book_slot(mentor, learner, start, 60)
    client.force_login(learner)
    assert client.get(f"/schedule/bookings/{booking.pk}/reschedule/").status_code == 200
    new_start = start + timedelta(days=1, hours=3)
    asked = client.post(f"/schedule/bookings/{booking.pk}/reschedule/", {"start": new_start.isoformat()})
    assert asked.status_code == 200 and "Move your session?" in asked.content.decode()
    booking.refresh_from_db()
    assert booking.starts_at == start, "a click on a slot only asks"
    moved = client.post(
        f"/schedule/bookings/{booking.pk}/reschedule/", {"start": new_start.isoformat(), "confirmed": "1"}
    )
    assert moved.status_code == 302
    booking.refresh_from_db()
    assert booking.starts_at == new_start
    refused = client.post(f"/schedule/bookings/{booking.pk}/reschedule/", {"start": start.replace(hour=3).isoformat()})
    assert refused.status_code == 400
    assert client.post(f"/schedule/bookings/{booking.pk}/cancel/").status_code == 302
    booking.refresh_from_db()
    assert booking.status == Booking.CANCELLED


# --- session page ------------------------------------------------------------------------------


def test_session_page_book_wait_and_cancel(client, mentor_factory, session_factory, user_factory):
    mentor = mentor_factory()
    session = session_factory(mentor, capacity=1, hours=48, price_minor=990)
    first, second = user_factory(), user_factory()
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "€9.90" in page and "1 of 1 free" in page
    client.force_login(first)
    assert "Book · €9.90" in client.get(f"/sessions/{session.pk}/").content.decode()
    response = client.post(f"/sessions/{session.pk}/book/")
    booking = Booking.objects.get()
    assert response["Location"] == f"/schedule/bookings/{booking.pk}/"
    assert "held until" in client.get(response["Location"]).content.decode()
    client.force_login(second)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert "This session is full" in page and "Join the waitlist" in page
    client.post(f"/sessions/{session.pk}/waitlist/")
    entry = WaitlistEntry.objects.get()
    assert "number 1 on the waitlist" in client.get(f"/sessions/{session.pk}/").content.decode()
    client.force_login(first)
    client.post(f"/sessions/{session.pk}/cancel/")
    booking.refresh_from_db()
    assert booking.status == Booking.CANCELLED
    client.force_login(second)
    assert "Take the seat" in client.get(f"/sessions/{session.pk}/").content.decode()
    taken = client.post(f"/waitlist/{entry.pk}/accept/")
    assert taken.status_code == 302 and Booking.objects.get(learner=second).status == Booking.PENDING_PAYMENT
    # the mentor sees the learners and can cancel for everyone; a stranger cannot
    client.force_login(user_factory())
    client.post(f"/sessions/{session.pk}/cancel/")
    assert Session.objects.get(pk=session.pk).status == Session.SCHEDULED
    client.force_login(mentor)
    page = client.get(f"/sessions/{session.pk}/").content.decode()
    assert second.display_name in page and "Cancel the session" in page
    client.post(f"/sessions/{session.pk}/cancel/", {"reason": "ill"})
    assert Session.objects.get(pk=session.pk).status == Session.CANCELLED


def test_start_from_the_session_page(client, mentor_factory, session_factory, learner):
    mentor = mentor_factory()
    session = session_factory(mentor, start=datetime.now(UTC) + timedelta(minutes=5))
    client.force_login(learner)
    assert client.post(f"/sessions/{session.pk}/start/").status_code == 403
    client.force_login(mentor)
    assert "Start the session" in client.get(f"/sessions/{session.pk}/").content.decode()
    response = client.post(f"/sessions/{session.pk}/start/")
    assert response.status_code == 302 and response["Location"] == f"/sessions/{session.pk}/room/"


def test_private_one_to_one_session_pages(client, mentor_factory, learner, user_factory):
    mentor = mentor_factory("UTC")
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=11, minute=0, second=0, microsecond=0)
    booking = svc.book_slot(mentor, learner, start, 60)
    assert client.get(f"/sessions/{booking.session_id}/").status_code == 404
    client.force_login(user_factory())
    assert client.get(f"/sessions/{booking.session_id}/").status_code == 404
    client.force_login(learner)
    assert client.get(f"/sessions/{booking.session_id}/").status_code == 200


def test_dates_in_the_editor_preview_use_the_mentors_zone(client, mentor_factory):
    mentor = mentor_factory("Australia/Sydney", [(d, "08:00", "09:00") for d in range(7)])
    client.force_login(mentor)
    html = client.get("/schedule/availability/").content.decode()
    assert "08:00" in html and "Australia/Sydney" in html
    assert time(8) == WeeklyRule.objects.first().start_time


def test_move_a_group_seat_from_the_other_sessions_page(client, mentor_factory, session_factory, learner):
    mentor = mentor_factory()
    monday = session_factory(mentor, capacity=3, hours=72)
    tuesday = session_factory(mentor, capacity=3, hours=96)
    booking = svc.book_session(monday, learner)
    client.force_login(learner)
    assert "Move my seat here" in client.get(f"/sessions/{tuesday.pk}/").content.decode()
    response = client.post(f"/schedule/bookings/{booking.pk}/reschedule/", {"session": tuesday.pk})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.session_id == tuesday.pk and booking.starts_at == tuesday.starts_at


def test_picker_tolerates_odd_input(client, mentor_factory, learner):
    mentor = mentor_factory("UTC")
    for query in ["?week=2026-02-31", "?week=soon", "?length=abc", "?length=45", "?week=1999-01-01"]:
        assert client.get(f"/mentors/{mentor.pk}/book/{query}").status_code == 200, query
    client.force_login(learner)
    for start, length in [
        ("2026-02-31T10:00:00Z", "60"),
        ("soon", "60"),
        ("9999-12-31T23:00:00+00:00", "60"),
        ("2030-01-01T10:00:00", "60"),
        ("2030-01-01T10:00:00Z", "x"),
        ("2030-01-01T10:00:00Z", "-5"),
    ]:
        response = client.post(f"/mentors/{mentor.pk}/book/", {"start": start, "duration_minutes": length})
        assert response.status_code in (400, 409), (start, length)
    assert not Booking.objects.exists()


def test_a_session_starting_soon_shows_no_past_cancellation_deadline(client, mentor_factory, learner, session_factory):
    session = session_factory(mentor_factory(), hours=0.5, price_minor=0)
    booking = svc.book_session(session, learner)
    client.force_login(learner)
    html = client.get(f"/schedule/bookings/{booking.pk}/").content.decode()
    assert "Cancel by" not in html
    assert "free-cancellation window has closed" in html
