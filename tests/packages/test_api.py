"""The package endpoints: list, create, change, purchase, credits, book with a credit, refund; bad input 4xx."""

from __future__ import annotations

import pytest

from core.packages.models import CreditUse, Package, PackagePurchase
from core.payments.models import Payment
from core.scheduling.models import Booking

from .conftest import assert_balanced, gift_card, slot

pytestmark = pytest.mark.django_db(transaction=True)  # the gift card is drawn on the plugin's own thread and connection


def test_a_mentor_creates_and_changes_a_package(api_client, mentor):
    api_client.force_authenticate(mentor)
    body = {
        "title": "Ten lessons",
        "sessions": 10,
        "duration_minutes": 60,
        "validity_days": 120,
        "prices": [{"currency": "eur", "amount": "350.00"}, {"currency": "INR", "amount": "30000"}],
    }
    created = api_client.post("/api/packages/", body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["sessions"] == 10 and {p["currency"] for p in data["prices"]} == {"EUR", "INR"}
    changed = api_client.patch(f"/api/packages/{data['id']}/", {"active": False}, format="json")
    assert changed.status_code == 200 and changed.json()["active"] is False
    assert api_client.get("/api/packages/", {"mentor": mentor.pk}).json() == []


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"title": "Zero", "sessions": 0, "prices": [{"currency": "EUR", "amount": "10"}]}, "sessions", "1 to 50"),
        ({"title": "Neg", "sessions": 3, "prices": [{"currency": "EUR", "amount": "-5"}]}, "prices", "more than zero"),
        ({"title": "Cur", "sessions": 3, "prices": [{"currency": "ZZZ", "amount": "5"}]}, "prices", "ISO 4217"),
        (
            {"title": "Len", "sessions": 3, "duration_minutes": 7, "prices": [{"currency": "EUR", "amount": "5"}]},
            "duration_minutes",
            "minutes",
        ),
    ],
)
def test_bad_packages_get_400_with_a_reason_and_write_nothing(api_client, mentor, body, field, words):
    api_client.force_authenticate(mentor)
    response = api_client.post("/api/packages/", body, format="json")
    assert response.status_code == 400, response.content
    data = response.json()
    assert data["detail"] and words in str(data["errors"][field]), data
    assert not Package.objects.exists()


def test_learners_cannot_sell_or_change_others_packages(api_client, learner, package):
    api_client.force_authenticate(learner)
    body = {"title": "x", "sessions": 2, "prices": [{"currency": "EUR", "amount": "5"}]}
    assert api_client.post("/api/packages/", body, format="json").status_code == 403
    assert api_client.patch(f"/api/packages/{package.pk}/", {"sessions": 1}, format="json").status_code == 403


def test_buy_book_and_refund_through_the_api(api_client, giftcards, package, learner, mentor):
    api_client.force_authenticate(learner)
    listed = api_client.get("/api/packages/", {"mentor": mentor.pk}).json()
    assert [p["id"] for p in listed] == [package.pk] and listed[0]["prices"][0]["display"] == "€200.00"
    bought = api_client.post(
        f"/api/packages/{package.pk}/purchase/", {"gateway": "giftcard", "inputs": {"code": gift_card()}}, format="json"
    )
    assert bought.status_code == 200, bought.content
    data = bought.json()
    assert data["payment"]["status"] == "succeeded" and data["purchase"]["credits_left"] == 5
    assert data["quote"]["total_minor"] == 20_000
    purchase_id = data["purchase"]["id"]
    mine = api_client.get("/api/credits/").json()
    assert [(p["id"], p["credits_left"], p["status"]) for p in mine] == [(purchase_id, 5, "paid")]

    booked = api_client.post(f"/api/credits/{purchase_id}/book/", {"start": slot(2).isoformat()}, format="json")
    assert booked.status_code == 201, booked.content
    assert booked.json()["status"] == "confirmed"
    assert api_client.get("/api/credits/").json()[0]["credits_left"] == 4

    refunded = api_client.post(f"/api/credits/{purchase_id}/refund/")
    assert refunded.status_code == 200, refunded.content
    assert refunded.json()["amount_minor"] == 16_000 and refunded.json()["status"] == "succeeded"
    assert_balanced(payment__purchase_id=purchase_id)


def test_purchase_refusals_write_nothing(api_client, giftcards, package, learner, mentor):
    api_client.force_authenticate(learner)
    unknown = api_client.post(f"/api/packages/{package.pk}/purchase/", {"gateway": "nope"}, format="json")
    assert unknown.status_code == 400 and "gateway" in unknown.json()["errors"]
    currency = api_client.post(
        f"/api/packages/{package.pk}/purchase/", {"gateway": "giftcard", "currency": "USD"}, format="json"
    )
    assert currency.status_code == 400 and "currency" in currency.json()["errors"]
    assert not PackagePurchase.objects.exists() and not Payment.objects.exists()
    api_client.force_authenticate(mentor)
    own = api_client.post(f"/api/packages/{package.pk}/purchase/", {"gateway": "giftcard"}, format="json")
    assert own.status_code == 403 and own.json()["code"] == "own_package"


def test_booking_without_credits_or_payment_is_refused(api_client, giftcards, package, learner, bought):
    from core.packages.services import purchases

    api_client.force_authenticate(learner)
    pending = purchases.create_purchase(package, learner)
    unpaid = api_client.post(f"/api/credits/{pending.pk}/book/", {"start": slot(2).isoformat()}, format="json")
    assert unpaid.status_code == 409 and unpaid.json()["code"] == "not_paid"
    purchase = bought()
    PackagePurchase.objects.filter(pk=purchase.pk).update(credits_left=0)
    empty = api_client.post(f"/api/credits/{purchase.pk}/book/", {"start": slot(2).isoformat()}, format="json")
    assert empty.status_code == 409 and empty.json()["code"] == "no_credits" and empty.json()["detail"]
    bad = api_client.post(f"/api/credits/{purchase.pk}/book/", {"start": "tomorrow"}, format="json")
    assert bad.status_code == 400
    assert not Booking.objects.exists() and not CreditUse.objects.exists()


def test_someone_elses_credits_are_not_found(api_client, bought, user_factory):
    purchase = bought()
    api_client.force_authenticate(user_factory())
    assert (
        api_client.post(f"/api/credits/{purchase.pk}/book/", {"start": slot().isoformat()}, format="json").status_code
        == 404
    )
    assert api_client.post(f"/api/credits/{purchase.pk}/refund/").status_code == 404
    assert api_client.get("/api/credits/").json() == []
