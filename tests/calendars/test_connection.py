"""Connecting a calendar: the page, the REST endpoints, bad input, and the editors' admin list."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from core.calendars.models import CalendarConnection
from core.plugins import breaker
from tests.calendars.servers import PASSWORD, USERNAME

pytestmark = pytest.mark.django_db(transaction=True)


def _values(radicale, **changes) -> dict:
    return {"url": radicale.url, "username": USERNAME, "password": PASSWORD, **changes}


# --- REST -----------------------------------------------------------------------


def test_not_connected_lists_the_providers_and_their_fields(api_client, caldav_plugin, mentor):
    api_client.force_authenticate(mentor)
    body = api_client.get("/api/calendar/").json()
    assert body["connected"] is False
    caldav = next(p for p in body["providers"] if p["identifier"] == "caldav")
    fields = {f["name"]: f for f in caldav["fields"]}
    assert set(fields) == {"url", "username", "password"} and fields["password"]["secret"] is True


def test_a_wrong_password_is_a_clear_400_and_stores_nothing(api_client, caldav_plugin, mentor, radicale):
    api_client.force_authenticate(mentor)
    response = api_client.put(
        "/api/calendar/", {"provider": "caldav", "values": _values(radicale, password="wrong-one")}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "calendar_auth"
    assert "username or password" in response.json()["detail"]
    assert not CalendarConnection.objects.exists()


def test_wrong_passwords_are_the_mentors_problem_not_the_plugins(api_client, caldav_plugin, mentor, radicale):
    """A mentor's bad credentials never open the plugin's breaker, which would cut every mentor off."""
    api_client.force_authenticate(mentor)
    for _ in range(8):
        response = api_client.post(
            "/api/calendar/test/", {"provider": "caldav", "values": _values(radicale, password="nope")}, format="json"
        )
        assert response.status_code == 400 and response.json()["code"] == "calendar_auth"
    assert not breaker.is_open("calendar_caldav")


def test_an_unreachable_server_is_a_clear_400_within_the_budget(api_client, caldav_plugin, mentor, silent, settings):
    settings.PEERLEARN_CALENDARS = {**settings.PEERLEARN_CALENDARS, "READ_BUDGET": 1.0}
    api_client.force_authenticate(mentor)
    began = time.monotonic()
    response = api_client.post("/api/calendar/test/", {"provider": "caldav", "values": _values(silent)}, format="json")
    assert time.monotonic() - began < 2.5
    assert response.status_code == 400 and response.json()["code"] == "calendar_unreachable"
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "payload, code",
    [
        ({"provider": "google", "values": {}}, "calendar_unknown_provider"),
        ({"provider": "caldav", "values": {"url": "https://x.example/", "username": ""}}, "calendar_required"),
        (
            {"provider": "caldav", "values": {"url": "ftp://x.example/", "username": "a", "password": "b"}},
            "calendar_invalid",
        ),
        ({"values": {}}, "invalid"),
    ],
)
def test_bad_input_is_refused_with_a_code(api_client, caldav_plugin, mentor, payload, code):
    api_client.force_authenticate(mentor)
    response = api_client.put("/api/calendar/", payload, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == code
    assert not CalendarConnection.objects.exists()


def test_private_servers_are_refused_unless_an_editor_allows_them(api_client, caldav_plugin, mentor, radicale):
    from core.plugins import config
    from core.plugins.models import PluginConfiguration

    PluginConfiguration.objects.filter(plugin="calendar_caldav").update(settings={"allow_private_hosts": False})
    config.invalidate(caldav_plugin.id)
    api_client.force_authenticate(mentor)
    response = api_client.post(
        "/api/calendar/test/", {"provider": "caldav", "values": _values(radicale)}, format="json"
    )
    assert response.status_code == 400 and response.json()["code"] == "calendar_invalid"
    assert "private network" in response.json()["detail"]


def test_choose_refresh_and_disconnect(api_client, caldav_plugin, mentor, radicale):
    first, second = radicale.new_calendar("First"), radicale.new_calendar("Second")
    api_client.force_authenticate(mentor)
    body = api_client.put(
        "/api/calendar/", {"provider": "caldav", "values": _values(radicale), "calendar_id": first}, format="json"
    ).json()
    assert body["calendar_name"] == "First"
    listed = api_client.get("/api/calendar/calendars/").json()
    assert {first, second} <= {c["id"] for c in listed}
    response = api_client.post("/api/calendar/calendars/", {"calendar_id": second}, format="json")
    assert response.status_code == 200 and response.json()["calendar_name"] == "Second"
    response = api_client.post("/api/calendar/calendars/", {"calendar_id": radicale.url + "nope/"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "calendar_unknown_calendar"
    # New credentials with the password left empty keep the stored one.
    response = api_client.put(
        "/api/calendar/", {"provider": "caldav", "values": _values(radicale, password="")}, format="json"
    )
    assert response.status_code == 200 and response.json()["calendar_id"] == second
    assert api_client.delete("/api/calendar/").status_code == 204
    assert not CalendarConnection.objects.exists()
    assert api_client.post("/api/calendar/refresh/").status_code == 404


def test_learners_have_no_calendar_endpoints(api_client, caldav_plugin, user_factory):
    api_client.force_authenticate(user_factory())
    assert api_client.get("/api/calendar/").status_code == 403
    api_client.logout()
    assert api_client.get("/api/calendar/").status_code in (401, 403)


# --- the page -------------------------------------------------------------------


def test_the_mentor_connects_on_the_page_with_a_test_button(client, caldav_plugin, mentor, radicale):
    radicale.new_calendar("Work")
    client.force_login(mentor)
    page = client.get("/schedule/calendar/")
    assert page.status_code == 200
    assert b"Test connection" in page.content and b'name="password"' in page.content

    wrong = client.post(
        "/schedule/calendar/", {"provider": "caldav", "action": "test", **_values(radicale, password="x")}
    )
    assert wrong.status_code == 400
    assert b"refused the username or password" in wrong.content
    assert not CalendarConnection.objects.exists()

    tested = client.post("/schedule/calendar/", {"provider": "caldav", "action": "test", **_values(radicale)})
    assert tested.status_code == 200 and b"Connection works" in tested.content
    assert not CalendarConnection.objects.exists()
    assert PASSWORD.encode() not in tested.content

    calendar_id = radicale.new_calendar("Chosen")
    done = client.post(
        "/schedule/calendar/",
        {"provider": "caldav", "action": "connect", "calendar_id": calendar_id, **_values(radicale)},
        follow=True,
    )
    assert done.status_code == 200 and b"Calendar connected: Chosen" in done.content
    assert PASSWORD.encode() not in done.content
    assert CalendarConnection.objects.get(mentor=mentor).calendar_id == calendar_id

    availability = client.get("/schedule/availability/")
    assert b"data-calendar-status" in availability.content and b"Refresh now" in availability.content


def test_an_unreachable_calendar_tells_the_mentor_on_the_availability_page(
    client, caldav_plugin, mentor, silent, settings
):
    settings.PEERLEARN_CALENDARS = {**settings.PEERLEARN_CALENDARS, "READ_BUDGET": 1.0}
    CalendarConnection.objects.create(
        mentor=mentor,
        plugin="calendar_caldav",
        provider="caldav",
        settings={"url": silent.url, "username": USERNAME},
        secrets={"password": PASSWORD},
        calendar_id=silent.url + "calendar/",
        calendar_name="Work",
    )
    client.force_login(mentor)
    refreshed = client.post("/schedule/calendar/", {"action": "refresh"}, follow=True)
    assert b"could not be reached" in refreshed.content or b"did not answer" in refreshed.content
    page = client.get("/schedule/availability/")
    assert page.status_code == 200
    assert b"data-calendar-error" in page.content and b"data-availability-stale" in page.content
    picker = client.get(f"/mentors/{mentor.pk}/book/")
    assert picker.status_code == 200 and b"Availability may be stale" in picker.content


def test_learners_cannot_open_the_calendar_page(client, caldav_plugin, user_factory):
    client.force_login(user_factory())
    assert client.get("/schedule/calendar/").status_code == 403


# --- the admin ------------------------------------------------------------------


def test_editors_see_connected_calendars_with_last_sync_and_error(client, caldav_plugin, mentor, user_factory):
    now = datetime.now(UTC)
    connection = CalendarConnection.objects.create(
        mentor=mentor,
        plugin="calendar_caldav",
        provider="caldav",
        settings={"url": "https://dav.example.org/", "username": USERNAME},
        secrets={"password": PASSWORD},
        calendar_id="https://dav.example.org/cal/",
        calendar_name="Mentor work calendar",
        last_synced_at=now - timedelta(hours=1),
        last_error="The server refused the username or password.",
        last_error_code="auth",
        last_error_at=now,
    )
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    listing = client.get("/admin/calendars/connections/")
    assert listing.status_code == 200
    assert b"Mentor work calendar" in listing.content and b"refused the username" in listing.content
    assert PASSWORD.encode() not in listing.content
    inspect = client.get(f"/admin/calendars/connections/inspect/{connection.pk}/")
    assert inspect.status_code == 200 and PASSWORD.encode() not in inspect.content
    assert client.get(f"/admin/calendars/connections/edit/{connection.pk}/").status_code in (302, 403)


def test_switching_calendars_forgets_what_was_written_in_the_old_one(api_client, caldav_plugin, mentor, radicale):
    from core.calendars.models import CalendarEvent
    from core.scheduling.services.sessions import create_session

    first, second = radicale.new_calendar("Old"), radicale.new_calendar("New")
    api_client.force_authenticate(mentor)
    api_client.put(
        "/api/calendar/", {"provider": "caldav", "values": _values(radicale), "calendar_id": first}, format="json"
    )
    connection = CalendarConnection.objects.get(mentor=mentor)
    session = create_session(
        mentor,
        start=datetime.now(UTC) + timedelta(days=3),
        duration_minutes=60,
        capacity=3,
        price_minor=0,
        currency="EUR",
        title="Group",
    )
    CalendarEvent.objects.create(
        connection=connection, session=session, uid="x@y", starts_at=session.starts_at, ends_at=session.ends_at
    )
    response = api_client.put(
        "/api/calendar/", {"provider": "caldav", "values": _values(radicale), "calendar_id": second}, format="json"
    )
    assert response.status_code == 200 and response.json()["calendar_name"] == "New"
    assert not CalendarEvent.objects.exists()
    assert CalendarConnection.objects.count() == 1
