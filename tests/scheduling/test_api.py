"""The scheduling REST API: every endpoint's permissions, bad input (4xx naming the field), and results."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.scheduling.models import Booking, Session, WaitlistEntry
from core.scheduling.services import bookings as svc
from core.taxonomy.models import Skill

pytestmark = pytest.mark.django_db


def iso(value: datetime) -> str:
    return value.isoformat()


def future(days: float = 3, hour: int = 10) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)


@pytest.fixture
def mentor(mentor_factory):
    return mentor_factory("America/New_York", lengths=[30, 60], step=30, notice=60)


def as_user(api_client, user):
    api_client.force_authenticate(user)
    return api_client


# --- sessions: list and detail -------------------------------------------------------


def test_session_list_filters_and_pagination(api_client, mentor, mentor_factory, session_factory, learner):
    python = Skill.objects.create(name="Python")
    group = session_factory(mentor, capacity=2, hours=30, skills=[python])
    full = session_factory(mentor, capacity=1, hours=60)
    other = session_factory(mentor_factory(), capacity=3, hours=90)
    svc.book_session(full, learner)
    response = api_client.get("/api/sessions/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 3 and [s["id"] for s in body["results"]] == [group.pk, full.pk, other.pk]
    first = body["results"][0]
    assert first["start"].endswith("Z") and first["price"] == "0.00" and first["seats_left"] == 2
    assert first["skills"] == [{"slug": "python", "name": "Python"}] and first["url"] == f"/sessions/{group.pk}/"
    assert [s["id"] for s in api_client.get(f"/api/sessions/?mentor={mentor.pk}").json()["results"]] == [
        group.pk,
        full.pk,
    ]
    assert [s["id"] for s in api_client.get("/api/sessions/?skill=python").json()["results"]] == [group.pk]
    assert [s["id"] for s in api_client.get("/api/sessions/?has_seats=true").json()["results"]] == [group.pk, other.pk]
    assert [s["id"] for s in api_client.get("/api/sessions/?has_seats=false").json()["results"]] == [full.pk]
    # A window around the 60-hour session only (clear of the 30- and 90-hour ones, whatever the time of day).
    window = f"from={iso(full.starts_at - timedelta(hours=6))}&to={iso(full.starts_at + timedelta(hours=6))}"
    window = window.replace("+", "%2B")
    assert [s["id"] for s in api_client.get(f"/api/sessions/?{window}").json()["results"]] == [full.pk]
    assert api_client.get("/api/sessions/?status=cancelled").json()["count"] == 0
    from core.scheduling.services.sessions import cancel_session

    cancel_session(other, other.mentor)
    assert [s["id"] for s in api_client.get("/api/sessions/?status=cancelled").json()["results"]] == [other.pk]
    assert other.pk not in [s["id"] for s in api_client.get("/api/sessions/").json()["results"]]
    assert api_client.get("/api/sessions/?page_size=1").json()["next"]
    bad = api_client.get("/api/sessions/?status=bogus")
    assert bad.status_code == 400 and "status" in bad.json()["errors"]
    assert api_client.get("/api/sessions/?from=yesterday").status_code == 400
    detail = api_client.get(f"/api/sessions/{group.pk}/")
    assert detail.status_code == 200 and detail.json()["capacity"] == 2
    assert api_client.get("/api/sessions/999999/").status_code == 404


def test_one_to_one_sessions_from_availability_are_private(api_client, mentor, learner, user_factory):
    booking = svc.book_slot(mentor, learner, future(2, 15), 60)
    session_id = booking.session_id
    assert api_client.get("/api/sessions/").json()["count"] == 0
    assert api_client.get(f"/api/sessions/{session_id}/").status_code == 404
    assert as_user(api_client, user_factory()).get(f"/api/sessions/{session_id}/").status_code == 404
    assert as_user(api_client, learner).get(f"/api/sessions/{session_id}/").status_code == 200
    assert as_user(api_client, mentor).get(f"/api/sessions/{session_id}/").status_code == 200


# --- creating sessions ------------------------------------------------------------------


def _payload(**change) -> dict:
    body = {
        "title": "Intro to Django",
        "description": "Models, views, templates.",
        "skills": [],
        "start": iso(future(4).astimezone(ZoneInfo("Asia/Kolkata"))),
        "duration_minutes": 90,
        "capacity": 3,
        "price": "12.50",
        "currency": "EUR",
    }
    body.update(change)
    return body


def test_create_session(api_client, mentor):
    Skill.objects.create(name="Django")
    response = as_user(api_client, mentor).post("/api/sessions/create/", _payload(skills=["django"]), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    session = Session.objects.get(pk=body["id"])
    assert (session.price_minor, session.currency, session.capacity) == (1250, "EUR", 3)
    assert session.starts_at == future(4) and session.duration_minutes == 90
    assert list(session.skills.values_list("slug", flat=True)) == ["django"]
    jpy = as_user(api_client, mentor).post(
        "/api/sessions/create/", _payload(price="1500", currency="jpy", start=iso(future(5))), format="json"
    )
    assert jpy.status_code == 201 and jpy.json()["price"] == "1500" and jpy.json()["currency"] == "JPY"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": iso(datetime.now(UTC) - timedelta(hours=1))}, "start"),
        ({"start": "2030-01-01T10:00:00"}, "start"),  # no offset
        ({"start": "next tuesday"}, "start"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": -3}, "capacity"),
        ({"currency": "ABC"}, "currency"),
        ({"price": "12.505"}, "price"),
        ({"price": "10.5", "currency": "JPY"}, "price"),
        ({"price": "-1"}, "price"),
        ({"price": "ten"}, "price"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"title": ""}, "title"),
        ({"skills": ["no-such-skill"]}, "skills"),
    ],
)
def test_create_session_bad_input_names_the_field(api_client, mentor, change, field):
    response = as_user(api_client, mentor).post("/api/sessions/create/", _payload(**change), format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"], body
    assert not Session.objects.exists()


def test_create_session_permissions_and_clash(api_client, mentor, learner):
    assert api_client.post("/api/sessions/create/", _payload(), format="json").status_code in (401, 403)
    refused = as_user(api_client, learner).post("/api/sessions/create/", _payload(), format="json")
    assert refused.status_code == 403 and refused.json()["code"] == "not_a_mentor"
    assert as_user(api_client, mentor).post("/api/sessions/create/", _payload(), format="json").status_code == 201
    clash = as_user(api_client, mentor).post("/api/sessions/create/", _payload(), format="json")
    assert clash.status_code == 409 and clash.json()["code"] == "mentor_clash"
    assert Session.objects.count() == 1


# --- booking a session -------------------------------------------------------------


def test_book_session_free_priced_full_clash_and_own(api_client, mentor, mentor_factory, session_factory, user_factory):
    free = session_factory(mentor, capacity=1, hours=30)
    priced = session_factory(mentor, capacity=3, hours=60, price_minor=2000, currency="USD")
    learner = user_factory()
    assert api_client.post(f"/api/sessions/{free.pk}/book/").status_code in (401, 403)
    response = as_user(api_client, learner).post(f"/api/sessions/{free.pk}/book/")
    assert response.status_code == 201
    assert response.json()["status"] == "confirmed" and response.json()["session"]["id"] == free.pk
    response = as_user(api_client, learner).post(f"/api/sessions/{priced.pk}/book/")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "pending_payment" and body["hold_expires_at"] and body["price"] == "20.00"
    full = as_user(api_client, user_factory()).post(f"/api/sessions/{free.pk}/book/")
    assert full.status_code == 409 and full.json()["code"] == "no_seat" and full.json()["detail"]
    again = as_user(api_client, learner).post(f"/api/sessions/{priced.pk}/book/")
    assert again.status_code == 409 and again.json()["code"] == "already_booked"
    overlapping = session_factory(mentor_factory(), start=free.starts_at + timedelta(minutes=30))
    clash = as_user(api_client, learner).post(f"/api/sessions/{overlapping.pk}/book/")
    assert clash.status_code == 409 and clash.json()["code"] == "learner_clash"
    own = as_user(api_client, mentor).post(f"/api/sessions/{priced.pk}/book/")
    assert own.status_code == 403 and own.json()["code"] == "own_session"
    assert Booking.objects.count() == 2
    assert as_user(api_client, learner).post("/api/sessions/424242/book/").status_code == 404


# --- starting ---------------------------------------------------------------------


def test_start_only_by_its_mentor_inside_the_window(api_client, mentor, mentor_factory, session_factory, learner):
    soon = session_factory(mentor, start=datetime.now(UTC) + timedelta(minutes=5), capacity=3)
    later = session_factory(mentor, hours=5)
    svc.book_session(soon, learner)
    assert api_client.post(f"/api/sessions/{soon.pk}/start/").status_code in (401, 403)
    assert as_user(api_client, learner).post(f"/api/sessions/{soon.pk}/start/").status_code == 403
    assert as_user(api_client, mentor_factory()).post(f"/api/sessions/{soon.pk}/start/").status_code == 403
    early = as_user(api_client, mentor).post(f"/api/sessions/{later.pk}/start/")
    assert early.status_code == 409 and early.json()["code"] == "outside_start_window"
    started = as_user(api_client, mentor).post(f"/api/sessions/{soon.pk}/start/")
    assert started.status_code == 200
    assert started.json()["room_url"] == f"/sessions/{soon.pk}/room/" and started.json()["status"] == "in_progress"
    # and ending it completes the learners' bookings
    assert as_user(api_client, learner).post(f"/api/sessions/{soon.pk}/end/").status_code == 403
    assert as_user(api_client, mentor).post(f"/api/sessions/{soon.pk}/end/").status_code == 200
    assert Booking.objects.get(session=soon).status == "completed"


# --- cancelling ------------------------------------------------------------------------


def test_cancel_by_learner_mentor_and_stranger(api_client, mentor, session_factory, user_factory):
    session = session_factory(mentor, capacity=3, hours=72, price_minor=1000)
    first, second = user_factory(), user_factory()
    svc.confirm_booking(svc.book_session(session, first))
    svc.confirm_booking(svc.book_session(session, second))
    assert api_client.delete(f"/api/sessions/{session.pk}/cancel/").status_code in (401, 403)
    stranger = as_user(api_client, user_factory()).delete(f"/api/sessions/{session.pk}/cancel/")
    assert stranger.status_code == 403 and stranger.json()["code"] == "permission_denied"
    assert Booking.objects.active().count() == 2
    mine = as_user(api_client, first).delete(f"/api/sessions/{session.pk}/cancel/", {"reason": "busy"}, format="json")
    assert mine.status_code == 200
    body = mine.json()
    assert body["session_cancelled"] is False and body["refund_percent"] == 100 and body["refund"] == "10.00"
    assert body["bookings"][0]["status"] == "cancelled" and body["bookings"][0]["cancel_reason"] == "busy"
    everyone = as_user(api_client, mentor).delete(f"/api/sessions/{session.pk}/cancel/")
    assert everyone.status_code == 200 and everyone.json()["session_cancelled"] is True
    assert everyone.json()["refund_minor"] == 1000
    assert Session.objects.get(pk=session.pk).status == "cancelled"
    assert Booking.objects.active().count() == 0
    assert as_user(api_client, mentor).delete(f"/api/sessions/{session.pk}/cancel/").status_code == 409


# --- availability and slot booking ---------------------------------------------------------


def test_availability_in_the_viewers_zone(api_client, mentor, user_factory):
    start = future(3, 0)
    # bounds with an offset mean the same instants for every viewer (a bare date is midnight in the viewer's zone)
    bounds = f"from={start.isoformat()}&to={(start + timedelta(days=1)).isoformat()}".replace("+", "%2B")
    query = f"{bounds}&length=60"
    anonymous = api_client.get(f"/api/mentors/{mentor.pk}/availability/?{query}")
    assert anonymous.status_code == 200
    body = anonymous.json()
    assert body["mentor_time_zone"] == "America/New_York" and body["time_zone"] == "UTC"
    assert body["lengths"] == [30, 60]
    first = body["slots"][0]
    assert set(first) == {"start", "end", "start_local", "end_local", "time_zone", "zone_abbr", "length_minutes"}
    local_ny = datetime.fromisoformat(first["start"].replace("Z", "+00:00")).astimezone(ZoneInfo("America/New_York"))
    assert local_ny.strftime("%H:%M") == "09:00" and first["length_minutes"] == 60
    # a signed-in viewer in Tokyo sees the same instants in Tokyo time, zone named
    tokyo = as_user(api_client, user_factory(time_zone="Asia/Tokyo"))
    seen = tokyo.get(f"/api/mentors/{mentor.pk}/availability/?{query}").json()
    assert seen["time_zone"] == "Asia/Tokyo" and seen["slots"][0]["zone_abbr"] == "JST"
    assert seen["slots"][0]["start"] == first["start"]
    assert seen["slots"][0]["start_local"].endswith("+09:00")
    # a visitor's browser zone (the cookie), or an explicit tz
    api_client.force_authenticate(None)
    api_client.cookies["peerlearn_tz"] = "Europe/London"
    assert api_client.get(f"/api/mentors/{mentor.pk}/availability/?{query}").json()["time_zone"] == "Europe/London"
    explicit = api_client.get(f"/api/mentors/{mentor.pk}/availability/?{query}&tz=Asia/Kolkata").json()
    assert explicit["slots"][0]["zone_abbr"] == "IST"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("length=45", "length"),
        ("tz=Mars/Olympus", "tz"),
        ("from=2030-01-10&to=2030-01-09", "to"),
        ("from=2030-01-01&to=2030-06-01", "to"),
        ("from=soon", "from"),
    ],
)
def test_availability_bad_queries(api_client, mentor, query, field):
    response = api_client.get(f"/api/mentors/{mentor.pk}/availability/?{query}")
    assert response.status_code == 400 and field in response.json()["errors"]


def test_availability_of_a_non_mentor_is_404(api_client, learner):
    assert api_client.get(f"/api/mentors/{learner.pk}/availability/").status_code == 404


def test_book_a_free_slot(api_client, mentor, learner, user_factory):
    local = future(3, 12).astimezone(ZoneInfo("America/New_York")).replace(hour=10, minute=30)
    payload = {"start": iso(local), "duration_minutes": 30}
    assert api_client.post(f"/api/mentors/{mentor.pk}/book/", payload, format="json").status_code in (401, 403)
    response = as_user(api_client, learner).post(f"/api/mentors/{mentor.pk}/book/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "confirmed" and body["session"]["origin"] == "slot" and body["session"]["capacity"] == 1
    taken = as_user(api_client, user_factory()).post(f"/api/mentors/{mentor.pk}/book/", payload, format="json")
    assert taken.status_code == 409 and taken.json()["code"] == "slot_taken"
    night = {"start": iso(local.replace(hour=3)), "duration_minutes": 30}
    outside = as_user(api_client, user_factory()).post(f"/api/mentors/{mentor.pk}/book/", night, format="json")
    assert outside.status_code == 400 and "start" in outside.json()["errors"]
    past = {"start": iso(datetime.now(UTC) - timedelta(days=1)), "duration_minutes": 30}
    assert as_user(api_client, learner).post(f"/api/mentors/{mentor.pk}/book/", past, format="json").status_code == 400
    odd = {"start": iso(local.replace(hour=14)), "duration_minutes": 45}
    wrong = as_user(api_client, learner).post(f"/api/mentors/{mentor.pk}/book/", odd, format="json")
    assert wrong.status_code == 400 and "duration_minutes" in wrong.json()["errors"]
    own = as_user(api_client, mentor).post(
        f"/api/mentors/{mentor.pk}/book/", {"start": iso(local.replace(hour=14)), "duration_minutes": 30}, format="json"
    )
    assert own.status_code == 403 and own.json()["code"] == "own_session"
    assert Session.objects.count() == 1


# --- the caller's bookings, rescheduling, no-show --------------------------------------------


def test_bookings_list_is_the_callers_own(api_client, mentor, session_factory, user_factory):
    session = session_factory(mentor, capacity=3)
    mine, theirs = user_factory(), user_factory()
    svc.book_session(session, mine)
    svc.book_session(session, theirs)
    assert api_client.get("/api/bookings/").status_code in (401, 403)
    body = as_user(api_client, mine).get("/api/bookings/").json()
    assert body["count"] == 1 and body["results"][0]["learner"]["id"] == mine.pk
    assert as_user(api_client, mentor).get("/api/bookings/?as=mentor").json()["count"] == 2
    assert as_user(api_client, mine).get("/api/bookings/?status=cancelled").json()["count"] == 0
    assert as_user(api_client, mine).get("/api/bookings/?status=nope").status_code == 400


def test_reschedule_a_one_to_one(api_client, mentor, learner, user_factory):
    booking = svc.book_slot(mentor, learner, future(4, 15), 60)
    new_start = future(5, 15)
    assert (
        as_user(api_client, user_factory())
        .post(f"/api/bookings/{booking.pk}/reschedule/", {"start": iso(new_start)}, format="json")
        .status_code
        == 404
    )
    moved = as_user(api_client, learner).post(
        f"/api/bookings/{booking.pk}/reschedule/", {"start": iso(new_start)}, format="json"
    )
    assert moved.status_code == 200, moved.json()
    assert moved.json()["start"] == new_start.isoformat().replace("+00:00", "Z")
    assert moved.json()["reschedule_count"] == 1
    assert Session.objects.get(pk=booking.session_id).starts_at == new_start
    nowhere = as_user(api_client, learner).post(
        f"/api/bookings/{booking.pk}/reschedule/", {"start": iso(future(5, 5))}, format="json"
    )
    assert nowhere.status_code == 400 and "start" in nowhere.json()["errors"]
    neither = as_user(api_client, learner).post(f"/api/bookings/{booking.pk}/reschedule/", {}, format="json")
    assert neither.status_code == 400
    assert Session.objects.get(pk=booking.session_id).starts_at == new_start


def test_no_show_only_by_the_mentor(api_client, mentor, session_factory, learner):
    session = session_factory(mentor, hours=30)
    booking = svc.book_session(session, learner)
    assert as_user(api_client, learner).post(f"/api/bookings/{booking.pk}/no-show/").status_code == 403
    early = as_user(api_client, mentor).post(f"/api/bookings/{booking.pk}/no-show/")
    assert early.status_code == 400 and early.json()["code"] == "too_early"


# --- waitlist ----------------------------------------------------------------------------------


def test_waitlist_join_leave_and_accept(api_client, mentor, session_factory, user_factory):
    session = session_factory(mentor, capacity=1)
    holder, waiting, other = user_factory(), user_factory(), user_factory()
    early = as_user(api_client, waiting).post(f"/api/sessions/{session.pk}/waitlist/")
    assert early.status_code == 409 and early.json()["code"] == "seats_available"
    svc.book_session(session, holder)
    joined = as_user(api_client, waiting).post(f"/api/sessions/{session.pk}/waitlist/")
    assert joined.status_code == 201 and joined.json()["position"] == 1 and joined.json()["status"] == "waiting"
    assert as_user(api_client, waiting).post(f"/api/sessions/{session.pk}/waitlist/").status_code == 200
    own = as_user(api_client, mentor).post(f"/api/sessions/{session.pk}/waitlist/")
    assert own.status_code == 403
    entry_id = joined.json()["id"]
    not_yet = as_user(api_client, waiting).post(f"/api/waitlist/{entry_id}/accept/")
    assert not_yet.status_code == 409 and not_yet.json()["code"] == "no_offer"
    svc.cancel_booking(Booking.objects.get(learner=holder), holder)
    assert WaitlistEntry.objects.get(pk=entry_id).status == "offered"
    assert as_user(api_client, other).post(f"/api/waitlist/{entry_id}/accept/").status_code == 403
    taken = as_user(api_client, other).post(f"/api/sessions/{session.pk}/book/")
    assert taken.status_code == 409 and taken.json()["code"] == "no_seat"  # the seat is kept for the offer
    accepted = as_user(api_client, waiting).post(f"/api/waitlist/{entry_id}/accept/")
    assert accepted.status_code == 201 and accepted.json()["status"] == "confirmed"
    assert as_user(api_client, waiting).get("/api/waitlist/").json()[0]["status"] == "accepted"
    # leaving
    joined = as_user(api_client, other).post(f"/api/sessions/{session.pk}/waitlist/")
    assert as_user(api_client, other).delete(f"/api/sessions/{session.pk}/waitlist/").json()["status"] == "left"


def test_schema_documents_the_scheduling_endpoints(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in [
        "/api/sessions/",
        "/api/sessions/{id}/",
        "/api/sessions/create/",
        "/api/sessions/{id}/book/",
        "/api/sessions/{id}/start/",
        "/api/sessions/{id}/cancel/",
        "/api/mentors/{id}/availability/",
        "/api/mentors/{id}/book/",
        "/api/bookings/",
        "/api/bookings/{id}/reschedule/",
        "/api/sessions/{id}/waitlist/",
        "/api/waitlist/{id}/accept/",
        "/api/schedule/availability/",
        "/api/schedule/overrides/",
    ]:
        assert path in paths, path


# --- the mentor's own availability --------------------------------------------------------------


def test_edit_my_availability_through_the_api(api_client, mentor_factory, learner):
    mentor = mentor_factory("Europe/London", [])
    assert api_client.get("/api/schedule/availability/").status_code in (401, 403)
    assert as_user(api_client, learner).get("/api/schedule/availability/").status_code == 403
    client = as_user(api_client, mentor)
    body = client.get("/api/schedule/availability/").json()
    assert body["time_zone"] == "Europe/London" and body["weekly"] == [] and body["settings"]["slot_lengths"] == [60]
    week = {
        "weekly": [
            {"weekday": 0, "start": "09:00", "end": "12:00"},
            {"weekday": 0, "start": "13:00", "end": "17:00"},
            {"weekday": 6, "start": "20:00", "end": "00:00"},
        ],
        "settings": {
            "min_notice_minutes": 120,
            "horizon_days": 45,
            "buffer_minutes": 5,
            "slot_lengths": [30, 60],
            "slot_step_minutes": 30,
        },
    }
    saved = client.put("/api/schedule/availability/", week, format="json")
    assert saved.status_code == 200, saved.json()
    assert len(saved.json()["weekly"]) == 3 and saved.json()["settings"]["horizon_days"] == 45
    # an overlap is refused and nothing changes, settings included
    bad = {
        "weekly": [{"weekday": 2, "start": "09:00", "end": "12:00"}, {"weekday": 2, "start": "11:00", "end": "13:00"}],
        "settings": {**week["settings"], "horizon_days": 10},
    }
    refused = client.put("/api/schedule/availability/", bad, format="json")
    assert refused.status_code == 400 and "day2" in refused.json()["errors"]
    assert client.get("/api/schedule/availability/").json()["settings"]["horizon_days"] == 45
    assert (
        client.put(
            "/api/schedule/availability/", {"settings": {**week["settings"], "slot_lengths": []}}, format="json"
        ).status_code
        == 400
    )
    # overrides
    day = (datetime.now(UTC) + timedelta(days=5)).date().isoformat()
    off = client.post("/api/schedule/overrides/", {"date": day, "kind": "unavailable"}, format="json")
    assert off.status_code == 201 and off.json()["start"] is None
    extra = client.post(
        "/api/schedule/overrides/", {"date": day, "kind": "available", "start": "19:00", "end": "21:00"}, format="json"
    )
    assert extra.status_code == 201
    missing = client.post("/api/schedule/overrides/", {"date": day, "kind": "available"}, format="json")
    assert missing.status_code == 400 and "start_time" in missing.json()["errors"]
    assert len(client.get("/api/schedule/availability/").json()["overrides"]) == 2
    assert as_user(api_client, learner).delete(f"/api/schedule/overrides/{off.json()['id']}/").status_code == 403
    assert as_user(api_client, mentor).delete(f"/api/schedule/overrides/{off.json()['id']}/").status_code == 204
    assert len(as_user(api_client, mentor).get("/api/schedule/availability/").json()["overrides"]) == 1


def test_bad_input_is_a_4xx_never_a_crash(api_client, mentor_factory, session_factory, learner):
    """Odd values in every field of the write endpoints and every query parameter."""
    mentor = mentor_factory("UTC")
    session = session_factory(mentor, capacity=2)
    api_client.force_authenticate(mentor)
    bad = [
        None,
        "",
        "x",
        0,
        -1,
        10**12,
        [],
        {},
        "2026-02-31T10:00:00Z",
        "9999-12-31T23:59:59+14:00",
        "0001-01-01T00:00:00Z",
        True,
    ]
    fields = ["title", "start", "duration_minutes", "capacity", "price", "currency", "skills", "description"]
    for f in fields:
        for v in bad:
            body = {
                "title": "T",
                "start": "2030-01-01T10:00:00Z",
                "duration_minutes": 60,
                "capacity": 2,
                "price": "1",
                "currency": "EUR",
                f: v,
            }
            r = api_client.post("/api/sessions/create/", body, format="json")
            assert r.status_code < 500, (f, v, r.content[:300])
    api_client.force_authenticate(learner)
    for v in bad:
        r = api_client.post(f"/api/sessions/{session.pk}/book/", {"anything": v}, format="json")
        assert r.status_code < 500
        for path, body in [
            (f"/api/mentors/{mentor.pk}/book/", {"start": v, "duration_minutes": 60}),
            (f"/api/mentors/{mentor.pk}/book/", {"start": "2030-01-01T10:00:00Z", "duration_minutes": v}),
            ("/api/bookings/1/reschedule/", {"start": v}),
            ("/api/bookings/1/reschedule/", {"session": v}),
        ]:
            r = api_client.post(path, body, format="json")
            assert r.status_code < 500, (path, v, r.content[:300])
        for q in ["from", "to", "length", "tz"]:
            r = api_client.get(f"/api/mentors/{mentor.pk}/availability/", {q: v if v is not None else ""})
            assert r.status_code < 500, (q, v, r.content[:300])
            r = api_client.get("/api/sessions/", {q if q != "tz" else "status": v if v is not None else ""})
            assert r.status_code < 500, (q, v, r.content[:300])
    api_client.force_authenticate(mentor)
    r = api_client.post("/api/sessions/create/", "garbage", content_type="application/json")
    assert r.status_code == 400
    r = api_client.put(
        "/api/schedule/availability/", {"weekly": [{"weekday": 9, "start": "25:00", "end": "x"}]}, format="json"
    )
    assert r.status_code == 400
    r = api_client.put("/api/schedule/availability/", {"weekly": "x", "settings": []}, format="json")
    assert r.status_code == 400
