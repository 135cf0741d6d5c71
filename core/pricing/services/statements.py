"""A mentor's monthly statement: earnings, commission and payouts of one calendar month (UTC), from the ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from django.db.models import Sum
from django.utils.translation import gettext

from core.payments.models import LedgerEntry

from ..errors import StatementRefused


@dataclass
class StatementLine:
    booking_id: int
    session_title: str
    starts_at: datetime
    currency: str
    gross_minor: int = 0  # the session's share before commission (earning + commission)
    commission_minor: int = 0
    earned_minor: int = 0


@dataclass
class StatementTotals:
    currency: str
    gross_minor: int = 0
    commission_minor: int = 0
    earned_minor: int = 0
    paid_out_minor: int = 0


@dataclass
class Statement:
    month: date
    lines: list[StatementLine] = field(default_factory=list)
    totals: list[StatementTotals] = field(default_factory=list)


def parse_month(value: str, *, today: date | None = None) -> date:
    """``YYYY-MM`` (default: this month) within the last ten years; :class:`StatementRefused` otherwise."""
    today = today or datetime.now(UTC).date()
    if not value:
        return today.replace(day=1)
    try:
        month = datetime.strptime(value.strip()[:7], "%Y-%m").date()
    except ValueError:
        raise StatementRefused(gettext("Give the month as YYYY-MM, e.g. 2026-11.")) from None
    if month > today or month.year < today.year - 10:
        raise StatementRefused(gettext("Statements cover the last ten years up to this month."))
    return month


def _bounds(month: date) -> tuple[datetime, datetime]:
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    end = datetime(month.year + (month.month == 12), month.month % 12 + 1, 1, tzinfo=UTC)
    return start, end


def monthly_statement(mentor, month: date) -> Statement:
    start, end = _bounds(month)
    entries = LedgerEntry.objects.filter(booking__session__mentor=mentor, created_at__gte=start, created_at__lt=end)
    kinds = (
        LedgerEntry.COMMISSION,
        LedgerEntry.COMMISSION_REVERSAL,
        LedgerEntry.MENTOR_EARNING,
        LedgerEntry.EARNING_REVERSAL,
    )
    rows = (
        entries.filter(kind__in=kinds)
        .values("booking_id", "booking__session__title", "booking__starts_at", "currency", "kind")
        .annotate(total=Sum("amount_minor"))
    )
    lines: dict[tuple[int, str], StatementLine] = {}
    for row in rows:
        key = (row["booking_id"], row["currency"])
        line = lines.setdefault(
            key,
            StatementLine(
                row["booking_id"], row["booking__session__title"], row["booking__starts_at"], row["currency"]
            ),
        )
        amount = int(row["total"] or 0)
        if row["kind"] in LedgerEntry.COMMISSION_KINDS:
            line.commission_minor += amount
        else:
            line.earned_minor += amount
        line.gross_minor += amount
    totals: dict[str, StatementTotals] = {}
    for line in lines.values():
        total = totals.setdefault(line.currency, StatementTotals(line.currency))
        total.gross_minor += line.gross_minor
        total.commission_minor += line.commission_minor
        total.earned_minor += line.earned_minor
    payouts = (
        LedgerEntry.objects.filter(mentor=mentor, kind=LedgerEntry.PAYOUT, created_at__gte=start, created_at__lt=end)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
    )
    for row in payouts:
        totals.setdefault(row["currency"], StatementTotals(row["currency"])).paid_out_minor += -int(row["total"] or 0)
    return Statement(
        month=month,
        lines=sorted(lines.values(), key=lambda line: (line.starts_at, line.booking_id)),
        totals=sorted(totals.values(), key=lambda total: total.currency),
    )
