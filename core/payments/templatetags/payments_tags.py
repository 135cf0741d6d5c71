"""``{{ amount_minor|money:currency }}``: minor units shown with the currency's decimals."""

from __future__ import annotations

from django import template

from core.scheduling.currency import MoneyError, format_amount

register = template.Library()


@register.filter
def money(amount_minor, currency: str) -> str:
    """``1250|money:"EUR"`` is "€12.50" (the reader's locale); negative amounts keep their sign; zero is "€0.00"."""
    try:
        return format_amount(int(amount_minor or 0), currency)
    except (MoneyError, TypeError, ValueError):
        return f"{amount_minor} {currency}"
