"""A booking's answer is built before its commit: a database lost just after it cannot hide the seat.

The fault test (tests/faults/test_postgres_restart.py) found a learner told
"try again" (503) for a booking that had been made: the answer read the mentor
after the commit, while PostgreSQL was restarting. Here every query after the
commit fails like a lost connection, and the learner must still get 201.
"""

from __future__ import annotations

import asyncio
import contextlib
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import OperationalError, connection
from peerlearn.asgi_http import SyncChainASGIHandler

from core.notifications.models import Notification
from core.scheduling.models import Booking
from core.scheduling.signals import booking_transitioned

pytestmark = pytest.mark.django_db(transaction=True)


class ConnectionLost(Exception):
    """What a driver raises when the server has gone (no SQLSTATE)."""


def _lost(execute, sql, params, many, context):
    try:
        raise ConnectionLost("server closed the connection unexpectedly")
    except ConnectionLost as cause:
        raise OperationalError("server closed the connection unexpectedly") from cause


@pytest.fixture
def database_gone_after_commit():
    """From the booking's commit on, every query on this connection fails as if PostgreSQL restarted."""
    stack = contextlib.ExitStack()

    def lose_connection(sender, **kwargs) -> None:
        stack.enter_context(connection.execute_wrapper(_lost))

    booking_transitioned.connect(lose_connection, dispatch_uid="test-lose-connection")
    yield
    booking_transitioned.disconnect(dispatch_uid="test-lose-connection")
    stack.close()


def _as(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def test_a_session_booked_just_before_the_database_goes_answers_201(
    api_client, mentor_factory, session_factory, learner, database_gone_after_commit
):
    session = session_factory(mentor_factory())
    response = _as(api_client, learner).post(f"/api/sessions/{session.pk}/book/")
    assert response.status_code == 201, response.content
    assert response.json()["session"]["mentor"]["id"] == session.mentor_id


def test_a_slot_booked_just_before_the_database_goes_answers_201(
    api_client, mentor_factory, learner, database_gone_after_commit
):
    from datetime import UTC, datetime, timedelta

    mentor = mentor_factory()
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    response = _as(api_client, learner).post(
        f"/api/mentors/{mentor.pk}/book/", {"start": start.isoformat(), "duration_minutes": 60}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == Booking.CONFIRMED


async def _post(handler, url: str, token: str, body: dict, steps: list[str]) -> int:
    """POST through the server-side handler, noting in ``steps`` when the answer's last byte is handed over."""
    data = json.dumps(body).encode()
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "https"}
    scope |= {"path": url, "raw_path": url.encode(), "query_string": b"", "root_path": ""}
    scope |= {
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Token {token}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
        ],
        "server": ("testserver", 443),
        "client": ("127.0.0.1", 1),
    }
    requests = [{"type": "http.request", "body": data, "more_body": False}]
    status = []

    async def receive() -> dict:
        return requests.pop() if requests else await asyncio.Event().wait()

    async def send(message: dict) -> None:
        if message["type"] == "http.response.start":
            status.append(message["status"])
        elif not message.get("more_body"):
            steps.append("answer sent")

    await asyncio.wait_for(handler(scope, receive, send), 10)
    return status[0]


@pytest.mark.asyncio
async def test_a_booking_is_answered_before_anyone_is_told(mentor_factory, session_factory, learner):
    """The learner's 201 is handed to the server first; the notifications are written right after."""
    from django.db.models.signals import post_save
    from rest_framework.authtoken.models import Token

    session = await sync_to_async(session_factory)(await sync_to_async(mentor_factory)())
    token = (await sync_to_async(Token.objects.get_or_create)(user=learner))[0].key
    steps: list[str] = []

    def written(sender, instance, created, **kwargs):
        steps.append(f"notified {instance.kind}")

    post_save.connect(written, sender=Notification, dispatch_uid="test-notified")
    try:
        status = await _post(SyncChainASGIHandler(), f"/api/sessions/{session.pk}/book/", token, {}, steps)
    finally:
        post_save.disconnect(dispatch_uid="test-notified")
    assert status == 201
    assert steps == ["answer sent", "notified booking.confirmed", "notified booking.received"]
