"""The price breakdown: fee (percent + fixed, capped), coupon, tax added on top or included."""

from __future__ import annotations

import pytest

from core.pricing.services import quotes

pytestmark = pytest.mark.django_db


def test_no_setting_means_the_session_price_alone(revenue):
    quote = quotes.compute(price_minor=4_000, currency="EUR")
    assert (quote.fee_minor, quote.tax_minor, quote.total_minor) == (0, 0, 4_000)


def test_fee_is_percent_plus_fixed_capped_per_currency(revenue):
    revenue(fee_percent="5", fixed=50, cap=300)
    assert quotes.compute(price_minor=4_000, currency="EUR").fee_minor == 250  # 200 + 50
    assert quotes.compute(price_minor=10_000, currency="EUR").fee_minor == 300  # 550 capped
    assert quotes.compute(price_minor=4_000, currency="USD").fee_minor == 0  # no rule for USD


def test_exclusive_tax_is_added_on_session_and_fee(revenue, learner):
    revenue(fee_percent="5", tax={"DE": "19"}, seller_country="DE")
    quote = quotes.compute(price_minor=4_000, currency="EUR", buyer=learner)
    assert (quote.fee_minor, quote.session_tax_minor, quote.fee_tax_minor) == (200, 760, 38)
    assert quote.total_minor == 4_000 + 200 + 760 + 38
    assert quote.as_api()["total"] == "49.98"


def test_inclusive_tax_is_carved_out_of_the_total(revenue, learner):
    revenue(fee_percent="5", tax={"DE": "19"}, seller_country="DE", inclusive=True)
    quote = quotes.compute(price_minor=11_900, currency="EUR", buyer=learner)
    assert quote.total_minor == 11_900 + 595
    assert quote.session_tax_minor == 1_900  # 11 900 = 10 000 net + 1 900 VAT


def test_buyer_country_from_billing_details_wins(revenue, learner):
    from core.pricing.models import BillingDetails

    revenue(tax={"DE": "19", "IN": "18"}, seller_country="DE")
    BillingDetails.objects.create(user=learner, country="IN", tax_id="27AAPFU0939F1ZV")
    quote = quotes.compute(price_minor=10_000, currency="EUR", buyer=learner)
    assert (quote.tax_country, quote.tax_minor) == ("IN", 1_800)


def test_a_fully_discounted_session_carries_no_fee_or_tax(revenue, learner):
    revenue(fee_percent="5", fixed=50, tax={"DE": "19"}, seller_country="DE")
    quote = quotes.compute(price_minor=4_000, currency="EUR", discount_minor=4_000, discount_bearer="platform")
    assert (quote.fee_minor, quote.tax_minor, quote.total_minor) == (0, 0, 0)


def test_rounding_is_half_up_on_integers():
    assert quotes.share(999, 1_250) == 125  # 124.875
    assert quotes.included_tax(119, 1_900) == 19
