"""Fixtures of the core payment tests: a mentor, a learner, priced bookings, configured gateways."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

# The built-in gateways' harnesses; harness_for, configure_gateway and booking_for come from peerlearn_testing.
from tests.plugins.payments import harnesses  # noqa: F401 (registers them)


@pytest.fixture
def mentor(user_factory):
    return user_factory(is_mentor=True, display_name="Mentor Grace", email="grace@example.org")


@pytest.fixture
def learner(user_factory):
    return user_factory(display_name="Learner Ada", email="ada@example.org")


@pytest.fixture
def staff(user_factory):
    return user_factory(is_staff=True, is_superuser=True, display_name="Editor Eve", email="eve@example.org")


@pytest.fixture
def session_factory(mentor):
    from core.scheduling.services.sessions import create_session

    counter = {"n": 0}

    def make(*, price_minor: int = 4_000, currency: str = "EUR", hours: float = 72, capacity: int = 3, who=None):
        counter["n"] += 1
        start = (datetime.now(UTC) + timedelta(hours=hours + counter["n"] * 2)).replace(second=0, microsecond=0)
        return create_session(
            who or mentor,
            title=f"Data analysis with pandas #{counter['n']}",
            start=start,
            duration_minutes=60,
            capacity=capacity,
            price_minor=price_minor,
            currency=currency,
        )

    return make


@pytest.fixture
def booking_factory(session_factory, learner):
    """A booking waiting for payment (its commission frozen as the signal would)."""
    from core.payments.services.ledger import freeze_commission
    from core.scheduling.services.bookings import book_session

    def make(*, price_minor: int = 4_000, currency: str = "EUR", who=None, hours: float = 72, session=None):
        session = session or session_factory(price_minor=price_minor, currency=currency, hours=hours)
        booking = book_session(session, who or learner)
        freeze_commission(booking)
        return booking

    return make


@pytest.fixture
def stripe(harness_for, configure_gateway):
    harness = harness_for("payment_stripe")
    configure_gateway(harness)
    return harness


@pytest.fixture
def razorpay(harness_for, configure_gateway):
    harness = harness_for("payment_razorpay")
    configure_gateway(harness)
    return harness


@pytest.fixture
def manual(harness_for, configure_gateway):
    harness = harness_for("payment_manual")
    configure_gateway(harness)
    return harness


@pytest.fixture
def deliver(client):
    """POST a signed webhook to /payments/webhooks/<gateway>/ as the gateway would."""

    def post(gateway: str, webhook):
        body, headers = webhook
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
        return client.generic("POST", f"/payments/webhooks/{gateway}/", body, content_type="application/json", **extra)

    return post


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in-process even on the real stack (where a worker would run them)."""
    from peerlearn.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before
