"""The payments demo seeder: bank transfer on, paid bookings in the ledger, a payout; idempotent."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.utils import timezone

from core.payments.models import LedgerEntry, Payment, Payout
from core.payments.services.ledger import balances
from core.scheduling.services.bookings import complete_booking, confirm_booking

pytestmark = pytest.mark.django_db


def test_seed_is_idempotent_and_balanced(booking_factory, user_factory):
    from core.payments import demo

    done = confirm_booking(booking_factory(price_minor=3_000))  # confirmed "as if paid" by scheduling's demo
    complete_booking(done, now=timezone.now() + timedelta(days=5))
    confirm_booking(booking_factory(price_minor=2_000))
    waiting = booking_factory(price_minor=1_500, who=user_factory())
    context = SimpleNamespace(report=SimpleNamespace(counts={}))
    demo.seed(context)
    assert context.report.counts["payments"] == 3
    waiting.refresh_from_db()
    assert waiting.status == "confirmed"
    assert Payout.objects.get().amount_minor == 3_000 - 360
    first = (Payment.objects.count(), LedgerEntry.objects.count(), Payout.objects.count())
    demo.seed(context)
    assert (Payment.objects.count(), LedgerEntry.objects.count(), Payout.objects.count()) == first
    assert balances().held == 6_500 and balances().balanced
