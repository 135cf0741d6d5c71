"""Finding mentors: one parser of filters and one search, shared by the search page and the API.

Filters combine with AND; several ``skill`` values mean the mentor teaches *all* of them. Price
bounds are in major units (``12.50``) of ``price_currency`` (default: ``currency`` when the search is
narrowed to one currency, else the site's reference currency), and are converted to each mentor's own
currency with the editors' exchange rates: "max 50 EUR" keeps an 800 INR mentor and drops a 50 GBP one.
Mentors priced in a currency without a rate are left out of a price-bounded search, never guessed at.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext

from core.accounts.validators import LANGUAGE_NAMES

from .exchange import Rates, convert, current_rates, reference_currency
from .models import MentorPage
from .services import live_mentor_pages

MAX_FREE_WITHIN_DAYS = 90
MAX_QUERY_LENGTH = 200


class FilterError(ValueError):
    """A search parameter that cannot be used; ``param`` names it for the 400 answer or the form."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param
        self.message = message


@dataclass
class MentorFilters:
    q: str = ""
    skills: list[Any] = field(default_factory=list)  # taxonomy.Skill instances
    language: str = ""
    currency: str = ""
    price_currency: str = ""
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    min_rating: Decimal | None = None
    free_within_days: int | None = None

    @property
    def active(self) -> bool:
        return bool(
            self.q
            or self.skills
            or self.language
            or self.currency
            or self.min_price is not None
            or self.max_price is not None
            or self.min_rating is not None
            or self.free_within_days
        )


def _getlist(params: Mapping[str, Any], name: str) -> list[str]:
    getlist = getattr(params, "getlist", None)
    values = getlist(name) if getlist else ([params[name]] if name in params else [])
    out: list[str] = []
    for value in values:
        # A comma-separated value ("python,django") counts like repeated parameters.
        out.extend(part.strip() for part in str(value).split(",") if part.strip())
    return out


def _decimal(params: Mapping[str, Any], name: str, *, low: Decimal, high: Decimal | None) -> Decimal | None:
    raw = str(params.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise FilterError(name, gettext("“%(value)s” is not a number.") % {"value": raw}) from None
    if not value.is_finite():
        raise FilterError(name, gettext("“%(value)s” is not a number.") % {"value": raw})
    if value < low:
        raise FilterError(name, gettext("Must be at least %(low)s.") % {"low": low})
    if high is not None and value > high:
        raise FilterError(name, gettext("Must be at most %(high)s.") % {"high": high})
    return value


def parse_filters(params: Mapping[str, Any]) -> MentorFilters:
    """Read search parameters (a QueryDict or a dict); raise :class:`FilterError` on the first bad one."""
    from core.scheduling.currency import MINOR_UNITS
    from core.taxonomy.models import Skill

    filters = MentorFilters()
    filters.q = str(params.get("q") or "").strip()
    if len(filters.q) > MAX_QUERY_LENGTH:
        raise FilterError(
            "q", gettext("The search text is limited to %(limit)s characters.") % {"limit": MAX_QUERY_LENGTH}
        )

    slugs = list(dict.fromkeys(_getlist(params, "skill")))
    if slugs:
        found = {skill.slug: skill for skill in Skill.objects.filter(slug__in=slugs)}
        unknown = [slug for slug in slugs if slug not in found]
        if unknown:
            raise FilterError("skill", f"Unknown skill: {', '.join(unknown)}.")
        filters.skills = [found[slug] for slug in slugs]

    language = str(params.get("language") or "").strip().lower()
    if language:
        if language not in LANGUAGE_NAMES:
            raise FilterError("language", f"“{language}” is not a language code (use ISO 639-1, e.g. en, hi).")
        filters.language = language

    currency = str(params.get("currency") or "").strip().upper()
    if currency:
        if currency not in MINOR_UNITS:
            raise FilterError("currency", f"“{currency}” is not an ISO 4217 currency code.")
        filters.currency = currency

    price_currency = str(params.get("price_currency") or "").strip().upper()
    if price_currency and price_currency not in MINOR_UNITS:
        raise FilterError("price_currency", f"“{price_currency}” is not an ISO 4217 currency code.")
    filters.price_currency = price_currency or filters.currency or reference_currency()

    ceiling = Decimal(10) ** 9
    filters.min_price = _decimal(params, "min_price", low=Decimal(0), high=ceiling)
    filters.max_price = _decimal(params, "max_price", low=Decimal(0), high=ceiling)
    if filters.min_price is not None and filters.max_price is not None and filters.min_price > filters.max_price:
        raise FilterError("max_price", gettext("The highest price must not be below the lowest price."))
    filters.min_rating = _decimal(params, "min_rating", low=Decimal(0), high=Decimal(5))

    days = str(params.get("free_within_days") or "").strip()
    if days:
        if not days.isdigit() or not 1 <= int(days) <= MAX_FREE_WITHIN_DAYS:
            raise FilterError("free_within_days", f"A whole number of days from 1 to {MAX_FREE_WITHIN_DAYS}.")
        filters.free_within_days = int(days)
    return filters


def _price_q(filters: MentorFilters, currencies: list[str], rates: Rates) -> Q:
    """Price bounds converted to each currency's minor units: ``min`` rounds up, ``max`` rounds down.

    A currency that cannot be converted from ``filters.price_currency`` matches nothing.
    """
    from core.scheduling.currency import MINOR_UNITS

    clauses = Q(pk__in=[])
    for code in currencies:
        places = MINOR_UNITS.get(code, 2)
        clause = Q(currency=code)
        for bound, lookup, rounding in (
            (filters.min_price, "hourly_rate_minor__gte", math.ceil),
            (filters.max_price, "hourly_rate_minor__lte", math.floor),
        ):
            if bound is None:
                continue
            converted = convert(bound, filters.price_currency, code, rates)
            if converted is None:
                clause = None
                break
            clause &= Q(**{lookup: rounding(converted.scaleb(places))})
        if clause is not None:
            clauses |= clause
    return clauses


def uncomparable_currencies(filters: MentorFilters) -> list[str]:
    """Currencies of live mentors a price-bounded search left out for want of an exchange rate."""
    if filters.min_price is None and filters.max_price is None:
        return []
    rates = current_rates()
    if filters.price_currency not in rates:
        present = live_mentor_pages().exclude(currency=filters.price_currency)
    else:
        present = live_mentor_pages().exclude(currency__in=list(rates))
    return sorted(set(present.values_list("currency", flat=True)))


def filtered_mentors(filters: MentorFilters) -> QuerySet[MentorPage]:
    """Live mentor pages that pass every filter except the text query, best rated first."""
    queryset = live_mentor_pages()
    for skill in filters.skills:
        queryset = queryset.filter(skills=skill)
    if filters.language:
        # Languages are a JSON list of codes; matching the quoted code works on SQLite and PostgreSQL.
        queryset = queryset.filter(languages__icontains=f'"{filters.language}"')
    if filters.currency:
        queryset = queryset.filter(currency=filters.currency)
    if filters.min_price is not None or filters.max_price is not None:
        currencies = (
            [filters.currency] if filters.currency else list(queryset.values_list("currency", flat=True).distinct())
        )
        queryset = queryset.filter(_price_q(filters, currencies, current_rates()))
    if filters.min_rating is not None:
        queryset = queryset.filter(rating_count__gt=0, rating_average__gte=filters.min_rating)
    if filters.free_within_days:
        from core.scheduling.services.availability import mentors_with_free_time

        user_ids = list(queryset.values_list("user_id", flat=True))
        free = mentors_with_free_time(user_ids, filters.free_within_days) if user_ids else set()
        queryset = queryset.filter(user_id__in=free)
    return queryset.order_by("-rating_average", "-rating_count", "title")


def search_mentors(filters: MentorFilters) -> Any:
    """The mentors matching the filters; with a text query, ranked by Wagtail search relevance.

    Returns a queryset or Wagtail search results: both paginate with Django's ``Paginator``.
    The text query searches headline, bio, skill names and the mentor's name; when the full words
    find nothing, it falls back to prefix matching so "pyth" still finds Python mentors.
    """
    queryset = filtered_mentors(filters)
    if not filters.q:
        return queryset.select_related("user", "photo").prefetch_related("skills")
    ids = list(queryset.values_list("id", flat=True))
    base = MentorPage.objects.filter(id__in=ids).select_related("user", "photo").prefetch_related("skills")
    results = base.search(filters.q, operator="and")
    if results.count() == 0:
        results = base.autocomplete(filters.q, operator="and")
    return results
