"""The same races on the embedded default: SQLite serialises writers (``BEGIN IMMEDIATE``).

pytest-django's SQLite test database lives in shared-cache memory, where SQLite
answers "table is locked" at once instead of waiting; a site runs on a file. So
the migrated test database is copied into a file and the racing threads open
their connections on that file, exactly as the embedded site does.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections

from core.scheduling.services import bookings as svc

from .test_concurrency import race

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def on_a_file(tmp_path):
    """Copy the test database into a file; connections opened from now on use it."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only (PostgreSQL races are in test_concurrency.py)")

    def switch():
        connection.ensure_connection()
        path = tmp_path / "race.sqlite3"
        target = sqlite3.connect(path)
        connection.connection.backup(target)
        target.close()
        settings = connections.settings["default"]
        saved = settings["NAME"]
        settings["NAME"] = str(path)
        return path, saved

    state = {}

    def start():
        state["path"], state["saved"] = switch()
        return state["path"]

    yield start
    if "saved" in state:
        connections.settings["default"]["NAME"] = state["saved"]


def _count(path, sql: str, *params) -> int:
    with sqlite3.connect(path) as db:
        return db.execute(sql, params).fetchone()[0]


def test_sqlite_group_session_fills_to_capacity_exactly(on_a_file, mentor_factory, user_factory, session_factory):
    session = session_factory(mentor_factory(), capacity=3)
    learners = [user_factory() for _ in range(10)]
    path = on_a_file()
    results, conflicts, errors = race([lambda u=u: svc.book_session(session, u) for u in learners])
    assert errors == []
    assert len(results) == 3 and set(conflicts) == {"no_seat"}
    active = (
        "SELECT count(*) FROM scheduling_booking WHERE session_id = ? AND status IN ('pending_payment', 'confirmed')"
    )
    assert _count(path, active, session.pk) == 3


def test_sqlite_one_slot_one_winner(on_a_file, mentor_factory, user_factory):
    mentor = mentor_factory("UTC", lengths=[60], step=30)
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    learners = [user_factory() for _ in range(8)]
    path = on_a_file()
    jobs = [
        lambda u=u, i=i: svc.book_slot(mentor, u, start + timedelta(minutes=30 * (i % 2)), 60)
        for i, u in enumerate(learners)
    ]
    results, conflicts, errors = race(jobs)
    assert errors == []
    assert len(results) == 1 and set(conflicts) == {"slot_taken"}
    sessions = "SELECT count(*) FROM scheduling_session WHERE mentor_id = ? AND status = 'scheduled'"
    assert _count(path, sessions, mentor.pk) == 1
