"""How a payment with a fee, a discount or tax splits in the ledger, on the charge and on each refund.

The charge ``total`` splits into parts that always add up to it::

    commission + mentor_earning + fee + discount (negative, when the platform bears it) + tax = total

The mentor's base is the session net of tax, plus the discount when the
platform bears it (the mentor then earns on the full price); commission is
taken from the base only, never from the fee or tax.

A refund reverses the parts pro rata, from running totals so that refunds in
any number of pieces reverse exactly what the charge carried. When the fee is
not refundable, a refund reverses the session's parts first and reaches the
fee's parts only beyond them (a staff refund of everything).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Coupon, PaymentBreakdown


def commission_of(amount_minor: int, rate_bp: int) -> int:
    return (amount_minor * rate_bp + 5_000) // 10_000


@dataclass(frozen=True)
class ChargeParts:
    commission: int
    earning: int
    fee: int  # the fee net of its tax
    discount: int  # <= 0: what the platform pays of the discount
    session_tax: int
    fee_tax: int

    @property
    def tax(self) -> int:
        return self.session_tax + self.fee_tax

    @property
    def session_gross(self) -> int:
        """What the learner paid for the session (after discount, with its tax)."""
        return self.commission + self.earning + self.discount + self.session_tax

    @property
    def fee_gross(self) -> int:
        return self.fee + self.fee_tax

    @property
    def total(self) -> int:
        return self.session_gross + self.fee_gross


def charge_parts(b: PaymentBreakdown, commission_bp: int) -> ChargeParts:
    inclusive = b.prices_include_tax
    session_net = b.price_minor - b.discount_minor - (b.session_tax_minor if inclusive else 0)
    platform_pays = b.discount_minor if b.discount_bearer == Coupon.PLATFORM else 0
    base = session_net + platform_pays
    commission = commission_of(base, commission_bp)
    parts = ChargeParts(
        commission=commission,
        earning=base - commission,
        fee=b.fee_minor - (b.fee_tax_minor if inclusive else 0),
        discount=-platform_pays,
        session_tax=b.session_tax_minor,
        fee_tax=b.fee_tax_minor,
    )
    if parts.total != b.total_minor:  # the breakdown was not made by quotes.compute
        raise ValueError(f"breakdown of payment {b.payment_id} does not add up: {parts} != {b.total_minor}")
    return parts


@dataclass(frozen=True)
class ReversalTargets:
    """Cumulative magnitudes to have reversed once ``refunded`` in total is refunded."""

    commission: int
    fee: int
    discount: int  # magnitude of the platform's discount given back to the platform
    tax: int


def _part(amount: int, of: int, pool: int) -> int:
    return amount * of // pool if pool else 0


def reversal_targets(parts: ChargeParts, refunded: int, fee_refundable: bool) -> ReversalTargets:
    if fee_refundable:
        pool = parts.total
        return ReversalTargets(
            commission=_part(refunded, parts.commission, pool),
            fee=_part(refunded, parts.fee, pool),
            discount=_part(refunded, -parts.discount, pool),
            tax=_part(refunded, parts.tax, pool),
        )
    session = min(refunded, parts.session_gross)
    fee = refunded - session
    return ReversalTargets(
        commission=_part(session, parts.commission, parts.session_gross),
        fee=_part(fee, parts.fee, parts.fee_gross),
        discount=_part(session, -parts.discount, parts.session_gross),
        tax=_part(session, parts.session_tax, parts.session_gross) + _part(fee, parts.fee_tax, parts.fee_gross),
    )


def policy_refund(parts: ChargeParts, percent: int, fee_refundable: bool) -> int:
    """What a cancellation refunding ``percent`` % gives back: that share of the session (and of a refundable fee)."""
    amount = parts.session_gross * percent // 100
    if fee_refundable:
        amount += parts.fee_gross * percent // 100
    return amount
