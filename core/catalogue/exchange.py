"""Comparing prices across currencies with the editors' exchange rates (``ExchangeRate``).

Rates are relative to one reference currency (``PEERLEARN_DEFAULT_CURRENCY``), which is worth 1. A
currency without a rate cannot be compared: callers leave it out rather than guess.
"""

from __future__ import annotations

from decimal import Decimal

from .models import ExchangeRate, default_currency

Rates = dict[str, Decimal]


def reference_currency() -> str:
    return default_currency()


def current_rates() -> Rates:
    """Every currency that can be compared, with its units per reference unit (the reference is 1)."""
    table: Rates = dict(ExchangeRate.objects.values_list("currency", "per_reference"))
    table[reference_currency()] = Decimal(1)
    return table


def convert(amount: Decimal, source: str, target: str, rates: Rates | None = None) -> Decimal | None:
    """``amount`` in ``source`` expressed in ``target`` (major units), or ``None`` without both rates."""
    if source == target:
        return amount
    table = current_rates() if rates is None else rates
    if source not in table or target not in table:
        return None
    return amount * table[target] / table[source]


def convert_minor(amount_minor: int, source: str, target: str, rates: Rates | None = None) -> int | None:
    """Minor units of ``source`` to the nearest minor unit of ``target`` (for display), or ``None``."""
    from core.scheduling.currency import MINOR_UNITS

    major = convert(Decimal(amount_minor).scaleb(-MINOR_UNITS[source]), source, target, rates)
    if major is None:
        return None
    return int(major.scaleb(MINOR_UNITS[target]).to_integral_value())
