"""The Wagtail admin: coupons created and refused, coupon uses and receipts listed and exported, the fee setting."""

from __future__ import annotations

import pytest
from wagtail.models import Site

from core.pricing.models import Coupon, FeeRule, Receipt, RevenueSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff):
    client.force_login(staff)
    return client


def _coupon_form(**overrides) -> dict:
    data = {
        "code": "SUMMER15",
        "description": "Summer sale",
        "kind": "percent",
        "percent": "15",
        "amount_minor": "",
        "currency": "",
        "bearer": "platform",
        "valid_from": "",
        "valid_until": "",
        "max_uses": "100",
        "max_uses_per_learner": "1",
        "active": "on",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    "url",
    [
        "/admin/pricing/coupons/",
        "/admin/pricing/redemptions/",
        "/admin/pricing/receipts/",
        "/admin/pricing/coupons/new/",
    ],
)
def test_pages_load(url, admin_client, stripe, revenue, booking_factory, coupon_factory, pay):
    revenue(fee_percent="5")
    coupon_factory("TEN")
    booking = booking_factory()
    from core.pricing.services import coupons

    coupons.apply(booking, "TEN", user=booking.learner)
    pay(booking, stripe)
    response = admin_client.get(url)
    assert response.status_code == 200, url


def test_editor_creates_a_coupon(admin_client):
    response = admin_client.post("/admin/pricing/coupons/new/", _coupon_form(code="summer15"))
    assert response.status_code == 302, response.content.decode()[:2000]
    coupon = Coupon.objects.get()
    assert (coupon.code, coupon.percent, coupon.max_uses, coupon.uses) == ("SUMMER15", 15, 100, 0)


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"percent": "120"}, "percent"),
        ({"percent": "-5"}, "percent"),
        ({"kind": "fixed", "percent": "", "amount_minor": "-100", "currency": "EUR"}, "amount_minor"),
        ({"kind": "fixed", "percent": "", "amount_minor": "500", "currency": ""}, "currency"),
        ({"valid_from": "2026-12-10 10:00", "valid_until": "2026-12-01 10:00"}, "valid_until"),
        ({"valid_until": "99999-01-01 10:00"}, "valid_until"),
        ({"code": "no spaces allowed"}, "code"),
    ],
)
def test_bad_coupons_are_refused_with_a_reason(overrides, field, admin_client):
    response = admin_client.post("/admin/pricing/coupons/new/", _coupon_form(**overrides))
    assert response.status_code == 200
    assert field in response.context["form"].errors, response.context["form"].errors
    assert not Coupon.objects.exists()


def test_receipts_export_to_csv_safely(admin_client, stripe, revenue, booking_factory, pay, learner):
    from core.pricing.models import BillingDetails

    revenue(fee_percent="5")
    BillingDetails.objects.create(user=learner, legal_name='=HYPERLINK("http://x")')
    pay(booking_factory(price_minor=4_000), stripe)
    export = admin_client.get("/admin/pricing/receipts/?export=csv")
    assert export.status_code == 200
    body = b"".join(export.streaming_content).decode()
    assert Receipt.objects.get().number in body
    assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body  # the buyer's name is inert text
    pdf = admin_client.get(f"/payments/receipts/{Receipt.objects.get().number}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def _settings_form(rules: list[dict]) -> dict:
    data = {
        "fee_refundable": "",
        "prices_include_tax": "",
        "seller_name": "PeerLearn GmbH",
        "seller_address": "Berlin",
        "seller_country": "DE",
        "platform_tax_id": "DE123456789",
        "receipt_prefix": "PL",
        "fee_rules-TOTAL_FORMS": str(len(rules)),
        "fee_rules-INITIAL_FORMS": "0",
        "fee_rules-MIN_NUM_FORMS": "0",
        "fee_rules-MAX_NUM_FORMS": "1000",
        "tax_rates-TOTAL_FORMS": "1",
        "tax_rates-INITIAL_FORMS": "0",
        "tax_rates-MIN_NUM_FORMS": "0",
        "tax_rates-MAX_NUM_FORMS": "1000",
        "tax_rates-0-country": "DE",
        "tax_rates-0-name": "VAT",
        "tax_rates-0-percent": "19",
        "tax_rates-0-ORDER": "1",
        "tax_rates-0-DELETE": "",
        "tax_rates-0-id": "",
    }
    for index, rule in enumerate(rules):
        for name, value in {"id": "", "ORDER": str(index + 1), "DELETE": "", **rule}.items():
            data[f"fee_rules-{index}-{name}"] = value
    return data


def test_editor_sets_the_fee_and_tax(admin_client):
    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/pricing/revenuesettings/{site.pk}/"
    assert admin_client.get(url).status_code == 200
    rule = {"currency": "EUR", "percent": "5", "fixed_minor": "50", "cap_minor": "500"}
    response = admin_client.post(url, _settings_form([rule]))
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = RevenueSettings.for_site(site)
    assert saved.platform_tax_id == "DE123456789"
    assert list(saved.fee_rules.values_list("currency", "fixed_minor", "cap_minor")) == [("EUR", 50, 500)]
    assert saved.tax_rates.get().percent == 19


@pytest.mark.parametrize("rule", [{"percent": "-1"}, {"percent": "80"}, {"fixed_minor": "-50"}, {"cap_minor": "-1"}])
def test_negative_or_excessive_fees_are_refused(rule, admin_client):
    site = Site.objects.get(is_default_site=True)
    url = f"/admin/settings/pricing/revenuesettings/{site.pk}/"
    values = {"currency": "EUR", "percent": "5", "fixed_minor": "50", "cap_minor": "", **rule}
    response = admin_client.post(url, _settings_form([values]))
    assert response.status_code == 200
    assert not FeeRule.objects.exists()
