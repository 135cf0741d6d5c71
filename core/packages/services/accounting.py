"""A package in the ledger: unearned at purchase, earned one credit at a time.

At purchase the charge splits as for a booking (:mod:`core.pricing.services.split`),
except that the session share is not yet anybody's: it is ``package_unearned``.
When a credit is earned (its session completed, a late cancellation, a no-show)
``package_release`` moves one credit's share into commission and the mentor's
earning on that booking. A refund of unused credits releases their share back to
the learner with the tax (and a refundable fee) pro rata; credits forfeited at
expiry become the platform's. Every step adds up to zero or to the cash that
moved, so :func:`core.payments.services.ledger.balances` stays balanced.

Call everything here inside the transaction that changes the purchase, with the
purchase row locked.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.payments.models import LedgerEntry, Payment, Refund
from core.payments.services.ledger import commission_of
from core.pricing.models import PaymentBreakdown
from core.pricing.services.split import ChargeParts, charge_parts

from ..models import CreditUse, PackagePurchase


def _entry(payment: Payment, kind: str, amount: int, memo: str, **links) -> LedgerEntry:
    return LedgerEntry.objects.create(
        payment=payment, kind=kind, amount_minor=amount, currency=payment.currency, memo=memo[:255], **links
    )


def parts_of(payment: Payment) -> ChargeParts:
    breakdown = PaymentBreakdown.objects.get(payment=payment)
    return charge_parts(breakdown, payment.commission_bp)


def paid_payment(purchase: PackagePurchase) -> Payment | None:
    """The payment that paid for the purchase (the first that succeeded)."""
    return Payment.objects.filter(purchase=purchase, status=Payment.SUCCEEDED).order_by("succeeded_at", "pk").first()


def record_charge(payment: Payment) -> list[LedgerEntry]:
    """The package was paid: charge, fee, tax, and the session share held as unearned."""
    if LedgerEntry.objects.filter(payment=payment, kind=LedgerEntry.CHARGE).exists():
        raise RuntimeError(f"payment {payment.pk} is already charged in the ledger")
    parts = parts_of(payment)
    memo = f"{payment.gateway} {payment.reference}"
    rows = [
        (LedgerEntry.CHARGE, payment.amount_minor, memo),
        (LedgerEntry.PACKAGE_UNEARNED, parts.commission + parts.earning, f"Package purchase {payment.purchase_id}"),
        (LedgerEntry.FEE, parts.fee, "Service fee"),
        (LedgerEntry.TAX, parts.tax, "Tax"),
    ]
    return [_entry(payment, kind, amount, m) for kind, amount, m in rows if amount or kind == LedgerEntry.CHARGE]


def unearned_left(payment: Payment) -> int:
    return LedgerEntry.objects.filter(payment=payment, kind__in=LedgerEntry.UNEARNED_KINDS).balance()


def credits_unsettled(purchase: PackagePurchase) -> int:
    """Credits whose share is still unearned: not earned, refunded or forfeited."""
    earned = CreditUse.objects.filter(purchase=purchase, status=CreditUse.EARNED).count()
    return purchase.sessions - purchase.credits_refunded - purchase.credits_forfeited - earned


def _share(payment: Payment, purchase: PackagePurchase, credits: int) -> int:
    """What ``credits`` of the still-unsettled ones hold of the unearned balance (the last ones take the rest).

    Refunds asked for and not yet settled have taken their credits already: their share is set aside.
    """
    from ..models import CreditRefund

    in_flight = CreditRefund.objects.filter(purchase=purchase, refund__status__in=Refund.COMMITTED_STATUSES).exclude(
        refund__status=Refund.SUCCEEDED
    )
    reserved = sum(in_flight.values_list("release_minor", flat=True))
    left, unsettled = unearned_left(payment) - reserved, credits_unsettled(purchase)
    if unsettled <= 0:
        return 0
    return left if credits >= unsettled else left * credits // unsettled


def recognise(use: CreditUse, purchase: PackagePurchase) -> list[LedgerEntry]:
    """One credit's session was delivered (or lost by the learner): the mentor earns its share, less commission.

    Call before marking ``use`` earned.
    """
    payment = paid_payment(purchase)
    if payment is None or LedgerEntry.objects.filter(booking_id=use.booking_id, kind=LedgerEntry.PACKAGE_RELEASE):
        return []
    release = _share(payment, purchase, 1)
    commission = commission_of(release, payment.commission_bp)
    memo = f"Package credit, booking {use.booking_id}"
    return [
        _entry(payment, LedgerEntry.PACKAGE_RELEASE, -release, memo, booking_id=use.booking_id),
        _entry(
            payment,
            LedgerEntry.COMMISSION,
            commission,
            f"{payment.commission_bp / 100:g} %",
            booking_id=use.booking_id,
        ),
        _entry(
            payment,
            LedgerEntry.MENTOR_EARNING,
            release - commission,
            memo,
            booking_id=use.booking_id,
            mentor_id=purchase.mentor_id,
        ),
    ]


def forfeit(purchase: PackagePurchase, credits: int) -> list[LedgerEntry]:
    """Unused credits lapsed with no refund: their share becomes the platform's (nobody delivered a session).

    Call before adding ``credits`` to ``purchase.credits_forfeited``.
    """
    payment = paid_payment(purchase)
    if payment is None or credits <= 0:
        return []
    release = _share(payment, purchase, credits)
    memo = f"{credits} unused credit(s) of package purchase {purchase.pk} expired"
    return [
        _entry(payment, LedgerEntry.PACKAGE_RELEASE, -release, memo),
        _entry(payment, LedgerEntry.COMMISSION, release, memo),
    ]


@dataclass(frozen=True)
class RefundSplit:
    """What refunding some unused credits gives back, by part; ``amount`` is their sum."""

    release: int
    fee: int
    tax: int

    @property
    def amount(self) -> int:
        return self.release + self.fee + self.tax


def refund_split(payment: Payment, purchase: PackagePurchase, credits: int, fee_refundable: bool) -> RefundSplit:
    """Pro rata: the credits' unearned share, their part of the session tax, and of the fee when it is refundable."""
    parts = parts_of(payment)
    release = _share(payment, purchase, credits)
    unearned_total = parts.commission + parts.earning
    tax = parts.session_tax * release // unearned_total if unearned_total else 0
    fee = fee_tax = 0
    if fee_refundable:
        fee = parts.fee * credits // purchase.sessions
        fee_tax = parts.fee_tax * credits // purchase.sessions
    return RefundSplit(release=release, fee=fee, tax=tax + fee_tax)


def record_refund(refund: Refund) -> list[LedgerEntry]:
    """A refund of a package payment went through: cash back, and the parts it carried reversed.

    A refund of unused credits reverses the split planned when it was asked for
    (:class:`~core.packages.models.CreditRefund`); any other (a duplicate payment
    refunded in full) reverses what is left of each part of that payment.
    """
    from ..models import CreditRefund

    payment = refund.payment
    if LedgerEntry.objects.filter(refund=refund).exists():
        raise RuntimeError(f"refund {refund.pk} is already in the ledger")
    memo = f"{refund.get_reason_display()} {refund.reference}".strip()
    planned = CreditRefund.objects.filter(refund=refund).first()
    mine = LedgerEntry.objects.filter(payment=payment)
    if planned is not None:
        release, fee, tax = planned.release_minor, planned.fee_minor, planned.tax_minor
    else:
        fee = mine.filter(kind__in=LedgerEntry.FEE_KINDS).balance()
        tax = mine.filter(kind__in=LedgerEntry.TAX_KINDS).balance()
        release = refund.amount_minor - fee - tax
    rows = [
        (LedgerEntry.REFUND, -refund.amount_minor),
        (LedgerEntry.PACKAGE_RELEASE, -release),
        (LedgerEntry.FEE_REVERSAL, -fee),
        (LedgerEntry.TAX_REVERSAL, -tax),
    ]
    return [
        _entry(payment, kind, amount, memo, refund=refund)
        for kind, amount in rows
        if amount or kind == LedgerEntry.REFUND
    ]
