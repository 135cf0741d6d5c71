"""The pages: a mentor's packages (create, edit, refusals), the profile's listing, checkout, credits, booking."""

from __future__ import annotations

import pytest

from core.packages.models import CreditUse, Package

from .conftest import gift_card, slot

pytestmark = pytest.mark.django_db(transaction=True)  # the gift card is drawn on the plugin's own connection


def test_a_mentor_creates_and_edits_a_package(client, mentor):
    client.force_login(mentor)
    assert client.get("/packages/mine/").status_code == 200
    form = {
        "title": "Five lessons",
        "sessions": "5",
        "duration_minutes": "60",
        "validity_days": "90",
        "currency": "EUR",
        "amount": "180",
        "active": "on",
    }
    response = client.post("/packages/mine/", form)
    assert response.status_code == 302
    package = Package.objects.get()
    assert package.prices.get().amount_minor == 18_000
    response = client.post(f"/packages/mine/{package.pk}/", {**form, "sessions": "6", "amount": "200"})
    assert response.status_code == 302
    package.refresh_from_db()
    assert package.sessions == 6 and package.prices.get().amount_minor == 20_000
    listing = client.get("/packages/mine/").content.decode()
    assert "Five lessons" in listing and "€200.00" in listing


@pytest.mark.parametrize(
    ("field", "value", "words"), [("sessions", "0", "1 to 50"), ("amount", "-3", "more than zero")]
)
def test_bad_input_is_shown_on_its_field_and_writes_nothing(client, mentor, field, value, words):
    client.force_login(mentor)
    form = {"title": "Bad", "sessions": "5", "duration_minutes": "60", "validity_days": "90", "currency": "EUR"}
    form |= {"amount": "10", field: value}
    response = client.post("/packages/mine/", form)
    assert response.status_code == 400 and words in response.content.decode()
    assert not Package.objects.exists()


def test_learners_have_no_package_page(client, learner):
    client.force_login(learner)
    assert client.get("/packages/mine/").status_code == 404


def test_the_mentor_page_lists_packages_with_buy(package, mentor):
    from django.template import Context, Template

    html = Template("{% load packages_tags %}{% mentor_packages mentor_id %}").render(
        Context({"mentor_id": mentor.pk, "request": None})
    )
    assert "Five pandas sessions" in html and "€200.00" in html and f"/packages/{package.pk}/buy/" in html


def test_buy_with_a_gift_card_then_book_with_a_credit(client, giftcards, package, learner):
    client.force_login(learner)
    checkout = client.get(f"/packages/{package.pk}/buy/")
    assert checkout.status_code == 200 and "€200.00" in checkout.content.decode()
    chosen = client.post(f"/packages/{package.pk}/buy/", {"gateway": "giftcard", "currency": "EUR"})
    assert chosen.status_code == 302 and chosen.url.endswith("/pay/giftcard/")
    assert client.get(chosen.url).status_code == 200  # the code form
    paid = client.post(chosen.url, {"code": gift_card()})
    assert paid.status_code == 302 and paid.url.startswith("/packages/purchases/")
    result = client.get(paid.url).content.decode()
    assert "5 credits" in result
    purchase_id = int(paid.url.rstrip("/").rsplit("/", 1)[1])

    page = client.get(f"/packages/credits/{purchase_id}/book/")
    assert page.status_code == 200 and "data-slot" in page.content.decode()
    booked = client.post(f"/packages/credits/{purchase_id}/book/", {"start": slot(2).isoformat()})
    assert booked.status_code == 302 and "/schedule/bookings/" in booked.url
    assert CreditUse.objects.filter(purchase_id=purchase_id).count() == 1
    credits = client.get("/packages/credits/").content.decode()
    assert "4 of 5 credits left" in credits

    refunded = client.post(f"/packages/credits/{purchase_id}/refund/")
    assert refunded.status_code == 302
    assert "0 of 5 credits left" in client.get("/packages/credits/").content.decode()


def test_a_refused_booking_says_why(client, bought, learner):
    purchase = bought()
    client.force_login(learner)
    response = client.post(f"/packages/credits/{purchase.pk}/book/", {"start": slot(2, 3).isoformat()})
    assert response.status_code == 400
    assert not CreditUse.objects.exists()


def test_editors_see_packages_and_purchases_in_the_admin(client, staff, bought):
    from django.urls import reverse

    purchase = bought()
    client.force_login(staff)
    assert client.get(reverse("packages_package:index")).status_code == 200
    assert client.get(reverse("packages_package:edit", args=[purchase.package_id])).status_code == 200
    listing = client.get(reverse("packages_purchase:index"))
    assert listing.status_code == 200 and "Five pandas sessions" in listing.content.decode()
    assert client.get(reverse("packages_purchase:inspect", args=[purchase.pk])).status_code == 200
    assert client.get(reverse("packages_credituse:index")).status_code == 200


def test_editors_refund_unused_credits_from_the_admin(client, staff, bought):
    from django.urls import reverse

    from core.packages.models import PackagePurchase
    from core.payments.models import Payment, Refund

    purchase = bought()
    client.force_login(staff)
    listing = client.get(reverse("packages_purchase:index")).content.decode()
    url = reverse("packages_admin:refund_unused", args=[purchase.pk])
    assert url in listing
    assert "5 unused credit" in client.get(url).content.decode()
    # The payments admin's generic refund refuses a package payment (the credits must follow).
    payment = Payment.objects.get(purchase=purchase)
    generic = client.post(reverse("payments_admin:refund_payment", args=[payment.pk]), {"amount": "10"})
    assert generic.status_code == 400 and "unused credits" in generic.content.decode()
    assert not Refund.objects.exists()
    assert client.post(url).status_code == 302
    purchase.refresh_from_db()
    assert purchase.status == PackagePurchase.CLOSED
    assert Refund.objects.get().amount_minor == 20_000
