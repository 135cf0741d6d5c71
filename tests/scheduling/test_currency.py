"""Money as integer minor units: ISO 4217 codes and their exponents, no silent rounding."""

from decimal import Decimal

import pytest

from core.scheduling.currency import MINOR_UNITS, MoneyError, format_money, normalise_currency, to_decimal, to_minor


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("12.50", "EUR", 1250),
        ("12.5", "usd", 1250),
        ("0", "EUR", 0),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        ("3", "BHD", 3000),
        ("1.0001", "CLF", 10001),
        (Decimal("99.99"), "INR", 9999),
        ("1e3", "GBP", 100000),
    ],
)
def test_to_minor(amount, currency, minor):
    assert to_minor(amount, currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        ("12.505", "EUR", "price"),
        ("1.000", "USD", "price"),
        ("10.5", "JPY", "price"),
        ("1.2345", "KWD", "price"),
        ("-1", "EUR", "price"),
        ("NaN", "EUR", "price"),
        ("Infinity", "EUR", "price"),
        ("abc", "EUR", "price"),
        ("10", "XYZ", "currency"),
        ("10", "", "currency"),
        ("10", "XAU", "currency"),  # a metal has no minor unit: nothing is priced in it
    ],
)
def test_refused_amounts_name_the_field(amount, currency, field):
    with pytest.raises(MoneyError) as info:
        to_minor(amount, currency)
    assert info.value.field == field


def test_exponents_and_display():
    assert (MINOR_UNITS["EUR"], MINOR_UNITS["JPY"], MINOR_UNITS["KWD"], MINOR_UNITS["CLF"]) == (2, 0, 3, 4)
    assert len(MINOR_UNITS) > 150
    assert normalise_currency(" inr ") == "INR"
    assert str(to_decimal(1250, "EUR")) == "12.50" and str(to_decimal(1500, "JPY")) == "1500"
    assert format_money(123456, "USD") == "1,234.56 USD" and format_money(0, "USD") == "Free"
