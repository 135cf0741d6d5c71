"""Gift cards end to end: the learner types a code, the booking is confirmed in the same request.

Transactional: the gateway draws the card on the plugin's own worker thread
(its own database connection), as it does in production.
"""

from __future__ import annotations

import pytest

from core.payments.models import LedgerEntry, Payment, Refund, WebhookEventRecord
from core.payments.services import refunds
from core.payments.services.ledger import balances
from core.scheduling.models import Booking
from plugins.payments.giftcard.models import GiftCard, GiftCardMovement

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def giftcards(harness_for, configure_gateway):
    configure_gateway(harness_for("payment_giftcard"))


def _card(value: int = 10_000, currency: str = "EUR", **extra) -> GiftCard:
    return GiftCard.objects.create(currency=currency, initial_minor=value, **extra)


def _pay(api_client, booking, **inputs):
    api_client.force_authenticate(booking.learner)
    body = {"gateway": "giftcard", "inputs": inputs}
    return api_client.post(f"/api/bookings/{booking.pk}/pay/", body, format="json")


def test_paying_with_a_card_confirms_at_once_with_the_webhooks_ledger(giftcards, booking_factory, api_client):
    card = _card(10_000)
    booking = booking_factory(price_minor=4_000)
    response = _pay(api_client, booking, code=card.code.lower())  # codes are typed in any case
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["booking_status"] == "confirmed"
    assert data["payment"]["status"] == "succeeded"
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    card.refresh_from_db()
    assert card.balance_minor == 6_000  # what is left stays on the card
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").get().amount_minor == 4_000
    assert balances(booking=booking).balanced
    record = WebhookEventRecord.objects.get()
    assert (record.source, record.kind, record.status) == ("start", "succeeded", "processed")
    again = _pay(api_client, booking, code=card.code)
    assert again.status_code == 409
    card.refresh_from_db()
    assert card.balance_minor == 6_000


@pytest.mark.parametrize(
    "inputs, field, words",
    [
        ({}, "inputs.code", "required"),
        ({"code": "x" * 40}, "inputs.code", "at most 32"),
        ({"code": "GC 12 !!"}, "inputs.code", "letters, digits and hyphens"),
        ({"code": "GC-NONE-SUCH-CARD"}, "inputs.code", "No gift card has this code"),
        ({"code": "{card}", "upi": "me@bank"}, "inputs.upi", "takes no"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_writes_nothing(
    giftcards, booking_factory, api_client, inputs, field, words
):
    card = _card(10_000)
    booking = booking_factory(price_minor=4_000)
    response = _pay(api_client, booking, **{k: v.format(card=card.code) for k, v in inputs.items()})
    assert response.status_code == 400, response.content
    assert words in " ".join(response.json()["errors"][field])
    assert not Payment.objects.filter(status=Payment.SUCCEEDED).exists()
    assert not LedgerEntry.objects.exists() and not GiftCardMovement.objects.exists()
    card.refresh_from_db()
    assert card.balance_minor == 10_000


def test_partial_use_across_bookings_until_the_balance_is_too_low(giftcards, booking_factory, api_client):
    card = _card(5_000)
    first, second = booking_factory(price_minor=2_000), booking_factory(price_minor=2_000)
    assert _pay(api_client, first, code=card.code).json()["booking_status"] == "confirmed"
    assert _pay(api_client, second, code=card.code).json()["booking_status"] == "confirmed"
    third = booking_factory(price_minor=2_000)
    refused = _pay(api_client, third, code=card.code)
    assert refused.status_code == 400
    assert "10.00 EUR left" in refused.json()["errors"]["inputs.code"][0]
    third.refresh_from_db()
    assert third.status == Booking.PENDING_PAYMENT
    card.refresh_from_db()
    assert card.balance_minor == 1_000


def test_blocked_expired_and_other_currency_cards_are_refused(giftcards, booking_factory, api_client):
    from datetime import timedelta

    from django.utils import timezone

    booking = booking_factory(price_minor=1_000)
    blocked = _card(active=False)
    expired = _card(expires_at=timezone.now() - timedelta(days=1))
    dollars = _card(currency="USD")
    for card, words in ((blocked, "blocked"), (expired, "expired"), (dollars, "in USD")):
        response = _pay(api_client, booking, code=card.code)
        assert response.status_code == 400 and words in response.json()["errors"]["inputs.code"][0]
    assert not GiftCardMovement.objects.exists()


def test_refunds_go_back_onto_the_card(giftcards, booking_factory, api_client, staff):
    card = _card(4_000)
    booking = booking_factory(price_minor=4_000)
    assert _pay(api_client, booking, code=card.code).json()["booking_status"] == "confirmed"
    card.refresh_from_db()
    assert card.balance_minor == 0
    part = refunds.refund_booking(booking, 1_500, by=staff)
    assert part.status == Refund.SUCCEEDED
    card.refresh_from_db()
    assert card.balance_minor == 1_500
    rest = refunds.refund_booking(booking, None, by=staff)
    assert rest.status == Refund.SUCCEEDED and rest.amount_minor == 2_500
    card.refresh_from_db()
    assert card.balance_minor == 4_000
    totals = balances(booking=booking)
    assert totals.held == 0 and totals.balanced


def test_gateway_list_tells_clients_what_to_send(giftcards, api_client, learner):
    api_client.force_authenticate(learner)
    listed = {g["identifier"]: g for g in api_client.get("/api/payments/gateways/?currency=EUR").json()}
    field = listed["giftcard"]["checkout_fields"][0]
    assert (field["name"], field["required"], field["max_length"]) == ("code", True, 32)
    assert listed["giftcard"]["confirms_at_start"] is True


def test_checkout_page_asks_for_the_code_and_confirms(giftcards, booking_factory, client):
    card = _card(10_000)
    booking = booking_factory(price_minor=4_000)
    client.force_login(booking.learner)
    url = f"/payments/checkout/{booking.pk}/giftcard/"
    page = client.get(url)
    assert page.status_code == 200 and b'name="code"' in page.content and b"Gift card code" in page.content
    wrong = client.post(url, {"code": "GC-NONE-SUCH-CARD"})
    assert wrong.status_code == 400 and b"No gift card has this code" in wrong.content
    paid = client.post(url, {"code": card.code})
    assert paid.status_code == 302 and paid["Location"] == f"/payments/checkout/{booking.pk}/result/"
    booking.refresh_from_db()
    assert booking.status == Booking.CONFIRMED
    assert b"Your booking is confirmed" in client.get(paid["Location"]).content


def test_editors_issue_find_and_block_cards_in_the_admin(client, staff):
    from django.urls import reverse

    client.force_login(staff)
    add = reverse("wagtailsnippets_giftcard_giftcard:add")
    created = client.post(add, {"code": "gc-spring-2027", "currency": "eur", "initial_minor": "2500", "active": "on"})
    assert created.status_code == 302, created.content[:2000]
    card = GiftCard.objects.get()
    assert (card.code, card.currency, card.balance_minor) == ("GC-SPRING-2027", "EUR", 2_500)
    again = client.post(add, {"code": "Gc-Spring-2027", "currency": "EUR", "initial_minor": "100", "active": "on"})
    assert again.status_code == 200 and GiftCard.objects.count() == 1  # one code, whatever the case
    listing = client.get(reverse("wagtailsnippets_giftcard_giftcard:list"), {"q": "SPRING"})
    assert listing.status_code == 200 and b"GC-SPRING-2027" in listing.content and b"25.00 EUR" in listing.content
    edit = reverse("wagtailsnippets_giftcard_giftcard:edit", args=[card.pk])
    changed = client.post(edit, {"code": card.code, "currency": "EUR", "initial_minor": "9999", "active": "on"})
    assert changed.status_code == 200 and b"cannot change" in changed.content
    blocked = client.post(edit, {"code": card.code, "currency": "EUR", "initial_minor": "2500", "note": "Lost"})
    assert blocked.status_code == 302
    card.refresh_from_db()
    assert not card.active and card.balance_minor == 2_500
