"""The event log: record() waits for the commit, batches within a request, is append-only, prunes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.utils import timezone

from core.analytics.models import AnalyticsSettings, Event, EventImmutableError
from core.analytics.services import events
from core.analytics.services.events import build, flush, pending, prune_events, record


@pytest.fixture(autouse=True)
def _empty_buffer():
    # Drop what earlier tests left buffered (written now, it would land in this test's database).
    with events._lock:
        events._buffer.clear()
        events._later.clear()
    yield
    flush()


@pytest.mark.django_db(transaction=True)
def test_record_waits_for_commit_and_skips_rolled_back_work():
    with transaction.atomic():
        record("search.performed", user_id=7, q="python")
        assert Event.objects.count() == 0, "nothing is written before the commit"
    assert list(Event.objects.values_list("name", "user_id", "data")) == [("search.performed", 7, {"q": "python"})]

    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        record("search.performed", user_id=8)
        raise Boom
    assert Event.objects.count() == 1, "a rolled-back action leaves no event"


@pytest.mark.django_db(transaction=True)
def test_events_of_one_request_are_written_together_when_it_ends(monkeypatch):
    writes = []
    original = Event.objects.bulk_create

    def counting(objs, *args, **kwargs):
        writes.append(len(objs))
        return original(objs, *args, **kwargs)

    monkeypatch.setattr(Event.objects, "bulk_create", counting)
    request_started.send(sender=None)
    for n in range(5):
        record("mentor.viewed", mentor_id=n)
    assert pending() == 5 and Event.objects.count() == 0
    request_finished.send(sender=None)
    assert writes == [5], "one INSERT for the request's five events"
    assert Event.objects.count() == 5 and pending() == 0


@pytest.mark.django_db(transaction=True)
def test_a_full_buffer_is_written_at_once():
    events.enter_scope()
    try:
        for n in range(events.BATCH_SIZE):
            record("mentor.viewed", mentor_id=n)
        assert Event.objects.count() == events.BATCH_SIZE
        assert pending() == 0
    finally:
        events.leave_scope()


def test_columns_and_data_are_split_and_bad_names_refused():
    event = build("booking.created", user_id=3, skill_ids=[5, 2, 5], currency="eur", amount_minor=1250, lead_hours=30)
    assert (event.user_id, event.skill_ids, event.currency, event.amount_minor) == (3, [2, 5], "EUR", 1250)
    assert event.data == {"lead_hours": 30}
    for bad in ("Booking", "booking", "booking created", "booking.Created", ""):
        with pytest.raises(ValueError):
            build(bad)


@pytest.mark.django_db
def test_a_bad_event_never_raises_into_the_caller(caplog):
    record("Not A Name")  # logged, dropped
    assert "refused" in caplog.text


@pytest.mark.django_db
def test_events_are_append_only(log_event):
    event = log_event("search.performed", timezone.now())
    event.data = {"q": "changed"}
    with pytest.raises(EventImmutableError):
        event.save()
    with pytest.raises(EventImmutableError):
        event.delete()
    with pytest.raises(EventImmutableError):
        Event.objects.filter(pk=event.pk).update(name="x.y")
    with pytest.raises(EventImmutableError):
        Event.objects.all().delete()


@pytest.mark.django_db
def test_retention_prunes_behaviour_events_and_keeps_business_ones(log_event):
    now = timezone.now()
    conf = AnalyticsSettings.load()
    conf.retention_days = 30
    conf.save()
    old_search = log_event("search.performed", now - timedelta(days=31))
    recent_search = log_event("search.performed", now - timedelta(days=29))
    old_booking = log_event("booking.created", now - timedelta(days=400))
    assert prune_events(now) == {"behaviour": 1, "business": 0}
    assert set(Event.objects.values_list("pk", flat=True)) == {recent_search.pk, old_booking.pk}
    assert not Event.objects.filter(pk=old_search.pk).exists()

    conf.business_retention_days = 365
    conf.save()
    assert prune_events(now) == {"behaviour": 0, "business": 1}
    assert list(Event.objects.values_list("pk", flat=True)) == [recent_search.pk]


@pytest.mark.realstack
@pytest.mark.django_db
def test_the_once_per_booking_lookup_reads_the_booking_index_not_every_booking_event():
    """Each booking's flush asks which of its once-only events are logged already: with a year of
    bookings behind it that must stay an index look-up (it was a scan of every booking event)."""
    from django.db import connection

    names = sorted(events.ONCE_PER_BOOKING)
    Event.objects.bulk_create(
        Event(name=names[n % len(names)], booking_id=n // len(names), occurred_at=timezone.now()) for n in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE analytics_event")
    lookup = Event.objects.filter(name__in=names[:2], booking_id__in=[1254]).values_list("name", "booking_id")
    plan = lookup.explain()
    assert "analytics_event_booking" in plan, plan
