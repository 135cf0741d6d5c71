"""Crafted input found by probing the running site: each is refused with a 4xx and a reason, nothing stored."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, time, timedelta

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

DEEP = "[" * 1000 + "]" * 1000  # 2 KB: past Python's recursion limit when decoded
DEEP_IN_FIELD = '{"email": "a@example.org", "password": ' + DEEP + "}"
LONG_EMAIL = "a" * 296 + "@example.org"  # 308 characters


@pytest.fixture
def people(user_factory):
    from core.scheduling.models import SchedulingProfile, WeeklyRule
    from core.taxonomy.models import Skill

    Skill.objects.create(name="Python", slug="python")
    mentor = user_factory(is_mentor=True, time_zone="UTC")
    SchedulingProfile.objects.create(mentor=mentor, horizon_days=60, slot_lengths=[60], slot_step_minutes=60)
    for day in range(7):
        WeeklyRule.objects.create(mentor=mentor, weekday=day, start_time=time(9), end_time=time(17))
    return {"mentor": mentor, "learner": user_factory()}


def stored() -> dict[str, int]:
    """Rows a refused request must not have added."""
    from core.accounts.models import User
    from core.recommendations.models import RecommendationEvent
    from core.scheduling.models import Booking, Session

    return {
        "users": User.objects.count(),
        "sessions": Session.objects.count(),
        "bookings": Booking.objects.count(),
        "events": RecommendationEvent.objects.count(),
    }


def _session_body(**extra) -> dict:
    start = (datetime.now(UTC) + timedelta(days=3)).replace(minute=0, second=0, microsecond=0)
    return {"title": "Workshop", "start": start.isoformat(), "duration_minutes": 60, "price": "0", **extra}


# (id, who, method, url, body or query, content type); who is None (anonymous), "learner" or "mentor".
CASES = [
    ("login-deep-json", None, "post", "/api/auth/login/", DEEP, "application/json"),
    ("login-deep-field", None, "post", "/api/auth/login/", DEEP_IN_FIELD, "application/json"),
    ("register-deep-json", None, "post", "/api/auth/register/", DEEP, "application/json"),
    (
        "register-308-char-email",
        None,
        "post",
        "/api/auth/register/",
        json.dumps({"email": LONG_EMAIL, "password": "a-Strong-pass-123", "display_name": "Long"}),
        "application/json",
    ),
    (
        "register-nul-in-name",
        None,
        "post",
        "/api/auth/register/",
        json.dumps({"email": "nul@example.org", "password": "a-Strong-pass-123", "display_name": "A\x00B"}),
        "application/json",
    ),
    ("api-mentors-q-nul", "learner", "get", "/api/mentors/", {"q": "py\x00thon"}, None),
    ("api-mentors-skill-nul", "learner", "get", "/api/mentors/", {"skill": "python\x00"}, None),
    ("page-mentors-q-nul", None, "get", "/mentors/", {"q": "py\x00thon"}, None),
    ("page-mentors-skill-nul", None, "get", "/mentors/", {"skill": "python\x00"}, None),
    ("api-free-within-days-superscript", "learner", "get", "/api/mentors/", {"free_within_days": "²"}, None),
    ("api-free-within-days-arabic", "learner", "get", "/api/mentors/", {"free_within_days": "٣"}, None),
    ("page-free-within-days-superscript", None, "get", "/mentors/", {"free_within_days": "²"}, None),
    ("price-suggestion-skills-nul", "mentor", "get", "/api/analytics/price-suggestion/", {"skills": "py\x00"}, None),
    (
        "price-suggestion-duration-superscript",
        "mentor",
        "get",
        "/api/analytics/price-suggestion/",
        {"duration_minutes": "6²"},
        None,
    ),
    ("learning-path-goal-nul", "learner", "get", "/api/analytics/learning-path/", {"goal": "python\x00"}, None),
    (
        "feedback-item-superscript",
        "learner",
        "post",
        "/api/recommendations/feedback/",
        json.dumps({"impression_id": str(uuid.uuid4()), "item": "session:²", "event": "click"}),
        "application/json",
    ),
    (
        "feedback-position-superscript",
        "learner",
        "post",
        "/api/recommendations/feedback/",
        json.dumps({"impression_id": str(uuid.uuid4()), "item": "mentor:1", "event": "click", "position": "²"}),
        "application/json",
    ),
    (
        "session-create-duration-superscript",
        "mentor",
        "post",
        "/api/sessions/create/",
        json.dumps(_session_body(duration_minutes="٦٠")),
        "application/json",
    ),
    (
        "session-create-title-nul",
        "mentor",
        "post",
        "/api/sessions/create/",
        json.dumps(_session_body(title="Work\x00shop")),
        "application/json",
    ),
    (
        "session-create-oversized-json",
        "mentor",
        "post",
        "/api/sessions/create/",
        json.dumps(_session_body(description="x" * (1024 * 1024))),
        "application/json",
    ),
    (
        "session-create-oversized-form",
        "mentor",
        "post",
        "/api/sessions/create/",
        "title=" + "x" * (11 * 1024 * 1024),
        "application/x-www-form-urlencoded",
    ),
    (
        "session-create-too-many-fields",
        "mentor",
        "post",
        "/api/sessions/create/",
        "&".join(f"f{i}=1" for i in range(1100)),
        "application/x-www-form-urlencoded",
    ),
    ("book-page-duration-superscript", "learner", "post", "/mentors/{mentor}/book/", {"duration_minutes": "²"}, None),
]


@pytest.mark.parametrize(
    ("who", "method", "url", "data", "content_type"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_hostile_input_is_refused_with_a_reason_and_nothing_is_stored(people, who, method, url, data, content_type):
    client = Client(raise_request_exception=False)
    if who:
        client.force_login(people[who])
    url = url.format(mentor=people["mentor"].pk)
    before = stored()
    if method == "get":
        response = client.get(url, data)
    elif content_type:
        response = client.post(url, data, content_type=content_type)
    else:
        response = client.post(url, data)
    assert 400 <= response.status_code < 500, (response.status_code, response.content[:300])
    if url.startswith("/api/"):
        assert response["Content-Type"] == "application/json", response.content[:300]
        body = response.json()
        assert body["detail"] and body["code"], body
    else:
        assert b"<html" in response.content
    assert stored() == before


def test_refused_field_is_named(people):
    client = Client()
    client.force_login(people["learner"])
    body = client.get("/api/mentors/", {"q": "py\x00"}).json()
    assert body["errors"] == {"q": ["NUL characters are not accepted."]}
    body = client.get("/api/mentors/", {"free_within_days": "²"}).json()
    assert body["errors"] == {"free_within_days": ["Write numbers with the digits 0-9."]}


def test_oversized_body_is_413_json(people):
    client = Client()
    client.force_login(people["mentor"])
    response = client.post(
        "/api/sessions/create/", "title=" + "x" * (11 * 1024 * 1024), content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    response = client.post("/api/sessions/create/", json.dumps({"title": "x" * (2 * 1024 * 1024)}), "application/json")
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"


def test_text_with_digits_and_unicode_is_still_accepted(people):
    """Only numbers must use 0-9: free text keeps its superscripts, accents and other scripts."""
    client = Client()
    client.force_login(people["mentor"])
    response = client.post(
        "/api/sessions/create/",
        json.dumps(_session_body(title="E = mc² für Anfänger", description="الدرس ٣")),
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["title"] == "E = mc² für Anfänger"


def test_nesting_within_the_limit_is_parsed(people):
    client = Client()
    body = {"email": "nobody@example.org", "password": "wrong-password-1", "extra": [[[[["fine"]]]]]}
    response = client.post("/api/auth/login/", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_credentials"


def test_far_week_on_the_booking_page_is_clamped(people):
    response = Client().get(f"/mentors/{people['mentor'].pk}/book/", {"week": "9999-12-31"})
    assert response.status_code == 200
    last = datetime.now(UTC).date() + timedelta(days=60)
    assert response.context["week_start"] <= last


@pytest.mark.parametrize("week", ["0001-01-01", "2026-02-31", "not-a-date"])
def test_odd_weeks_on_the_booking_page_show_this_week(people, week):
    response = Client().get(f"/mentors/{people['mentor'].pk}/book/", {"week": week})
    assert response.status_code == 200


def test_api_guards_answer_json_outside_drf(client, settings):
    """A refusal raised before any DRF view (a bad Host) is JSON under /api/ too."""
    response = client.get("/api/mentors/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert response.json()["code"] == "bad_request"
