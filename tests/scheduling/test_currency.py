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
    assert format_money(123456, "USD") == "$1,234.56" and format_money(0, "USD") == "Free"


@pytest.mark.parametrize(
    ("language", "minor", "currency", "shown"),
    [
        ("en", 123450, "EUR", "€1,234.50"),
        ("es", 123450, "EUR", "1.234,50\xa0€"),
        ("hi", 12345678, "INR", "₹1,23,456.78"),  # Indian digit grouping
        ("en", 12345678, "INR", "₹123,456.78"),
        ("en", 4000, "JPY", "¥4,000"),  # no minor unit
        ("es", 1234, "KWD", "1,234\xa0KWD"),  # three decimals
        ("en", -700, "EUR", "-€7.00"),
    ],
)
def test_money_is_written_as_the_readers_locale_writes_it(language, minor, currency, shown):
    from django.utils import translation

    from core.scheduling.currency import format_amount

    with translation.override(language):
        assert format_amount(minor, currency) == shown
    assert format_amount(minor, currency, language) == shown


def test_free_is_translated():
    from django.utils import translation

    with translation.override("es"):
        assert format_money(0, "EUR") == "Gratis"
