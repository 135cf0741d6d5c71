"""``{% load dashboards %}``: display helpers of the dashboard pages."""

from __future__ import annotations

from django import template

from core.scheduling.currency import MoneyError, format_money

register = template.Library()


@register.filter
def money(minor: int | None, currency: str) -> str:
    """``1250|money:"EUR"`` → ``12.50 EUR``; zero → ``Free``."""
    try:
        return format_money(int(minor or 0), currency)
    except (MoneyError, ValueError, TypeError):
        return f"{minor} {currency}"
