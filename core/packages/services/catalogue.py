"""A mentor's packages: creating and changing them, with every rule checked before anything is written."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.scheduling.currency import MINOR_UNITS, MoneyError, to_minor

from ..errors import PackageNotAllowed, PackageRefused
from ..models import DURATIONS, MAX_SESSIONS, Package, PackagePrice

FIELDS = ("title", "description", "sessions", "duration_minutes", "validity_days", "active")


def _int(value, field: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise PackageRefused(_("Give a whole number."), code="invalid", field=field) from None


def clean_values(data: Mapping, *, partial: bool = False) -> dict:
    """The package's fields from ``data``, checked (a refusal names the field at fault)."""
    values: dict = {}
    if "title" in data or not partial:
        title = str(data.get("title") or "").strip()
        if not title:
            raise PackageRefused(_("Give the package a title."), code="required", field="title")
        values["title"] = title[:120]
    if "description" in data:
        values["description"] = str(data.get("description") or "")[:4000]
    if "sessions" in data or not partial:
        sessions = _int(data.get("sessions"), "sessions")
        if not 1 <= sessions <= MAX_SESSIONS:
            raise PackageRefused(
                _("A package has 1 to %(max)s sessions.") % {"max": MAX_SESSIONS},
                code="invalid_sessions",
                field="sessions",
            )
        values["sessions"] = sessions
    if "duration_minutes" in data or not partial:
        duration = _int(data.get("duration_minutes", 60), "duration_minutes")
        if duration not in DURATIONS:
            raise PackageRefused(
                _("Sessions last one of %(choices)s minutes.") % {"choices": ", ".join(map(str, DURATIONS))},
                code="invalid_duration",
                field="duration_minutes",
            )
        values["duration_minutes"] = duration
    if "validity_days" in data or not partial:
        days = _int(data.get("validity_days", 180), "validity_days")
        if not 1 <= days <= 730:
            raise PackageRefused(
                _("A package is valid for 1 to 730 days."), code="invalid_validity", field="validity_days"
            )
        values["validity_days"] = days
    if "active" in data:
        values["active"] = bool(data.get("active"))
    return values


def clean_prices(rows: Iterable[Mapping]) -> list[tuple[str, Decimal]]:
    """``[{currency, amount}]`` checked: ISO codes, positive amounts in the currency's places, one per currency."""
    prices: dict[str, Decimal] = {}
    for row in rows:
        currency = str(row.get("currency") or "").strip().upper()
        if currency not in MINOR_UNITS:
            raise PackageRefused(
                _("“%(code)s” is not an ISO 4217 currency code.") % {"code": currency}, code="currency", field="prices"
            )
        try:
            amount = Decimal(str(row.get("amount")))
        except (InvalidOperation, ValueError):
            raise PackageRefused(_("Give the price as a number."), code="invalid_price", field="prices") from None
        if not amount.is_finite() or amount <= 0:
            raise PackageRefused(_("A price must be more than zero."), code="invalid_price", field="prices")
        try:
            to_minor(amount.normalize(), currency)
        except MoneyError as exc:
            raise PackageRefused(exc.message, code="invalid_price", field="prices") from None
        if currency in prices:
            raise PackageRefused(_("One price per currency."), code="duplicate_currency", field="prices")
        prices[currency] = amount
    if not prices:
        raise PackageRefused(_("Give the package a price."), code="required", field="prices")
    return list(prices.items())


def _check_offered(owner, duration: int | None) -> None:
    """A package's sessions must be a length the mentor offers, or learners could never book them."""
    from core.scheduling.services import availability

    lengths = availability.Settings.of(availability.profile_for(owner)).lengths
    if duration is not None and duration not in lengths:
        raise PackageRefused(
            _("You offer sessions of %(lengths)s minutes (your availability settings): pick one of those.")
            % {"lengths": ", ".join(map(str, lengths))},
            code="length_not_offered",
            field="duration_minutes",
        )


def save_package(mentor, data: Mapping, prices: Iterable[Mapping] | None, *, package: Package | None = None) -> Package:
    """Create (or change) ``mentor``'s package; ``prices`` None keeps the prices as they are."""
    if not getattr(mentor, "is_mentor", False):
        raise PackageNotAllowed(_("Only mentors sell packages."), code="not_a_mentor")
    if package is not None and package.mentor_id != mentor.pk and not mentor.is_staff:
        raise PackageNotAllowed(_("This package is not yours."), code="not_yours")
    values = clean_values(data, partial=package is not None)
    _check_offered(package.mentor if package is not None else mentor, values.get("duration_minutes"))
    cleaned_prices = clean_prices(prices) if prices is not None else None
    with transaction.atomic():
        if package is None:
            package = Package(mentor=mentor)
        for name, value in values.items():
            setattr(package, name, value)
        try:
            package.full_clean(exclude=["mentor"])
        except ValidationError as exc:
            field, messages = next(iter(exc.message_dict.items()))
            raise PackageRefused(" ".join(messages), field=field) from None
        package.save()
        if cleaned_prices is not None:
            PackagePrice.objects.filter(package=package).exclude(currency__in=[c for c, _a in cleaned_prices]).delete()
            for order, (currency, amount) in enumerate(cleaned_prices):
                PackagePrice.objects.update_or_create(
                    package=package, currency=currency, defaults={"amount": amount, "sort_order": order}
                )
    return package


def on_sale(mentor=None):
    """Packages learners can buy (of ``mentor``), with their prices."""
    packages = Package.objects.filter(active=True, prices__isnull=False).distinct().prefetch_related("prices")
    if mentor is not None:
        packages = packages.filter(mentor=mentor)
    return packages.select_related("mentor")
