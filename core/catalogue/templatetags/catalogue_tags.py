"""Template helpers of the catalogue: prices, ratings, language names, time zones."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from core.accounts.validators import language_name as _language_name

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    """``{{ session.price_minor|money:session.currency }}`` -> "25.00 USD" (or "Free")."""
    from core.scheduling.currency import format_money

    return format_money(int(amount_minor or 0), currency)


@register.filter
def language_name(code: str) -> str:
    return _language_name(code)


@register.filter
def language_names(codes: list[str] | None) -> list[str]:
    return [_language_name(code) for code in codes or []]


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


@register.simple_tag
def review_prompt(session: Any, user: Any) -> Any:
    """``{% review_prompt session user as booking %}``: the seat of ``user`` on ``session`` that is, or
    will be once the session ends, open to a rating; ``None`` otherwise (not a learner of it, cancelled,
    or already rated). The room uses it to offer "Rate this session" the moment the session ends."""
    from core.scheduling.models import Booking

    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Booking.objects.filter(
            session=session,
            learner=user,
            status__in=(Booking.CONFIRMED, Booking.COMPLETED),
            review__isnull=True,
        )
        .order_by("-pk")
        .first()
    )


@register.simple_tag(takes_context=True)
def approx_price(context: Any, amount_minor: int, currency: str) -> str:
    """ "≈ 8.57 EUR" for a mentor's rate in the currency the search compares prices in; empty when it
    is that currency already, unpriced, or cannot be converted (the search page puts the rates in
    ``price_rates`` and the chosen currency in ``filters.price_currency``)."""
    from core.catalogue.exchange import convert_minor
    from core.scheduling.currency import format_money

    rates = context.get("price_rates")
    filters = context.get("filters")
    target = getattr(filters, "price_currency", "")
    if not rates or not target or not amount_minor or currency == target:
        return ""
    converted = convert_minor(int(amount_minor), currency, target, rates)
    return f"≈ {format_money(converted, target)}" if converted else ""
