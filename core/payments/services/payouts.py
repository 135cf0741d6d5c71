"""Mentors' earnings, payouts, and the platform's revenue, all read from the ledger.

A mentor's earning on a booking is *pending* while the booking is upcoming
(confirmed) and *available* once it is over (completed, no-show) or closed
with money kept (a late cancellation). A payout pays out everything available
in one currency and writes one ``payout`` entry per booking, so each booking
shows what of it was paid.

**Refund after payout.** When a booking that was already paid out is refunded
later (a complaint, a dispute), its earning reversal makes the mentor's
balance on that booking negative. Nothing is clawed back from the mentor's
bank account: the negative balance is *available* like any other, so the next
payout is reduced by it (its entry for that booking is positive: a recovery).
If a mentor's available total is zero or negative, no payout can be made and
the balance carries over until new earnings cover it.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext

from core.scheduling.currency import format_money, to_decimal
from core.scheduling.models import Booking
from core.security.spreadsheet import csv_writer

from ..errors import InvalidPayment, PaymentConflict
from ..models import LedgerEntry, Payout

PENDING_STATUSES = (Booking.PENDING_PAYMENT, Booking.CONFIRMED)


@dataclass
class EarningLine:
    """One booking of a mentor, in one currency."""

    booking_id: int
    session_title: str
    starts_at: datetime
    booking_status: str
    currency: str
    paid_minor: int = 0  # what the learner paid (charges)
    refunded_minor: int = 0  # what went back to the learner
    commission_minor: int = 0  # the platform's share, net of reversals
    earned_minor: int = 0  # the mentor's share, net of reversals
    paid_out_minor: int = 0  # what was sent to the mentor for this booking

    @property
    def balance_minor(self) -> int:
        return self.earned_minor - self.paid_out_minor

    @property
    def state(self) -> str:
        if self.booking_status in PENDING_STATUSES:
            return "pending"
        if self.balance_minor == 0:
            return "paid_out" if self.paid_out_minor else "settled"
        return "available" if self.balance_minor > 0 else "owed"


@dataclass
class EarningTotals:
    currency: str
    pending_minor: int = 0
    available_minor: int = 0
    paid_out_minor: int = 0


@dataclass
class Earnings:
    totals: list[EarningTotals] = field(default_factory=list)
    lines: list[EarningLine] = field(default_factory=list)


_LINE_FIELD = {
    LedgerEntry.CHARGE: "paid_minor",
    LedgerEntry.COMMISSION: "commission_minor",
    LedgerEntry.COMMISSION_REVERSAL: "commission_minor",
    LedgerEntry.MENTOR_EARNING: "earned_minor",
    LedgerEntry.EARNING_REVERSAL: "earned_minor",
}


def earning_lines(mentor, *, currency: str | None = None) -> list[EarningLine]:
    """One line per booking of ``mentor``'s sessions that has ledger entries, newest first."""
    entries = LedgerEntry.objects.filter(booking__session__mentor=mentor)
    if currency:
        entries = entries.filter(currency=currency)
    rows = entries.values(
        "booking_id",
        "booking__session__title",
        "booking__starts_at",
        "booking__status",
        "currency",
        "kind",
    ).annotate(total=Sum("amount_minor"))
    lines: dict[tuple[int, str], EarningLine] = {}
    for row in rows:
        key = (row["booking_id"], row["currency"])
        line = lines.get(key)
        if line is None:
            line = lines[key] = EarningLine(
                booking_id=row["booking_id"],
                session_title=row["booking__session__title"],
                starts_at=row["booking__starts_at"],
                booking_status=row["booking__status"],
                currency=row["currency"],
            )
        total = int(row["total"] or 0)
        if row["kind"] == LedgerEntry.REFUND:
            line.refunded_minor += -total
        elif row["kind"] == LedgerEntry.PAYOUT:
            line.paid_out_minor += -total
        elif row["kind"] in _LINE_FIELD:  # fees, platform discounts and tax are not the mentor's
            name = _LINE_FIELD[row["kind"]]
            setattr(line, name, getattr(line, name) + total)
    return sorted(lines.values(), key=lambda line: (line.starts_at, line.booking_id), reverse=True)


def mentor_earnings(mentor) -> Earnings:
    lines = earning_lines(mentor)
    totals: dict[str, EarningTotals] = {}
    for line in lines:
        total = totals.setdefault(line.currency, EarningTotals(currency=line.currency))
        total.paid_out_minor += line.paid_out_minor
        if line.state == "pending":
            total.pending_minor += line.balance_minor
        else:
            total.available_minor += line.balance_minor
    return Earnings(totals=sorted(totals.values(), key=lambda t: t.currency), lines=lines)


def available_balances(currency: str | None = None) -> list[tuple[object, str, int]]:
    """``(mentor, currency, available)`` of every mentor with something available, biggest first."""
    rows = (
        LedgerEntry.objects.filter(kind__in=LedgerEntry.MENTOR_KINDS, mentor__isnull=False)
        .exclude(booking__status__in=PENDING_STATUSES)
        .values("mentor_id", "currency")
        .annotate(total=Sum("amount_minor"))
    )
    if currency:
        rows = rows.filter(currency=currency)
    users = get_user_model().objects.in_bulk([row["mentor_id"] for row in rows])
    result = [(users[row["mentor_id"]], row["currency"], int(row["total"] or 0)) for row in rows if row["total"]]
    return sorted(result, key=lambda item: -item[2])


def record_payout(mentor, currency: str, *, by=None, reference: str = "", note: str = "") -> Payout:
    """Pay out everything ``mentor`` has available in ``currency`` (one entry per booking)."""
    currency = (currency or "").upper()
    with transaction.atomic():
        # One payout of a mentor at a time: the mentor's row is the lock.
        get_user_model().objects.select_for_update().filter(pk=mentor.pk).values_list("pk", flat=True).first()
        rows = (
            LedgerEntry.objects.filter(
                mentor=mentor, currency=currency, kind__in=LedgerEntry.MENTOR_KINDS, booking__isnull=False
            )
            .exclude(booking__status__in=PENDING_STATUSES)
            .values("booking_id")
            .annotate(balance=Sum("amount_minor"))
        )
        balances = {row["booking_id"]: int(row["balance"]) for row in rows if row["balance"]}
        total = sum(balances.values())
        if not balances:
            raise PaymentConflict(
                gettext("%(mentor)s has nothing available in %(currency)s to pay out.")
                % {"mentor": mentor, "currency": currency},
                code="nothing_to_pay",
            )
        if total <= 0:
            raise PaymentConflict(
                gettext(
                    "%(mentor)s's available balance is %(balance)s: refunds after earlier payouts are "
                    "recovered from future earnings before anything is paid out."
                )
                % {"mentor": mentor, "balance": format_money(total, currency) if total else 0},
                code="negative_balance",
            )
        payout = Payout.objects.create(
            mentor=mentor,
            amount_minor=total,
            currency=currency,
            reference=reference[:255],
            note=note[:255],
            created_by=by,
        )
        LedgerEntry.objects.bulk_create(
            LedgerEntry(
                booking_id=booking_id,
                payout=payout,
                mentor=mentor,
                kind=LedgerEntry.PAYOUT,
                amount_minor=-balance,
                currency=currency,
                memo=(f"Payout {payout.pk}" + (" (recovery of a refund after payout)" if balance < 0 else ""))[:255],
            )
            for booking_id, balance in sorted(balances.items())
        )
    return payout


# --- the platform's view ------------------------------------------------------------------------


@dataclass
class PeriodRevenue:
    month: datetime
    currency: str
    charged_minor: int = 0
    refunded_minor: int = 0
    commission_minor: int = 0
    mentor_earnings_minor: int = 0
    paid_out_minor: int = 0
    fees_minor: int = 0  # service fees, net of reversals
    discounts_minor: int = 0  # <= 0: coupons the platform paid for
    tax_minor: int = 0  # collected for the tax authority

    @property
    def net_minor(self) -> int:
        return self.charged_minor - self.refunded_minor


def revenue_by_month(start: datetime | None = None, end: datetime | None = None) -> list[PeriodRevenue]:
    """Charges, refunds, commission (net of reversals), mentors' earnings and payouts per month and currency."""
    entries = LedgerEntry.objects.all()
    if start is not None:
        entries = entries.filter(created_at__gte=start)
    if end is not None:
        entries = entries.filter(created_at__lt=end)
    rows = (
        entries.annotate(month=TruncMonth("created_at"))
        .values("month", "currency", "kind")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    result: dict[tuple, PeriodRevenue] = {}
    for row in rows:
        key = (row["month"], row["currency"])
        period = result.get(key) or PeriodRevenue(month=row["month"], currency=row["currency"])
        result[key] = period
        total = int(row["total"] or 0)
        kind = row["kind"]
        if kind == LedgerEntry.CHARGE:
            period.charged_minor += total
        elif kind == LedgerEntry.REFUND:
            period.refunded_minor += -total
        elif kind in LedgerEntry.COMMISSION_KINDS:
            period.commission_minor += total
        elif kind in LedgerEntry.FEE_KINDS:
            period.fees_minor += total
        elif kind in LedgerEntry.DISCOUNT_KINDS:
            period.discounts_minor += total
        elif kind in LedgerEntry.TAX_KINDS:
            period.tax_minor += total
        elif kind in (LedgerEntry.MENTOR_EARNING, LedgerEntry.EARNING_REVERSAL):
            period.mentor_earnings_minor += total
        elif kind == LedgerEntry.PAYOUT:
            period.paid_out_minor += -total
    return sorted(result.values(), key=lambda p: (p.month, p.currency), reverse=True)


CSV_COLUMNS = [
    "entry_id",
    "created_at_utc",
    "kind",
    "amount",
    "currency",
    "amount_minor",
    "booking_id",
    "session",
    "mentor_email",
    "gateway",
    "payment_reference",
    "refund_reference",
    "payout_id",
    "memo",
]


def ledger_csv(entries: Iterable[LedgerEntry] | None = None) -> str:
    """The ledger as CSV for the accountant (amounts as decimals with the currency's places)."""
    if entries is None:
        entries = LedgerEntry.objects.all()
    if hasattr(entries, "select_related"):
        entries = entries.select_related("booking__session", "payment", "refund", "mentor").order_by("created_at", "pk")
    out = io.StringIO()
    writer = csv_writer(out)
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        writer.writerow(
            [
                entry.pk,
                entry.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                entry.kind,
                str(to_decimal(entry.amount_minor, entry.currency)),
                entry.currency,
                entry.amount_minor,
                entry.booking_id or "",
                entry.booking.session.title if entry.booking_id else "",
                entry.mentor.email if entry.mentor_id else "",
                entry.payment.gateway if entry.payment_id else "",
                entry.payment.reference if entry.payment_id else "",
                entry.refund.reference if entry.refund_id else "",
                entry.payout_id or "",
                entry.memo,
            ]
        )
    return out.getvalue()


def parse_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise InvalidPayment(
            gettext("Give a three-letter ISO currency code."), code="invalid_currency", field="currency"
        )
    return code
