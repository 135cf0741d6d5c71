"""Two-way calendar sync against a real Radicale server: busy time in, bookings out, failures isolated."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection as db_connection

from core.calendars import busy, sync
from core.calendars.models import CalendarConnection, CalendarEvent
from core.calendars.tasks import refresh_all
from core.scheduling.services import bookings
from tests.calendars.servers import PASSWORD, USERNAME

pytestmark = pytest.mark.django_db(transaction=True)


def _tomorrow_at(hour: int) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _connect(api_client, mentor, radicale, calendar_id: str) -> dict:
    api_client.force_authenticate(mentor)
    response = api_client.put(
        "/api/calendar/",
        {
            "provider": "caldav",
            "values": {"url": radicale.url, "username": USERNAME, "password": PASSWORD},
            "calendar_id": calendar_id,
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def _starts(api_client, mentor, start: datetime, end: datetime) -> tuple[set[str], dict]:
    response = api_client.get(
        f"/api/mentors/{mentor.pk}/availability/",
        {"from": start.isoformat(), "to": end.isoformat(), "tz": "UTC"},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    return {slot["start"] for slot in body["slots"]}, body


def test_an_event_the_mentor_adds_removes_the_slot_within_one_refresh(api_client, caldav_plugin, mentor, radicale):
    calendar_id = radicale.new_calendar()
    body = _connect(api_client, mentor, radicale, calendar_id)
    assert body["connected"] and body["calendar_id"] == calendar_id and body["last_error"] == ""
    assert body["secrets_stored"] == ["password"] and PASSWORD not in str(body)
    start, end = _tomorrow_at(8), _tomorrow_at(16)
    slot = _tomorrow_at(10).isoformat().replace("+00:00", "Z")
    starts, body = _starts(api_client, mentor, start, end)
    assert slot in starts and body["stale"] is False and body["busy_as_of"]

    radicale.add_event(calendar_id, _tomorrow_at(10), _tomorrow_at(11))
    assert refresh_all() == 1  # the beat task: one refresh

    starts, body = _starts(api_client, mentor, start, end)
    assert slot not in starts
    assert _tomorrow_at(11).isoformat().replace("+00:00", "Z") in starts
    assert body["stale"] is False


def test_refresh_now_reads_the_calendar_at_once(api_client, caldav_plugin, mentor, radicale):
    calendar_id = radicale.new_calendar()
    _connect(api_client, mentor, radicale, calendar_id)
    radicale.add_event(calendar_id, _tomorrow_at(12), _tomorrow_at(13))
    response = api_client.post("/api/calendar/refresh/")
    assert response.status_code == 200
    assert response.json()["ok"] is True and response.json()["connection"]["busy_intervals"] == 1
    starts, _ = _starts(api_client, mentor, _tomorrow_at(8), _tomorrow_at(16))
    assert _tomorrow_at(12).isoformat().replace("+00:00", "Z") not in starts


def test_a_booking_is_written_moved_and_removed_on_cancel(api_client, caldav_plugin, mentor, radicale, user_factory):
    calendar_id = radicale.new_calendar()
    _connect(api_client, mentor, radicale, calendar_id)
    learner = user_factory(time_zone="Europe/Berlin", display_name="Ada Learner")
    api_client.force_authenticate(learner)
    response = api_client.post(
        f"/api/mentors/{mentor.pk}/book/",
        {"start": _tomorrow_at(9).isoformat(), "duration_minutes": 60},
        format="json",
    )
    assert response.status_code == 201, response.content
    booking_id = response.json()["id"]
    from core.scheduling.models import Booking

    booking = Booking.objects.select_related("session").get(pk=booking_id)
    assert booking.status == Booking.CONFIRMED
    uid = sync.event_uid(booking.session_id)
    assert radicale.uids(calendar_id) == {uid}
    assert radicale.times_of(calendar_id, uid) == (_tomorrow_at(9), _tomorrow_at(10))
    assert CalendarEvent.objects.filter(session=booking.session, uid=uid).exists()

    # The event PeerLearn wrote does not count twice: the session already blocks its own time.
    busy.refresh_busy(CalendarConnection.objects.get(mentor=mentor))
    assert CalendarConnection.objects.get(mentor=mentor).busy == []

    response = api_client.post(
        f"/api/bookings/{booking_id}/reschedule/", {"start": _tomorrow_at(14).isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    assert radicale.uids(calendar_id) == {uid}
    assert radicale.times_of(calendar_id, uid) == (_tomorrow_at(14), _tomorrow_at(15))

    bookings.cancel_booking(Booking.objects.get(pk=booking_id), learner, "changed my mind")
    assert radicale.uids(calendar_id) == set()
    assert not CalendarEvent.objects.filter(session=booking.session).exists()


def test_a_hung_server_gives_the_stale_flag_within_the_budget(api_client, caldav_plugin, mentor, silent, settings):
    settings.PEERLEARN_CALENDARS = {**settings.PEERLEARN_CALENDARS, "READ_BUDGET": 1.0}
    known = (_tomorrow_at(10), _tomorrow_at(11))
    connection = CalendarConnection.objects.create(
        mentor=mentor,
        plugin="calendar_caldav",
        provider="caldav",
        settings={"url": silent.url, "username": USERNAME},
        secrets={"password": PASSWORD},
        calendar_id=silent.url + "calendar/",
        calendar_name="Work",
        busy=[[known[0].isoformat(), known[1].isoformat()]],
        last_synced_at=datetime.now(UTC) - timedelta(hours=2),
    )
    began = time.monotonic()
    starts, body = _starts(api_client, mentor, _tomorrow_at(8), _tomorrow_at(16))
    took = time.monotonic() - began
    assert body["stale"] is True
    assert took < 1.0 + 1.5, f"the availability answer took {took:.2f}s with a hung calendar"
    # The busy time read before stays in force: the mentor does not look free.
    assert _tomorrow_at(10).isoformat().replace("+00:00", "Z") not in starts
    assert _tomorrow_at(9).isoformat().replace("+00:00", "Z") in starts
    connection.refresh_from_db()
    assert connection.busy_failing and connection.last_error_code == "unreachable" and connection.last_error

    began = time.monotonic()
    _, body = _starts(api_client, mentor, _tomorrow_at(8), _tomorrow_at(16))
    assert body["stale"] is True
    assert time.monotonic() - began < 0.9, "after a failed read the next request does not wait again"

    from core.plugins.models import PluginError

    assert PluginError.objects.filter(plugin="calendar_caldav", kind="timeout").exists()


def test_secrets_are_encrypted_at_rest(api_client, caldav_plugin, mentor, radicale):
    _connect(api_client, mentor, radicale, radicale.new_calendar())
    with db_connection.cursor() as cursor:
        cursor.execute("SELECT secrets FROM calendars_calendarconnection WHERE mentor_id = %s", [mentor.pk])
        raw = str(cursor.fetchone()[0])
    assert PASSWORD not in raw and "fernet:" in raw
    assert CalendarConnection.objects.get(mentor=mentor).secrets["password"] == PASSWORD


def test_the_beat_refresh_runs_before_cached_busy_times_expire(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["calendars-refresh-busy"]
    assert entry["task"] == refresh_all.name
    assert entry["schedule"] < settings.PEERLEARN_CALENDARS["BUSY_TTL"] < settings.PEERLEARN_CALENDARS["STALE_AFTER"]
