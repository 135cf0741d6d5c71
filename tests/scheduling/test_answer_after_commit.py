"""A booking's answer is built before its commit: a database lost just after it cannot hide the seat.

The fault test (tests/faults/test_postgres_restart.py) found a learner told
"try again" (503) for a booking that had been made: the answer read the mentor
after the commit, while PostgreSQL was restarting. Here every query after the
commit fails like a lost connection, and the learner must still get 201.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import OperationalError, connection

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
