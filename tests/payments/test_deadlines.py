"""One payment deadline, dated, the same on every page and message; no hold once paid; checkout manners."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import dateformat, timezone

from core.payments.errors import PaymentConflict
from core.payments.services import checkout
from core.scheduling.models import Booking

pytestmark = pytest.mark.django_db


def _shown(value: datetime, zone: str = "UTC") -> str:
    import zoneinfo

    return dateformat.format(timezone.localtime(value, zoneinfo.ZoneInfo(zone)), "D j M, H:i")


def test_payment_cannot_start_on_a_lapsed_hold(manual, booking_factory):
    booking = booking_factory()
    Booking.objects.filter(pk=booking.pk).update(hold_expires_at=datetime.now(UTC) - timedelta(minutes=1))
    with pytest.raises(PaymentConflict) as caught:
        checkout.start_payment(booking, "manual", user=booking.learner)
    assert caught.value.code == "hold_expired"
    assert Booking.objects.get(pk=booking.pk).status == Booking.EXPIRED


def test_the_transfer_deadline_is_the_one_deadline_everywhere(
    manual, booking_factory, client, django_capture_on_commit_callbacks
):
    from core.notifications.models import Notification

    booking = booking_factory(hours=200)
    client.force_login(booking.learner)
    with django_capture_on_commit_callbacks(execute=True):
        pay = client.get(f"/payments/checkout/{booking.pk}/manual/").content.decode()
    booking.refresh_from_db()
    deadline = _shown(booking.hold_expires_at)
    assert booking.hold_expires_at > datetime.now(UTC) + timedelta(hours=24)  # the transfer's hold, not the card's
    assert re.search(r"held until <time[^>]*>" + re.escape(deadline), pay)
    page = client.get(f"/schedule/bookings/{booking.pk}/").content.decode()
    assert re.search(r"held until <time[^>]*>" + re.escape(deadline), page)
    again = client.get(f"/payments/checkout/{booking.pk}/").content.decode()
    assert deadline in again
    note = Notification.objects.filter(user=booking.learner, kind="booking.hold_extended").get()
    assert deadline in note.title and deadline in note.body


def test_a_paid_booking_shows_no_hold(manual, booking_factory, client):
    from core.scheduling.services.bookings import confirm_booking

    booking = booking_factory()
    confirm_booking(booking)
    client.force_login(booking.learner)
    for url in (f"/payments/checkout/{booking.pk}/result/", f"/schedule/bookings/{booking.pk}/"):
        html = client.get(url, follow=True).content.decode()
        assert "held until" not in html and "Confirmed" in html


def test_a_gateway_error_is_said_once_and_the_choice_kept(
    harness_for, configure_gateway, manual, booking_factory, client
):
    configure_gateway(harness_for("payment_stripe"), outage=True)
    booking = booking_factory()
    client.force_login(booking.learner)
    page = client.get(f"/payments/checkout/{booking.pk}/stripe/")
    html = page.content.decode()
    assert page.status_code == 502
    assert html.count("could not be reached") == 1
    assert re.search(r'value="stripe"\s+checked', html)
    assert not re.search(r'value="manual"\s+checked', html)


def test_a_slot_booking_names_its_mentor_once(manual, mentor, learner, client, monkeypatch):
    import core.catalogue.services as catalogue
    from core.scheduling.models import SchedulingProfile, WeeklyRule
    from core.scheduling.services.bookings import book_slot

    monkeypatch.setattr(catalogue, "mentor_rate", lambda user: (3000, "EUR"))
    SchedulingProfile.objects.create(mentor=mentor, min_notice_minutes=0, slot_lengths=[60], slot_step_minutes=60)
    for day in range(7):
        WeeklyRule.objects.create(mentor=mentor, weekday=day, start_time="09:00", end_time="17:00")
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=10, minute=0, second=0, microsecond=0)
    booking = book_slot(mentor, learner, start, 60)
    client.force_login(learner)
    html = client.get(f"/payments/checkout/{booking.pk}/").content.decode()
    assert html.count(mentor.display_name) == 1, "the title '1:1 with …' already names the mentor"
