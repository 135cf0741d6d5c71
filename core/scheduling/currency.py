"""ISO 4217 currencies and their minor units: money is integer minor units plus a code.

The table lists the active codes of ISO 4217 (list one) that have a minor unit,
with its exponent (JPY 0, EUR 2, KWD 3, CLF 4). Funds and precious metals
without a minor unit (XAU, XDR, ...) are left out: nothing is priced in them.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import translation
from django.utils.translation import gettext, ngettext

# code -> number of decimal places of the minor unit
MINOR_UNITS: dict[str, int] = {
    **dict.fromkeys(
        "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD "
        "CAD CDF CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS "
        "GIP GMD GTQ GYD HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL "
        "MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK "
        "PHP PKR PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS "
        "TMT TOP TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG".split(),
        2,
    ),
    **dict.fromkeys(
        "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(),
        0,
    ),
    **dict.fromkeys("BHD IQD JOD KWD LYD OMR TND".split(), 3),
    **dict.fromkeys("CLF UYW".split(), 4),
}

CURRENCY_CHOICES = [(code, code) for code in sorted(MINOR_UNITS)]


class MoneyError(ValueError):
    """A price or currency that cannot be taken as money; ``field`` names the culprit."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_currency(code: str) -> str:
    """The upper-case ISO code, or :class:`MoneyError` when ISO 4217 does not know it."""
    value = (code or "").strip().upper()
    if value not in MINOR_UNITS:
        raise MoneyError(
            "currency",
            gettext("“%(code)s” is not an ISO 4217 currency code (e.g. EUR, USD, INR, JPY).") % {"code": code},
        )
    return value


def exponent(currency: str) -> int:
    return MINOR_UNITS[normalise_currency(currency)]


def to_minor(amount: str | Decimal | int, currency: str) -> int:
    """Parse a decimal amount into minor units, refusing more decimals than the currency has.

    ``to_minor("12.50", "EUR") == 1250``; ``to_minor("12.5", "JPY")`` raises, as
    do ``to_minor("1.005", "USD")`` and ``to_minor("1.000", "USD")``: the amount
    is taken as written, never rounded.
    """
    code = normalise_currency(currency)
    try:
        value = Decimal(str(amount).strip())
    except (InvalidOperation, ValueError):
        raise MoneyError(
            "price", gettext("“%(amount)s” is not a decimal number such as 25 or 25.00.") % {"amount": amount}
        ) from None
    if not value.is_finite():
        raise MoneyError("price", gettext("The price must be a finite number."))
    if value < 0:
        raise MoneyError("price", gettext("The price cannot be negative."))
    places = MINOR_UNITS[code]
    exp = value.as_tuple().exponent
    written = -exp if isinstance(exp, int) and exp < 0 else 0
    if written > places:
        raise MoneyError(
            "price",
            ngettext(
                "%(code)s has %(places)d decimal place; “%(amount)s” has %(written)d.",
                "%(code)s has %(places)d decimal places; “%(amount)s” has %(written)d.",
                places,
            )
            % {"code": code, "places": places, "amount": amount, "written": written},
        )
    minor = value.scaleb(places)
    if minor > 10**12:
        raise MoneyError("price", gettext("The price is too large."))
    return int(minor)


def to_decimal(minor: int, currency: str) -> Decimal:
    """Minor units back to a decimal with exactly the currency's places (1250 EUR -> 12.50)."""
    places = exponent(currency)
    return (Decimal(minor).scaleb(-places)).quantize(Decimal(1).scaleb(-places))


def format_amount(minor: int, currency: str, language: str | None = None) -> str:
    """``minor`` units as the reader's locale writes money: symbol, separators, the currency's places.

    ``format_amount(123450, "EUR")`` is "€1,234.50" in English, "1234,50 €" in Spanish and
    "₹1,23,450.00" for INR in Hindi (Indian grouping); JPY has no decimals, KWD three. The
    language is the active one unless given. The number of places is ISO 4217's (the table
    above), whatever CLDR rounds cash to. Every money filter and message calls this.
    """
    from babel import Locale, UnknownLocaleError
    from babel.numbers import parse_pattern

    code = normalise_currency(currency)
    places = MINOR_UNITS[code]
    try:
        locale = Locale.parse(translation.to_locale(language or translation.get_language() or "en"))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    pattern = parse_pattern(locale.currency_formats["standard"].pattern)
    pattern.frac_prec = (places, places)
    return pattern.apply(to_decimal(minor, code), locale, currency=code, currency_digits=False)


def format_money(minor: int, currency: str) -> str:
    """A price to show: "€12.50" (the reader's locale, :func:`format_amount`), "Free" for zero."""
    if not minor:
        return gettext("Free")
    return format_amount(minor, currency)
