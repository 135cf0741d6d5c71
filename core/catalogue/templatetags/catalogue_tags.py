"""Template helpers of the catalogue: prices, ratings, language names, time zones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from core.accounts.validators import LANGUAGE_NAMES

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    """``{{ session.price_minor|money:session.currency }}`` -> "25.00 USD" (or "Free")."""
    from core.scheduling.currency import format_money

    return format_money(int(amount_minor or 0), currency)


@register.filter
def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


@register.filter
def language_names(codes: list[str] | None) -> list[str]:
    return [LANGUAGE_NAMES.get(code, code) for code in codes or []]


@register.inclusion_tag("catalogue/includes/rating.html")
def rating(average: Decimal | float | None, count: int | None, single: bool = False) -> dict[str, Any]:
    """Five stars, filled to the nearest half, with the average and how many reviews it comes from
    (``single=True`` for one review's own rating: no count)."""
    value = float(average or 0)
    halves = round(value * 2)
    stars = ["full" if halves >= 2 * i else "half" if halves == 2 * i - 1 else "empty" for i in range(1, 6)]
    return {"average": average, "count": count or 0, "stars": stars, "single": single}


@register.simple_tag
def current_time_zone() -> str:
    """The zone times are shown in (the viewer's), named on every page that shows times."""
    return timezone.get_current_timezone_name()


@register.filter
def reviewable(booking: Any, user: Any) -> bool:
    """``{% if booking|reviewable:user %}<a href="{% url 'catalogue:review_new' booking.pk %}">Rate it</a>{% endif %}``:
    true when ``user`` is the booking's learner, it is completed and not reviewed yet."""
    from core.catalogue.reviews import review_block_reason

    return bool(getattr(user, "is_authenticated", False)) and review_block_reason(user, booking) is None
