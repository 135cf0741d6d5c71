"""The domain events plugins are told about reach the log as ``domain.<name>``, with who heard them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from core.analytics.models import Event
from core.analytics.services.events import flush
from core.plugins import DomainEvent, PluginMeta, hookimpl


class Listener:
    """An events plugin registered on the real manager; ``broken`` makes its listener raise."""

    peerlearn_meta = PluginMeta(
        name="Listener", version="1.0", author="Tests", description="Hears domain events", kind="events"
    )

    def __init__(self, broken: bool = False) -> None:
        self.broken = broken
        self.heard: list[str] = []

    @hookimpl
    def peerlearn_event(self, config, event):
        if self.broken:
            raise RuntimeError("listener down")
        self.heard.append(event.name)


@pytest.fixture
def listeners(db):
    """Two listening plugins on a fresh manager: ``good`` and ``broken``."""
    from core.plugins.manager import InstalledPlugin, get_manager, reset_manager

    reset_manager()
    manager = get_manager()
    plugins = {"good": Listener(), "broken": Listener(broken=True)}
    for name, obj in plugins.items():
        record = InstalledPlugin(f"test_{name}", "tests", "tests", "1.0", obj=obj)
        assert manager._register(record) == ""
        manager.plugins[record.name] = record
    yield plugins
    reset_manager()


def domain_events(**filters) -> list[Event]:
    flush()
    return list(Event.objects.filter(name__startswith="domain.", **filters).order_by("id"))


def test_a_booking_logs_the_domain_events_plugins_heard(
    listeners, user_factory, mentor, django_capture_on_commit_callbacks
):
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    learner = user_factory()
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0, second=0)
    with django_capture_on_commit_callbacks(execute=True):
        session = create_session(mentor, title="Free chat", start=start, duration_minutes=30)
        booking = book_session(session, learner)
    events = domain_events(booking_id=booking.pk)
    assert [e.name for e in events] == ["domain.booking.created", "domain.booking.confirmed"]
    assert listeners["good"].heard == ["booking.created", "booking.confirmed"]
    created = events[0]
    assert (created.user_id, created.mentor_id, created.session_id, created.currency) == (
        learner.pk,
        mentor.pk,
        session.pk,
        booking.currency,
    )
    assert created.data["delivered_to"] == ["test_good"]  # the broken listener failed: not delivered
    payload = created.data["payload"]
    assert (payload["learner_id"], payload["status"], payload["starts_at"]) == (
        learner.pk,
        "confirmed",
        booking.starts_at.isoformat(),
    )
    # The core's own facts are logged once under their plain names: the domain copies never double them.
    flush()
    assert Event.objects.filter(name="booking.created", booking_id=booking.pk).count() == 1


def test_any_payload_is_stored_as_json_and_odd_ids_stay_in_the_payload(db, django_capture_on_commit_callbacks):
    from core.plugins.manager import get_manager

    at = timezone.now()
    payload = {"review_id": 3, "booking_id": "B-7", "rating": Decimal("4.5"), "at": at, "tags": ("a", "b")}
    with django_capture_on_commit_callbacks(execute=True):
        get_manager().emit(DomainEvent(name="feedback.given", occurred_at=at, site_id=None, payload=payload))
    (event,) = domain_events()
    assert (event.name, event.occurred_at, event.booking_id) == ("domain.feedback.given", at, None)
    assert event.data == {
        "payload": {"review_id": 3, "booking_id": "B-7", "rating": "4.5", "at": at.isoformat(), "tags": ["a", "b"]},
        "delivered_to": [],
    }


def test_an_event_of_a_rolled_back_transaction_is_never_logged(db, django_capture_on_commit_callbacks):
    from core.plugins.manager import get_manager

    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            get_manager().emit(DomainEvent(name="user.signed_up", occurred_at=timezone.now(), payload={"user_id": 1}))
            raise RuntimeError("the sign-up failed")
    assert domain_events() == []


def test_the_log_still_hears_the_event_when_calling_plugins_fails(db, monkeypatch, django_capture_on_commit_callbacks):
    from core.plugins.manager import get_manager

    manager = get_manager()

    def down(*args, **kwargs):
        raise RuntimeError("the plugin configuration cannot be read")

    monkeypatch.setattr(manager, "call", down)
    event = DomainEvent(name="payment.failed", occurred_at=timezone.now(), payload={"payment_id": 9})
    with django_capture_on_commit_callbacks() as delivery:
        manager.emit(event)
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        delivery[0]()  # the commit's callback: the failure still surfaces, after the signal went out
    (logged,) = domain_events()
    assert logged.name == "domain.payment.failed" and logged.data["delivered_to"] == []
