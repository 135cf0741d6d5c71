"""Credits under real concurrency on PostgreSQL: N+5 simultaneous bookings with N credits, exactly N succeed.

Run with ``DATABASE_URL=postgres://... REDIS_URL=redis://... scripts/test -m realstack tests/packages``.
"""

from __future__ import annotations

import pytest
from django.db import connection

from core.packages.errors import PackageConflict
from core.packages.models import CreditUse, PackagePurchase
from core.scheduling.models import Booking
from tests.pricing.test_realstack import _at_once

from .conftest import assert_balanced, slot

pytestmark = [pytest.mark.realstack, pytest.mark.django_db(transaction=True)]


def test_database_is_postgresql():
    assert connection.vendor == "postgresql"


def test_n_plus_five_simultaneous_bookings_with_n_credits(bought, learner):
    from core.packages.services import credits

    purchase = bought()  # 5 credits
    starts = [slot(2 + i // 12, 8 + i % 12) for i in range(10)]  # ten different free hours

    results = _at_once(10, lambda i: credits.book_with_credit(purchase.pk, learner, starts[i]))

    booked = [r for r in results if isinstance(r, Booking)]
    refused = [r for r in results if isinstance(r, PackageConflict)]
    assert len(booked) == 5, results
    assert len(refused) == 5 and {r.code for r in refused} == {"no_credits"}, results
    purchase.refresh_from_db()
    assert purchase.credits_left == 0
    assert CreditUse.objects.filter(purchase=purchase).count() == 5
    assert Booking.objects.filter(learner=learner).count() == 5
    assert PackagePurchase.objects.get(pk=purchase.pk).credits_left == 0
    assert_balanced(payment__purchase=purchase)
