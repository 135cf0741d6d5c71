"""Writing the ledger and reading balances from it.

Entries are written inside the caller's transaction, with the booking and the
payment rows locked, so two processes can never write the same movement
twice. Amounts are integers: the commission is rounded half up once, on the
charge; reversals are computed from running totals so that refunding a
payment in any number of parts reverses exactly the commission it carried.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Sum
from wagtail.models import Site

from ..models import BookingCommission, LedgerEntry, Payment, PaymentSettings, Refund


def commission_of(amount_minor: int, rate_bp: int) -> int:
    """The platform's share of ``amount_minor`` at ``rate_bp`` basis points, rounded half up."""
    return (amount_minor * rate_bp + 5_000) // 10_000


def payment_settings(site: Site | None = None) -> PaymentSettings:
    """The payment settings of ``site`` (default: the default site); defaults when there is no site."""
    if site is None:
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()
    if site is None:
        return PaymentSettings()
    return PaymentSettings.for_site(site)


def current_commission_bp(site: Site | None = None) -> int:
    """The commission rate in force on ``site`` (default: the default site)."""
    return payment_settings(site).commission_bp


def booking_commission_bp(booking) -> int:
    """The rate for a new booking: the site's, or the mentor's premium plan's when that is lower."""
    return mentor_commission_bp(booking.session.mentor_id)


def mentor_commission_bp(mentor_id: int) -> int:
    """The rate on what ``mentor_id`` sells now (a booking, a package): the site's, or their plan's when lower."""
    from core.subscriptions.benefits import plan_commission_bp

    site_rate = current_commission_bp()
    plan_rate = plan_commission_bp(mentor_id)
    return site_rate if plan_rate is None else min(site_rate, plan_rate)


def freeze_commission(booking) -> int:
    """The rate frozen for ``booking`` (frozen now at the current rate if it was not yet)."""
    record = BookingCommission.objects.filter(booking_id=booking.pk).first()
    if record is None:
        record, _ = BookingCommission.objects.get_or_create(
            booking_id=booking.pk, defaults={"rate_bp": booking_commission_bp(booking)}
        )
    return record.rate_bp


def _entry(payment: Payment, kind: str, amount: int, *, mentor_id: int | None, memo: str, **links) -> LedgerEntry:
    return LedgerEntry.objects.create(
        booking_id=payment.booking_id,
        payment=payment,
        mentor_id=mentor_id,
        kind=kind,
        amount_minor=amount,
        currency=payment.currency,
        memo=memo[:255],
        **links,
    )


def _breakdown(payment: Payment):
    """The fee/discount/tax breakdown frozen on ``payment`` (None: the whole amount is the session's)."""
    from core.pricing.models import PaymentBreakdown

    return PaymentBreakdown.objects.filter(payment=payment).first()


def record_charge(payment: Payment, mentor_id: int) -> list[LedgerEntry]:
    """The learner's money arrived: charge, the platform's commission and the mentor's earning.

    With a breakdown (a service fee, a coupon, tax), the fee, the discount the
    platform pays and the tax get entries of their own; commission is taken
    from the mentor's base only (see core.pricing.services.split).
    """
    if LedgerEntry.objects.filter(payment=payment, kind=LedgerEntry.CHARGE).exists():
        raise RuntimeError(f"payment {payment.pk} is already charged in the ledger")
    memo = f"{payment.gateway} {payment.reference}"
    rate = f"{payment.commission_bp / 100:g} %"
    breakdown = _breakdown(payment)
    if breakdown is None:
        commission = commission_of(payment.amount_minor, payment.commission_bp)
        return [
            _entry(payment, LedgerEntry.CHARGE, payment.amount_minor, mentor_id=None, memo=memo),
            _entry(payment, LedgerEntry.COMMISSION, commission, mentor_id=None, memo=rate),
            _entry(
                payment, LedgerEntry.MENTOR_EARNING, payment.amount_minor - commission, mentor_id=mentor_id, memo=memo
            ),
        ]
    from core.pricing.services.split import charge_parts

    parts = charge_parts(breakdown, payment.commission_bp)
    entries = [
        _entry(payment, LedgerEntry.CHARGE, payment.amount_minor, mentor_id=None, memo=memo),
        _entry(payment, LedgerEntry.COMMISSION, parts.commission, mentor_id=None, memo=rate),
        _entry(payment, LedgerEntry.MENTOR_EARNING, parts.earning, mentor_id=mentor_id, memo=memo),
    ]
    extra = [
        (LedgerEntry.FEE, parts.fee, "Service fee"),
        (
            LedgerEntry.DISCOUNT,
            parts.discount,
            f"Coupon {breakdown.redemption.coupon.code if breakdown.redemption else ''}",
        ),
        (LedgerEntry.TAX, parts.tax, f"{breakdown.tax_name} {breakdown.tax_percent} % {breakdown.tax_country}"),
    ]
    entries += [_entry(payment, kind, amount, mentor_id=None, memo=m) for kind, amount, m in extra if amount]
    return entries


def refunded_minor(payment: Payment) -> int:
    """What has been refunded on ``payment`` (refunds that went through)."""
    total = Refund.objects.filter(payment=payment, status=Refund.SUCCEEDED).aggregate(t=Sum("amount_minor"))["t"]
    return int(total or 0)


def committed_refunds_minor(payment: Payment) -> int:
    """Refunded, plus refunds asked for and not failed: what can no longer be refunded."""
    refunds = Refund.objects.filter(payment=payment, status__in=Refund.COMMITTED_STATUSES)
    return int(refunds.aggregate(t=Sum("amount_minor"))["t"] or 0)


def record_refund(refund: Refund, mentor_id: int) -> list[LedgerEntry]:
    """A refund went through: money back to the learner, commission and earning reversed pro rata.

    With a breakdown, the fee, the platform's discount and the tax are reversed
    too, pro rata (a non-refundable fee last: see core.pricing.services.split).
    """
    payment = refund.payment
    if LedgerEntry.objects.filter(refund=refund).exists():
        raise RuntimeError(f"refund {refund.pk} is already in the ledger")
    mine = LedgerEntry.objects.filter(payment=payment)
    before = mine.filter(kind=LedgerEntry.REFUND).balance()  # <= 0
    refunded_after = -before + refund.amount_minor
    memo = f"{refund.get_reason_display()} {refund.reference}".strip()
    breakdown = _breakdown(payment)
    if breakdown is None:
        commission = commission_of(payment.amount_minor, payment.commission_bp)
        reversed_before = -mine.filter(kind=LedgerEntry.COMMISSION_REVERSAL).balance()
        reversal = refunded_after * commission // payment.amount_minor - reversed_before
        return [
            _entry(payment, LedgerEntry.REFUND, -refund.amount_minor, mentor_id=None, memo=memo, refund=refund),
            _entry(payment, LedgerEntry.COMMISSION_REVERSAL, -reversal, mentor_id=None, memo=memo, refund=refund),
            _entry(
                payment,
                LedgerEntry.EARNING_REVERSAL,
                -(refund.amount_minor - reversal),
                mentor_id=mentor_id,
                memo=memo,
                refund=refund,
            ),
        ]
    from core.pricing.services.split import charge_parts, reversal_targets

    parts = charge_parts(breakdown, payment.commission_bp)
    targets = reversal_targets(parts, refunded_after, breakdown.fee_refundable)
    commission = targets.commission + mine.filter(kind=LedgerEntry.COMMISSION_REVERSAL).balance()
    fee = targets.fee + mine.filter(kind=LedgerEntry.FEE_REVERSAL).balance()
    discount = targets.discount - mine.filter(kind=LedgerEntry.DISCOUNT_REVERSAL).balance()
    tax = targets.tax + mine.filter(kind=LedgerEntry.TAX_REVERSAL).balance()
    earning = refund.amount_minor - commission - fee + discount - tax
    entries = [
        _entry(payment, LedgerEntry.REFUND, -refund.amount_minor, mentor_id=None, memo=memo, refund=refund),
        _entry(payment, LedgerEntry.COMMISSION_REVERSAL, -commission, mentor_id=None, memo=memo, refund=refund),
        _entry(payment, LedgerEntry.EARNING_REVERSAL, -earning, mentor_id=mentor_id, memo=memo, refund=refund),
    ]
    extra = [
        (LedgerEntry.FEE_REVERSAL, -fee),
        (LedgerEntry.DISCOUNT_REVERSAL, discount),
        (LedgerEntry.TAX_REVERSAL, -tax),
    ]
    entries += [
        _entry(payment, kind, amount, mentor_id=None, memo=memo, refund=refund) for kind, amount in extra if amount
    ]
    return entries


def record_free_booking(booking, *, discount_bearer: str, commission_bp: int, mentor_id: int) -> list[LedgerEntry]:
    """A coupon covered the whole price: nothing is charged; a platform-borne coupon still pays the mentor."""
    if booking.price_minor <= 0 or discount_bearer != "platform":
        return []  # the mentor gave the session away: no money moves
    commission = commission_of(booking.price_minor, commission_bp)
    rows = [
        (LedgerEntry.COMMISSION, commission, None, f"{commission_bp / 100:g} %"),
        (LedgerEntry.MENTOR_EARNING, booking.price_minor - commission, mentor_id, "Covered by a coupon"),
        (LedgerEntry.DISCOUNT, -booking.price_minor, None, "Coupon paid by the platform"),
    ]
    return [
        LedgerEntry.objects.create(
            booking=booking, mentor_id=mentor, kind=kind, amount_minor=amount, currency=booking.currency, memo=memo
        )
        for kind, amount, mentor, memo in rows
    ]


def reverse_free_booking(booking, *, mentor_id: int) -> list[LedgerEntry]:
    """Undo :func:`record_free_booking` (a cancellation inside the free window); safe to call twice."""
    mine = LedgerEntry.objects.filter(booking=booking, payment__isnull=True, payout__isnull=True)
    pairs = [
        (LedgerEntry.COMMISSION, LedgerEntry.COMMISSION_REVERSAL, None),
        (LedgerEntry.MENTOR_EARNING, LedgerEntry.EARNING_REVERSAL, mentor_id),
        (LedgerEntry.DISCOUNT, LedgerEntry.DISCOUNT_REVERSAL, None),
    ]
    totals = dict(mine.order_by().values("kind").annotate(total=Sum("amount_minor")).values_list("kind", "total"))
    entries = []
    for kind, reversal, mentor in pairs:
        left = totals.get(kind, 0) + totals.get(reversal, 0)
        if left:
            entries.append(
                LedgerEntry.objects.create(
                    booking=booking,
                    mentor_id=mentor,
                    kind=reversal,
                    amount_minor=-left,
                    currency=booking.currency,
                    memo="Cancelled in the free window",
                )
            )
    return entries


def policy_refund_minor(booking, payment: Payment) -> int:
    """What the cancellation policy gives back of ``payment`` in total (before refunds already made)."""
    breakdown = _breakdown(payment)
    if breakdown is None or booking.refund_percent is None:
        return min(booking.refund_minor or 0, payment.amount_minor)
    from core.pricing.services.split import charge_parts, policy_refund

    parts = charge_parts(breakdown, payment.commission_bp)
    return min(policy_refund(parts, int(booking.refund_percent), breakdown.fee_refundable), payment.amount_minor)


@dataclass(frozen=True)
class Balances:
    """The sums of a set of entries, by who the money is with."""

    held: int  # charge + refund: what the gateway holds
    platform: int  # commission, fees, less discounts the platform pays (net of reversals)
    mentor_earned: int  # earnings + reversals
    paid_out: int  # -(payout entries): what was sent to the mentor
    currency: str
    tax: int = 0  # tax collected for the tax authority, net of reversals
    unearned: int = 0  # session packages paid for and not yet delivered or refunded

    @property
    def mentor_balance(self) -> int:
        return self.mentor_earned - self.paid_out

    @property
    def balanced(self) -> bool:
        """The split adds up to what is held."""
        return self.platform + self.mentor_earned + self.tax + self.unearned == self.held


def balances(entries: Iterable[LedgerEntry] | None = None, **filters) -> Balances:
    """Balances of ``entries`` (or of ``LedgerEntry.objects.filter(**filters)``)."""
    rows = (
        LedgerEntry.objects.filter(**filters).values("kind", "currency").annotate(total=Sum("amount_minor"))
        if entries is None
        else [{"kind": e.kind, "currency": e.currency, "total": e.amount_minor} for e in entries]
    )
    totals: dict[str, int] = {}
    currencies = set()
    for row in rows:
        totals[row["kind"]] = totals.get(row["kind"], 0) + int(row["total"] or 0)
        currencies.add(row["currency"])
    if len(currencies) > 1:
        raise ValueError(f"balances across currencies {sorted(currencies)} cannot be summed")

    def total(*kinds: str) -> int:
        return sum(totals.get(kind, 0) for kind in kinds)

    return Balances(
        held=total(*LedgerEntry.CASH_KINDS),
        platform=total(*LedgerEntry.PLATFORM_KINDS),
        mentor_earned=total(LedgerEntry.MENTOR_EARNING, LedgerEntry.EARNING_REVERSAL),
        paid_out=-total(LedgerEntry.PAYOUT),
        currency=next(iter(currencies), ""),
        tax=total(*LedgerEntry.TAX_KINDS),
        unearned=total(*LedgerEntry.UNEARNED_KINDS),
    )
