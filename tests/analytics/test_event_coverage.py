"""Every path of the issue's list reaches the log: room leaves, API searches, recommendation feedback over the
API, bulk-created (demo) history through the backfill, and the nightly retention sweep."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from django.conf import settings

from core.analytics.models import AnalyticsSettings, Event
from core.analytics.services.events import flush
from tests.rooms.conftest import make_world


def logged(name: str, **filters) -> list[Event]:
    flush()
    return list(Event.objects.filter(name=name, **filters).order_by("occurred_at", "id"))


# --- rooms --------------------------------------------------------------------------------------


def test_leaving_a_room_is_logged_with_the_time_stayed(user_factory, django_capture_on_commit_callbacks):
    from core.rooms import services
    from core.rooms.models import Attendance

    now = datetime.now(UTC).replace(microsecond=0)
    world = make_world(user_factory, start=now - timedelta(minutes=20), now=now - timedelta(hours=2))
    t0 = world.session.starts_at
    mentor = services.SocketGrant(world.session.pk, world.mentor.pk, "mentor", "Maya Mentor", 4, None)
    learner = services.SocketGrant(world.session.pk, world.learner.pk, "learner", "Leo Learner", 4, None)
    with django_capture_on_commit_callbacks(execute=True):
        services.join_room(mentor, peer_id="mentor-stay-0001", now=t0)
        services.join_room(learner, peer_id="learner-stay-001", now=t0 + timedelta(minutes=1))
        services.leave_room("learner-stay-001", Attendance.DISCONNECTED, now=t0 + timedelta(minutes=3))
        services.end_room(world.session.pk, world.mentor, now=t0 + timedelta(minutes=30))
    left = logged("room.left", session_id=world.session.pk)
    stays = {a.peer_id: a.pk for a in Attendance.objects.all()}
    assert [(e.user_id, e.occurred_at, e.data) for e in left] == [
        (
            world.learner.pk,
            t0 + timedelta(minutes=3),
            {"role": "learner", "reason": "disconnected", "seconds": 120, "attendance_id": stays["learner-stay-001"]},
        ),
        (
            world.mentor.pk,
            t0 + timedelta(minutes=30),
            {"role": "mentor", "reason": "ended", "seconds": 1800, "attendance_id": stays["mentor-stay-0001"]},
        ),
    ]
    assert len(logged("room.joined", session_id=world.session.pk)) == 2


# --- searches over the API ----------------------------------------------------------------------


def test_an_api_search_is_logged_like_the_page_search(
    api_client, client, user_factory, mentor, mentor_page, skills, django_capture_on_commit_callbacks
):
    page = mentor_page(mentor, skills=[skills["python"]], rate=3000)
    visitor = user_factory()
    api_client.force_authenticate(visitor)
    client.force_login(visitor)
    with django_capture_on_commit_callbacks(execute=True):
        found = api_client.get("/api/mentors/", {"q": "grace", "skill": "python", "page": "1"})
        assert found.status_code == 200 and found.json()["count"] == 1
        assert api_client.get("/api/mentors/").status_code == 200  # a listing without a filter is not a search
        refused = api_client.get("/api/mentors/", {"skill": "cobol"})
        assert refused.status_code == 400 and "skill" in refused.json()["errors"]
        assert client.get(page.get_parent().url, {"q": "grace", "skill": "python"}).status_code == 200
    api, site = logged("search.performed")
    assert (api.user_id, api.skill_ids, api.data) == (
        visitor.pk,
        [skills["python"].pk],
        {"q": "grace", "page": "1", "via": "api"},
    )
    assert site.data == {"q": "grace", "page": "1", "via": "site"} and (site.user_id, site.skill_ids) == (
        visitor.pk,
        api.skill_ids,
    )


def test_an_anonymous_api_search_is_logged_without_a_user(api_client, skills, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        assert api_client.get("/api/mentors/", {"skill": "sql"}).status_code == 200
    (search,) = logged("search.performed")
    assert (search.user_id, search.skill_ids, search.data["q"]) == (None, [skills["sql"].pk], "")


# --- recommendation feedback --------------------------------------------------------------------


def test_feedback_over_the_api_is_logged_once_per_impression_and_kind(
    api_client, user_factory, mentor, mentor_page, django_capture_on_commit_callbacks
):
    from core.recommendations.models import RecommendationEvent

    mentor_page(mentor)
    learner = user_factory()
    api_client.force_authenticate(learner)
    impression = str(uuid.uuid4())
    shown = {"impression_id": impression, "item": f"mentor:{mentor.pk}", "event": "impression", "position": 2}
    with django_capture_on_commit_callbacks(execute=True):
        for body in (shown, shown, {**shown, "event": "click"}):  # a replay records nothing new
            assert api_client.post("/api/recommendations/feedback/", body, format="json").status_code in (200, 201)
        bad = {**shown, "event": "purchase"}
        assert api_client.post("/api/recommendations/feedback/", bad, format="json").status_code == 400
    flush()
    rows = Event.objects.filter(name__startswith="recommendation.").order_by("id")
    assert [(e.name, e.user_id, e.data["impression_id"], e.data["position"]) for e in rows] == [
        ("recommendation.impression", learner.pk, impression, 2),
        ("recommendation.click", learner.pk, impression, 2),
    ]
    click = RecommendationEvent.objects.get(kind="click")
    assert rows[1].occurred_at == click.created_at and rows[1].data["surface"] == "api"


# --- bulk-created (demo) history ----------------------------------------------------------------


def test_the_backfill_logs_bulk_created_feedback_and_stays_once_within_retention(
    user_factory, mentor, make_session, make_booking
):
    from core.analytics.services.backfill import backfill
    from core.recommendations.models import RecommendationEvent
    from core.rooms.models import Attendance

    now = datetime.now(UTC).replace(microsecond=0)
    learner = user_factory()
    session = make_session(now - timedelta(days=1))
    make_booking(session, learner, status="completed")
    item = f"mentor:{mentor.pk}"
    RecommendationEvent.objects.bulk_create(  # how the demo seeds browsing history: no signal is sent
        [
            RecommendationEvent(
                user=learner, item=item, kind="view", surface="demo", created_at=now - timedelta(days=3)
            ),
            RecommendationEvent(
                user=learner, item=item, kind="click", surface="demo", created_at=now - timedelta(days=3)
            ),
            RecommendationEvent(
                user=learner, item=item, kind="view", surface="demo", created_at=now - timedelta(days=900)
            ),
        ]
    )
    start = session.starts_at
    Attendance.objects.bulk_create(
        [
            Attendance(
                session=session,
                user=learner,
                role="learner",
                peer_id="a1",
                joined_at=start,
                left_at=start + timedelta(minutes=50),
                leave_reason="left",
            ),
            Attendance(session=session, user=mentor, role="mentor", peer_id="a2", joined_at=start, last_seen=start),
        ]
    )
    written = backfill(now=now)
    assert {k: v for k, v in written.items() if k.startswith(("recommendation.", "room."))} == {
        "recommendation.view": 1,  # the one of 900 days ago is past the 400-day retention: never written back
        "recommendation.click": 1,
        "room.joined": 2,
        "room.left": 1,  # the mentor's stay is still open
    }
    (left,) = logged("room.left")
    assert (left.user_id, left.session_id, left.occurred_at) == (learner.pk, session.pk, start + timedelta(minutes=50))
    assert left.data == {
        "role": "learner",
        "reason": "left",
        "seconds": 3000,
        "attendance_id": Attendance.objects.get(peer_id="a1").pk,
        "via": "backfill",
    }
    (click,) = logged("recommendation.click")
    assert (click.user_id, click.data["item"], click.data["surface"]) == (learner.pk, item, "demo")
    before = Event.objects.count()
    assert not any(k.startswith(("recommendation.", "room.")) for k in backfill(now=now))
    assert Event.objects.count() == before


def test_the_backfill_skips_stays_and_feedback_the_receivers_already_logged(
    user_factory, mentor, make_session, django_capture_on_commit_callbacks
):
    from core.analytics.services.backfill import backfill
    from core.recommendations.models import RecommendationEvent
    from core.rooms.models import Attendance
    from core.rooms.services import leave_room

    learner = user_factory()
    session = make_session(datetime.now(UTC) - timedelta(minutes=30))
    with django_capture_on_commit_callbacks(execute=True):
        Attendance.objects.create(session=session, user=learner, role="learner", peer_id="p1")
        leave_room("p1", "left")
        RecommendationEvent.objects.create(user=learner, item=f"mentor:{mentor.pk}", kind="impression")
    assert len(logged("room.left")) == 1
    written = backfill()
    assert not any(k.startswith(("recommendation.", "room.")) for k in written)


# --- retention ----------------------------------------------------------------------------------


def test_the_nightly_beat_task_prunes_behaviour_and_domain_events_past_retention(log_event):
    from core.analytics.tasks import prune_events

    schedule = settings.CELERY_BEAT_SCHEDULE["analytics-prune-events"]
    assert schedule == {"task": "core.analytics.tasks.prune_events", "schedule": 24 * 3600}
    conf = AnalyticsSettings.load()
    conf.retention_days = 30
    conf.save()
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=31), now - timedelta(days=29)
    for name in ("room.left", "search.performed", "domain.booking.created", "booking.created"):
        log_event(name, old)
        log_event(name, recent)
    result = prune_events.apply().get()  # run here, as the worker would (the real stack has no worker in tests)
    assert result == {"behaviour": 3, "business": 0}
    kept = sorted(Event.objects.values_list("name", "occurred_at"))
    assert kept == sorted(
        [("booking.created", old)]
        + [(name, recent) for name in ("room.left", "search.performed", "domain.booking.created", "booking.created")]
    )
