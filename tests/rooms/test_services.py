"""Room rules without a socket: protocol validation, rate limiting, windows, attendance, no-shows, backends."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from core.rooms import protocol, services
from core.rooms.models import Attendance
from core.rooms.ratelimit import TokenBucket
from core.scheduling.models import Booking, Session

# --- protocol -----------------------------------------------------------------------------

PEER = "abcdefgh12345678"


@pytest.mark.parametrize(
    "message",
    [
        {"type": "join", "audio": True, "video": False},
        {"type": "leave"},
        {"type": "offer", "to": PEER, "sdp": "v=0\r\n"},
        {"type": "offer", "to": PEER, "sdp": "v=0\r\n", "ice_restart": True},
        {"type": "answer", "to": PEER, "sdp": "v=0\r\n"},
        {"type": "ice", "to": PEER, "candidate": None},
        {"type": "ice", "to": PEER, "candidate": {"candidate": "candidate:1 1 udp 1 127.0.0.1 9 typ host"}},
        {
            "type": "ice",
            "to": PEER,
            "candidate": {"candidate": "", "sdpMid": None, "sdpMLineIndex": None, "usernameFragment": "u"},
        },
        {"type": "chat", "text": "héllo ✓"},
        {"type": "mute", "audio": False, "video": True},
        {"type": "screen", "active": False},
        {"type": "end"},
        {"type": "ping"},
    ],
)
def test_every_message_type_has_a_schema_that_accepts_its_documented_form(message):
    assert protocol.parse(json.dumps(message)) == message


@pytest.mark.parametrize(
    ("frame", "code", "field"),
    [
        ("", "malformed", None),
        ("null", "malformed", None),
        ('"join"', "malformed", None),
        ('{"type": 3}', "invalid", "type"),
        ('{"type": "JOIN"}', "unknown_type", "type"),
        ('{"type": "join", "audio": true}', "invalid", "video"),
        ('{"type": "offer", "to": "short", "sdp": "x"}', "invalid", "to"),
        ('{"type": "offer", "to": "abcdefgh12345678", "sdp": ""}', "invalid", "sdp"),
        ('{"type": "ice", "to": "abcdefgh12345678", "candidate": {"sdpMid": "0"}}', "invalid", "candidate"),
        (
            '{"type": "ice", "to": "abcdefgh12345678", "candidate": {"candidate": "x", "evil": 1}}',
            "invalid",
            "candidate",
        ),
        ('{"type": "chat", "text": "' + "x" * 2001 + '"}', "invalid", "text"),
        ('{"type": "screen", "active": 1}', "invalid", "active"),
        ('{"type": "end", "now": true}', "invalid", "now"),
        ("[" * 100_000, "too_large", None),
    ],
)
def test_bad_frames_are_refused_with_a_code_and_the_field(frame, code, field):
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.parse(frame)
    assert caught.value.code == code
    assert caught.value.field == field
    assert caught.value.message


def test_the_size_limit_counts_bytes_not_characters():
    text = json.dumps({"type": "chat", "text": "€" * 1900})  # 3 bytes each: under the limit
    assert protocol.parse(text)["type"] == "chat"
    over = json.dumps({"type": "offer", "to": PEER, "sdp": "€" * 22_000}, ensure_ascii=False)
    assert len(over) < protocol.MAX_MESSAGE_BYTES < len(over.encode())
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.parse(over)
    assert caught.value.code == "too_large"
    with pytest.raises(protocol.ProtocolError) as caught:
        protocol.parse(None, b"\x00")
    assert caught.value.code == "binary_not_supported"


def test_token_bucket_allows_a_burst_then_the_rate():
    now = [0.0]
    bucket = TokenBucket(rate=10, burst=5, clock=lambda: now[0])
    assert [bucket.take() for _ in range(6)] == [True] * 5 + [False]
    assert bucket.retry_after() == pytest.approx(0.1)
    now[0] += 0.25  # 2.5 tokens back
    assert [bucket.take() for _ in range(3)] == [True, True, False]
    now[0] += 100
    assert sum(bucket.take() for _ in range(10)) == 5, "never more than the burst"


# --- who, when -------------------------------------------------------------------------------


def test_access_depends_on_role_booking_and_the_window(world_factory):
    now = datetime.now(UTC).replace(microsecond=0)
    world = world_factory(start=now + timedelta(hours=1), now=now)
    session = world.session
    opens, closes = services.room_window(session)
    assert (opens, closes) == (session.starts_at - timedelta(minutes=10), session.starts_at + timedelta(minutes=30))
    assert services.check_access(world.mentor, session.pk, now=opens).role == "mentor"
    access = services.check_access(world.learner, session.pk, now=opens)
    assert access.role == "learner" and access.booking.status == Booking.CONFIRMED
    for user, code in [(world.stranger, 4403), (world.cancelled, 4403)]:
        with pytest.raises(services.RoomRefused) as caught:
            services.check_access(user, session.pk, now=opens)
        assert caught.value.code == code
    with pytest.raises(services.RoomRefused) as caught:
        services.check_access(world.mentor, session.pk, now=opens - timedelta(seconds=1))
    assert (caught.value.code, caught.value.reason, caught.value.http_status) == (4425, "too_early", 425)
    with pytest.raises(services.RoomRefused) as caught:
        services.check_access(world.learner, session.pk, now=closes + timedelta(seconds=1))
    assert caught.value.reason == "window_passed"
    # Once started, the room stays open past the start window until the session ends.
    Session.objects.filter(pk=session.pk).update(status=Session.IN_PROGRESS)
    assert services.check_access(world.learner, session.pk, now=closes + timedelta(hours=2)).role == "learner"


# --- attendance and ending ------------------------------------------------------------------


def test_attendance_summary_counts_overlapping_stays_once(world_factory):
    now = datetime.now(UTC).replace(microsecond=0)
    world = world_factory(start=now - timedelta(minutes=20), now=now - timedelta(hours=2))
    session = world.session
    t0 = session.starts_at
    grant = services.SocketGrant(session.pk, world.learner.pk, "learner", "Leo Learner", 4, None)
    mentor_grant = services.SocketGrant(session.pk, world.mentor.pk, "mentor", "Maya Mentor", 4, None)
    services.join_room(mentor_grant, peer_id="mentor-stay-0001", now=t0)
    assert Session.objects.get(pk=session.pk).status == Session.IN_PROGRESS
    services.join_room(grant, peer_id="learner-stay-001", now=t0 + timedelta(minutes=1))
    services.leave_room("learner-stay-001", Attendance.DISCONNECTED, now=t0 + timedelta(minutes=5))
    services.touch("mentor-stay-0001", now=t0 + timedelta(minutes=5))  # its keep-alive ping
    services.join_room(grant, peer_id="learner-stay-002", now=t0 + timedelta(minutes=6))
    for peer_id in ("learner-stay-002", "mentor-stay-0001"):  # their keep-alive pings
        services.touch(peer_id, now=t0 + timedelta(minutes=7, seconds=30))
    # A second tab: it replaces the first stay.
    result = services.join_room(grant, peer_id="learner-stay-003", now=t0 + timedelta(minutes=8))
    assert result.replaced == ["learner-stay-002"]
    assert [p["peer_id"] for p in result.peers] == ["mentor-stay-0001"]
    services.leave_room("learner-stay-003", Attendance.LEFT, now=t0 + timedelta(minutes=12))

    session.refresh_from_db()
    people = {p.user_id: p for p in services.attendance_summary(session, now=t0 + timedelta(minutes=15))}
    learner = people[world.learner.pk]
    assert (learner.stays, learner.seconds, learner.present) == (3, (4 + 6) * 60, False)
    assert learner.first_joined_at == t0 + timedelta(minutes=1)
    assert learner.last_left_at == t0 + timedelta(minutes=12)
    assert people[world.mentor.pk].present and people[world.mentor.pk].seconds == 15 * 60
    assert services.attended(session, world.learner) and not services.attended(session, world.learner2)
    assert [b.learner_id for b in services.absent_learners(session)] == [world.learner2.pk]


def test_ending_marks_learners_who_never_came_absent_once_the_grace_time_passed(world_factory):
    now = datetime.now(UTC).replace(microsecond=0)
    world = world_factory(start=now - timedelta(minutes=20), now=now - timedelta(hours=2))
    session = world.session
    mentor_grant = services.SocketGrant(session.pk, world.mentor.pk, "mentor", "Maya Mentor", 4, None)
    learner_grant = services.SocketGrant(session.pk, world.learner.pk, "learner", "Leo Learner", 4, None)
    services.join_room(mentor_grant, peer_id="mentor-stay-0001", now=now - timedelta(minutes=19))
    services.join_room(learner_grant, peer_id="learner-stay-001", now=now - timedelta(minutes=18))
    with pytest.raises(services.RoomRefused):
        services.end_room(session.pk, world.learner, now=now)
    ended = services.end_room(session.pk, world.mentor, now=now)
    assert ended.status == Session.COMPLETED
    statuses = dict(Booking.objects.filter(session=session).values_list("learner_id", "status"))
    assert statuses[world.learner.pk] == Booking.COMPLETED
    assert statuses[world.learner2.pk] == Booking.NO_SHOW
    assert not Attendance.objects.open().filter(session=session).exists()
    assert set(Attendance.objects.values_list("leave_reason", flat=True)) == {Attendance.ENDED}
    with pytest.raises(services.RoomRefused) as caught:
        services.end_room(session.pk, world.mentor, now=now)
    assert caught.value.reason == "not_in_progress"


def test_a_stay_left_open_by_a_dead_server_stops_holding_a_place(world_factory, configure_plugin):
    now = datetime.now(UTC).replace(microsecond=0)
    world = world_factory(start=now, now=now - timedelta(hours=2))
    configure_plugin("video_p2p", max_participants=2)  # lowered after the session was published
    session = world.session
    grant = services.SocketGrant(session.pk, world.mentor.pk, "mentor", "Maya", 2, None)
    learner = services.SocketGrant(session.pk, world.learner.pk, "learner", "Leo", 2, None)
    other = services.SocketGrant(session.pk, world.learner2.pk, "learner", "Lina", 2, None)
    services.join_room(grant, peer_id="mentor-stay-0001", now=now)
    services.join_room(learner, peer_id="learner-stay-001", now=now)
    with pytest.raises(services.RoomRefused) as caught:
        services.join_room(other, peer_id="learner-stay-002", now=now + timedelta(seconds=30))
    assert caught.value.code == 4409
    services.touch("mentor-stay-0001", now=now + timedelta(minutes=3))
    services.join_room(other, peer_id="learner-stay-002", now=now + timedelta(minutes=3))
    stale = Attendance.objects.get(peer_id="learner-stay-001")
    assert (stale.leave_reason, stale.left_at) == (Attendance.STALE, now)


def test_chat_text_is_cleaned_and_history_needs_a_seat(world):
    line = services.post_chat(world.session.pk, world.learner, "\u202e hi\x00 there \n")
    assert line.text == "hi there" and line.author_name == "Leo Learner"
    with pytest.raises(services.ChatRefused):
        services.post_chat(world.session.pk, world.learner, " \u200b\u200b ")
    assert services.can_read_history(world.session, world.mentor)
    assert services.can_read_history(world.session, world.learner)
    assert not services.can_read_history(world.session, world.stranger)
    assert not services.can_read_history(world.session, world.cancelled)


# --- backends ------------------------------------------------------------------------------------


def test_the_default_backend_is_the_p2p_mesh(world):
    access = services.check_access(world.learner, world.session.pk)
    chosen = services.choose_backend(access, None)
    assert chosen.plugin == "video_p2p" and chosen.backend.identifier == "p2p"
    assert chosen.room.signalling_path == f"/ws/session/{world.session.pk}/"
    assert chosen.uses_core_signalling and chosen.max_participants == 4


def test_the_site_setting_picks_a_backend_and_a_failing_one_falls_back(world, video_plugins, configure_plugin):
    from core.plugins.models import PluginError
    from core.rooms.models import RoomSettings
    from tests.plugins.video.conftest import default_site

    site = default_site()
    for name in ("test_video_sfu", "test_video_broken", "test_video_garbage"):
        configure_plugin(name)
    access = services.check_access(world.learner, world.session.pk)
    settings = RoomSettings.for_site(site)
    settings.video_backend = "test-sfu"
    settings.save()
    chosen = services.choose_backend(access, site)
    assert chosen.backend.identifier == "test-sfu" and not chosen.uses_core_signalling
    assert chosen.room.page_config == {"token": f"user-{world.learner.pk}-learner"}
    with pytest.raises(services.RoomRefused) as caught:
        services.grant_socket(world.learner, world.session.pk, "localhost")
    assert caught.value.code == services.CLOSE_BAD_BACKEND

    settings.video_backend = "test-broken"
    settings.save()
    chosen = services.choose_backend(access, site)
    assert chosen.backend.identifier == "p2p", "a backend that raises is skipped"
    assert PluginError.objects.filter(plugin="test_video_broken", hook="room_for").exists()
    assert PluginError.objects.filter(plugin="test_video_garbage", kind="bad_result").exists()

    configure_plugin("video_p2p", enabled=False)
    configure_plugin("test_video_sfu", enabled=False)
    assert services.choose_backend(access, site) is None
    with pytest.raises(services.RoomRefused) as caught:
        services.grant_socket(world.learner, world.session.pk, "localhost")
    assert caught.value.code == services.CLOSE_UNAVAILABLE


def test_the_room_demo_books_a_session_whose_room_is_open(user_factory):
    from django.core.management import call_command

    mentor = user_factory(is_mentor=True, email="m@demo.test")
    learner = user_factory(email="l@demo.test")
    from io import StringIO

    out = StringIO()
    call_command("room_demo", mentor="m@demo.test", learner="l@demo.test", stdout=out)
    session = Session.objects.get(title="Try the video room")
    assert f"/sessions/{session.pk}/room/" in out.getvalue()
    assert services.check_access(learner, session.pk).role == "learner"
    assert services.check_access(mentor, session.pk).role == "mentor"
    call_command("room_demo", mentor="m@demo.test", learner="l@demo.test", stdout=StringIO())
    assert Session.objects.filter(title="Try the video room").count() == 1, "reused while open"


def test_the_sweep_marks_learners_who_never_joined_absent_instead_of_completed(world_factory):
    from core.scheduling.services.sessions import sweep_sessions

    now = datetime.now(UTC).replace(microsecond=0)
    world = world_factory(start=now - timedelta(minutes=20), now=now - timedelta(hours=2))
    session = world.session
    t0 = session.starts_at
    mentor_grant = services.SocketGrant(session.pk, world.mentor.pk, "mentor", "Maya Mentor", 4, None)
    grant = services.SocketGrant(session.pk, world.learner.pk, "learner", "Leo Learner", 4, None)
    services.join_room(mentor_grant, peer_id="mentor-stay-0009", now=t0)
    services.join_room(grant, peer_id="learner-stay-009", now=t0 + timedelta(minutes=2))
    # Nobody presses "end": the sweep ends the session after the room closes.
    counts = sweep_sessions(now=session.ends_at + timedelta(hours=3))
    assert counts["ended"] == 1
    statuses = dict(Booking.objects.filter(session=session).values_list("learner_id", "status"))
    assert statuses[world.learner.pk] == Booking.COMPLETED
    assert statuses[world.learner2.pk] == Booking.NO_SHOW
