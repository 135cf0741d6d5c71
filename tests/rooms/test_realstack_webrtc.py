"""Two real WebRTC peers (aiortc) meet in a room through real ASGI servers on the Redis channel layer.

The mentor's signalling goes through one daphne process and the learner's
through another: the room works because both share Redis (pub/sub layer) and
PostgreSQL. The peers run in a network namespace of their own (see
aiortc_peers.py) and must receive each other's audio and video frames, before
and after the learner's socket is dropped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection

from core.rooms.models import Attendance, ChatMessage
from core.scheduling.models import Session

from .conftest import make_world
from .servers import ROOT, can_unshare, daphne, in_namespace, server_env, tail

pytestmark = pytest.mark.realstack

MIN_VIDEO_FRAMES = 30  # 3 s of aiortc's 30 fps test pattern, with room to spare
MIN_AUDIO_FRAMES = 50  # 20 ms frames


def test_mentor_and_learner_exchange_media_across_two_servers_and_survive_a_dropped_socket(
    transactional_db, user_factory, tmp_path
):
    reason = can_unshare()
    if reason:
        pytest.skip(reason)
    world = make_world(user_factory, capacity=1)
    env = server_env(connection.settings_dict["NAME"])
    mentor_socket, learner_socket = str(tmp_path / "a.sock"), str(tmp_path / "b.sock")
    with daphne(mentor_socket, env) as server_a, daphne(learner_socket, env) as server_b:
        peers = subprocess.run(
            in_namespace(
                [
                    sys.executable,
                    "-m",
                    "tests.rooms.aiortc_peers",
                    "--session",
                    str(world.session.pk),
                    "--mentor-socket",
                    mentor_socket,
                    "--learner-socket",
                    learner_socket,
                    "--mentor-cookie",
                    world.cookies[world.mentor.pk],
                    "--learner-cookie",
                    world.cookies[world.learner.pk],
                ]
            ),
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=150,
        )
    logs = f"server A:\n{tail(server_a.log_path)}\nserver B:\n{tail(server_b.log_path)}"
    assert peers.returncode == 0, peers.stderr[-4000:] + logs
    report = json.loads(peers.stdout.strip().splitlines()[-1])
    first, second = report["phase1"], report["phase2"]

    assert first["session_status_seen_by_mentor"] == Session.IN_PROGRESS
    assert first["candidates_trickled"] >= 2
    for who in ("mentor_received", "learner_received"):
        assert first[who]["video"] >= MIN_VIDEO_FRAMES, report
        assert first[who]["audio"] >= MIN_AUDIO_FRAMES, report
    assert second["leave_reason"] == "disconnected"
    assert second["new_peer_differs"]
    for who in ("mentor_received", "learner_received"):
        assert second[who]["video"] >= MIN_VIDEO_FRAMES, report
        assert second[who]["audio"] >= MIN_AUDIO_FRAMES, report
    assert second["last_leave_reason"] == "left"
    assert report["end"]["status"] == Session.COMPLETED

    session = Session.objects.get(pk=world.session.pk)
    assert session.status == Session.COMPLETED
    stays = list(Attendance.objects.filter(session=session).order_by("joined_at"))
    assert [(s.user_id, s.leave_reason) for s in stays] == [
        (world.mentor.pk, Attendance.ENDED),
        (world.learner.pk, Attendance.DISCONNECTED),
        (world.learner.pk, Attendance.LEFT),
    ]
    assert not ChatMessage.objects.filter(session=session).exists()
