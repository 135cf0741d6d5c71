"""``room_left``: every closed stay is announced once, after commit, whichever path closed it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.rooms import services
from core.rooms.models import Attendance
from core.rooms.signals import room_left


@pytest.fixture
def heard():
    """(peer id, reason, left_at, seconds) of each stay ``room_left`` announced, in order."""
    stays: list[tuple[str, str, datetime, int]] = []

    def listen(sender, attendance, **kwargs):
        assert sender is Attendance
        stays.append((attendance.peer_id, attendance.leave_reason, attendance.left_at, attendance.seconds()))

    room_left.connect(listen, dispatch_uid="test-room-left")
    yield stays
    room_left.disconnect(dispatch_uid="test-room-left")


def grants(world):
    mentor = services.SocketGrant(world.session.pk, world.mentor.pk, "mentor", "Maya Mentor", 4, None)
    learner = services.SocketGrant(world.session.pk, world.learner.pk, "learner", "Leo Learner", 4, None)
    other = services.SocketGrant(world.session.pk, world.learner2.pk, "learner", "Lina Learner", 4, None)
    return mentor, learner, other


def test_leaving_replacing_and_ending_each_announce_the_stay_once(
    world_factory, heard, django_capture_on_commit_callbacks
):
    now = datetime.now(UTC).replace(microsecond=0)
    world = world_factory(start=now - timedelta(minutes=20), now=now - timedelta(hours=2))
    t0 = world.session.starts_at
    mentor, learner, other = grants(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.join_room(mentor, peer_id="mentor-stay-0001", now=t0)
        services.join_room(learner, peer_id="learner-stay-001", now=t0 + timedelta(minutes=1))
        assert services.leave_room("learner-stay-001", Attendance.LEFT, now=t0 + timedelta(minutes=4))
        assert not services.leave_room("learner-stay-001", Attendance.DISCONNECTED, now=t0 + timedelta(minutes=5))
        services.touch("mentor-stay-0001", now=t0 + timedelta(minutes=5))  # its keep-alive ping
        services.join_room(learner, peer_id="learner-stay-002", now=t0 + timedelta(minutes=5))
        result = services.join_room(learner, peer_id="learner-stay-003", now=t0 + timedelta(minutes=6))
        services.join_room(other, peer_id="learner-stay-004", now=t0 + timedelta(minutes=6))
    assert result.replaced == ["learner-stay-002"]
    assert heard == [
        ("learner-stay-001", Attendance.LEFT, t0 + timedelta(minutes=4), 180),
        ("learner-stay-002", Attendance.REPLACED, t0 + timedelta(minutes=6), 60),
    ]
    heard.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.end_room(world.session.pk, world.mentor, now=t0 + timedelta(minutes=10))
    assert sorted(heard) == [
        ("learner-stay-003", Attendance.ENDED, t0 + timedelta(minutes=10), 240),
        ("learner-stay-004", Attendance.ENDED, t0 + timedelta(minutes=10), 240),
        ("mentor-stay-0001", Attendance.ENDED, t0 + timedelta(minutes=10), 600),
    ]
    assert not Attendance.objects.open().exists()


def test_a_stale_stay_is_announced_as_left_when_last_seen(world_factory, heard, django_capture_on_commit_callbacks):
    now = datetime.now(UTC).replace(microsecond=0)
    world = world_factory(start=now, now=now - timedelta(hours=2))
    mentor, learner, _ = grants(world)
    with django_capture_on_commit_callbacks(execute=True):
        services.join_room(mentor, peer_id="mentor-stay-0001", now=now)
        services.join_room(learner, peer_id="learner-stay-001", now=now)
        services.touch("learner-stay-001", now=now + timedelta(seconds=40))
        services.touch("mentor-stay-0001", now=now + timedelta(minutes=3))
        services.join_room(mentor, peer_id="mentor-stay-0002", now=now + timedelta(minutes=3))
    assert heard == [
        ("learner-stay-001", Attendance.STALE, now + timedelta(seconds=40), 40),
        ("mentor-stay-0001", Attendance.REPLACED, now + timedelta(minutes=3), 180),
    ]


def test_nothing_is_announced_for_a_join_that_was_refused(world_factory, heard, django_capture_on_commit_callbacks):
    """A full room rolls the join back, the sweep of stale stays with it: no stay closed, none announced."""
    now = datetime.now(UTC).replace(microsecond=0)
    world = world_factory(start=now, now=now - timedelta(hours=2))
    mentor, learner, other = grants(world)
    later = now + timedelta(minutes=2)
    with django_capture_on_commit_callbacks(execute=True):
        for grant, peer_id in ((mentor, "mentor-stay-0001"), (learner, "learner-stay-001"), (other, "other-stay-0001")):
            services.join_room(grant, peer_id=peer_id, now=now)
        services.touch("mentor-stay-0001", now=later)
        services.touch("learner-stay-001", now=later)  # the other learner's socket went quiet: stale by now
        two_seats = services.SocketGrant(world.session.pk, world.learner2.pk, "learner", "Lina Learner", 2, None)
        with pytest.raises(services.RoomRefused) as caught:
            services.join_room(two_seats, peer_id="other-stay-0002", now=later)
    assert caught.value.code == services.CLOSE_FULL
    assert heard == []
    assert Attendance.objects.get(peer_id="other-stay-0001").is_open
