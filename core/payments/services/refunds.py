"""Refunds through the payment's gateway, failing closed.

A refund is made in three steps so that money is never marked as moved
unless the gateway said it moved:

1. with the booking and payment rows locked, check what is left to refund
   (refunds asked for and not failed count) and record the refund as
   ``requested`` with its own idempotency key;
2. call the gateway (outside any transaction: it may be slow);
3. record its answer: ``succeeded`` writes the ledger (refund, commission
   reversal pro rata, earning reversal); ``pending`` waits for the gateway's
   event (or, for offline gateways, an editor); a refusal marks the refund
   ``failed`` and raises with the gateway's reason.

When the gateway does not answer at all (a timeout, a crash), nobody knows
whether the money moved: the refund stays ``requested`` (still counted, so it
cannot be doubled), the payment is held for review, and
:func:`retry_refund` asks again with the *same* idempotency key, which the
gateway answers with the first refund if there was one.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext

from core.plugins import RefundRequest, RefundResult
from core.scheduling.currency import format_money
from core.scheduling.models import Booking
from core.scheduling.services import series
from core.scheduling.services.bookings import lock_booking

from ..errors import (
    GatewayUnavailable,
    InvalidPayment,
    PaymentConflict,
    PaymentError,
    PaymentNotAllowed,
    UnknownGateway,
)
from ..models import Payment, Refund
from . import events, gateways, ledger
from .checkout import new_key

logger = logging.getLogger("peerlearn.payments")

#: Failures after which the gateway may have refunded anyway.
_UNKNOWN_OUTCOME = ("gateway_timeout", "gateway_exception", "gateway_bad_result")


def lock_subject(payment: Payment) -> Booking | None:
    """Lock what ``payment`` paid for before the payment itself: its booking, or its package purchase (None)."""
    if payment.booking_id is not None:
        return lock_booking(payment.booking_id)
    from core.packages.services.purchases import lock_purchase

    lock_purchase(payment.purchase_id)
    return None


def refund_payment(
    payment: Payment,
    amount_minor: int | None = None,
    *,
    reason: str = Refund.STAFF,
    by=None,
    note: str = "",
    site_id: int | None = None,
) -> Refund:
    """Refund ``amount_minor`` of ``payment`` (everything left when ``None``).

    A package's payment is refunded by its unused credits (core.packages), so that
    the ledger knows which credits went back; here only a duplicate is refunded whole.
    """
    if payment.purchase_id is not None and reason != Refund.DUPLICATE:
        raise PaymentConflict(
            "A package is refunded by its unused credits: use “Refund unused credits” on the purchase "
            "(Session packages → Purchases).",
            code="package_payment",
        )
    with transaction.atomic():
        lock_subject(payment)
        locked = Payment.objects.select_for_update().get(pk=payment.pk)
        if locked.status != Payment.SUCCEEDED:
            raise PaymentConflict(gettext("Only a payment that went through can be refunded."), code="not_refundable")
        if Refund.objects.filter(payment=locked, status=Refund.REQUESTED).exists():
            raise PaymentConflict(
                gettext("A refund of this payment is still waiting for the gateway's answer; retry that one first."),
                code="refund_in_flight",
            )
        left = locked.amount_minor - ledger.committed_refunds_minor(locked)
        if amount_minor is not None and amount_minor <= 0:
            raise InvalidPayment(gettext("A refund must be a positive amount."), code="invalid_amount", field="amount")
        if left <= 0:
            raise PaymentConflict(gettext("Nothing is left to refund on this payment."), code="fully_refunded")
        amount = left if amount_minor is None else amount_minor
        if amount > left:
            raise InvalidPayment(
                gettext("A refund of %(format_money)s is more than the %(format_money2)s left to refund.")
                % {
                    "format_money": format_money(amount, locked.currency),
                    "format_money2": format_money(left, locked.currency),
                },
                code="refund_too_large",
                field="amount",
            )
        refund = Refund.objects.create(
            payment=locked,
            amount_minor=amount,
            currency=locked.currency,
            status=Refund.REQUESTED,
            reason=reason,
            note=note[:255],
            idempotency_key=new_key("ref", locked.booking_id or 0),
            requested_by=by,
        )
    return _ask_gateway(refund, site_id=site_id)


def retry_refund(refund: Refund, *, by=None, site_id: int | None = None) -> Refund:
    """Ask the gateway again about a refund nobody got an answer for (same idempotency key)."""
    if refund.status != Refund.REQUESTED:
        raise PaymentConflict(
            gettext("This refund is %(get_status_display)s.")
            % {"get_status_display": refund.get_status_display().lower()},
            code="not_retryable",
        )
    return _ask_gateway(refund, site_id=site_id)


def _ask_gateway(refund: Refund, *, site_id: int | None) -> Refund:
    payment = refund.payment
    request = RefundRequest(
        reference=payment.reference,
        amount_minor=refund.amount_minor,
        currency=refund.currency,
        idempotency_key=refund.idempotency_key,
        charge_reference=payment.charge_reference,
        reason=refund.get_reason_display(),
    )
    try:
        routed = gateways.route(payment.gateway, site_id)
        result = gateways.call(routed, "refund", request, expect=RefundResult, site_id=site_id)
    except (GatewayUnavailable, UnknownGateway) as exc:
        _record_failure(refund, exc)
        raise GatewayUnavailable(
            f"The refund was not made: {exc.message}"
            + (" It is held for review; retry it once the gateway answers." if exc.code in _UNKNOWN_OUTCOME else ""),
            code=exc.code,
        ) from exc
    with transaction.atomic():
        booking = lock_subject(payment)
        locked_payment = Payment.objects.select_for_update().get(pk=payment.pk)
        refund = Refund.objects.select_for_update().get(pk=refund.pk)
        if refund.status != Refund.REQUESTED:  # a concurrent retry recorded it first
            return refund
        refund.reference = result.refund_reference[:255]
        if result.amount_minor != refund.amount_minor:
            events.flag(
                locked_payment,
                f"The gateway refunded {result.amount_minor} for a refund of {refund.amount_minor} "
                f"({result.refund_reference}).",
            )
        if result.status == "failed":
            refund.status = Refund.FAILED
            refund.failure_message = result.message or "The gateway could not refund."
            refund.save(update_fields=["reference", "status", "failure_message"])
        elif result.status == "succeeded":
            refund.save(update_fields=["reference"])
            events.settle_refund(refund, booking)
        else:
            refund.status = Refund.PENDING
            refund.failure_message = result.message
            refund.save(update_fields=["reference", "status", "failure_message"])
        events.replay_deferred(locked_payment)
    if refund.status == Refund.FAILED:
        raise GatewayUnavailable(
            gettext("The refund was not made: %(failure_message)s") % {"failure_message": refund.failure_message},
            code="gateway_refused",
        )
    return refund


def _record_failure(refund: Refund, exc: GatewayUnavailable | UnknownGateway) -> None:
    with transaction.atomic():
        locked = Refund.objects.select_for_update().get(pk=refund.pk)
        if locked.status != Refund.REQUESTED:
            return
        locked.failure_message = exc.message[:2000]
        if exc.code in _UNKNOWN_OUTCOME:
            locked.save(update_fields=["failure_message"])
            payment = Payment.objects.select_for_update().get(pk=locked.payment_id)
            events.flag(payment, f"Refund {locked.pk}: the gateway did not answer ({exc.message}); retry it.")
        else:
            locked.status = Refund.FAILED
            locked.save(update_fields=["status", "failure_message"])


# --- what staff and the booking policy ask for ------------------------------------------------


def refund_booking(booking: Booking, amount_minor: int | None = None, *, by, note: str = "") -> Refund:
    """Staff refund all or part of what a booking's learner paid."""
    if by is None or not by.is_staff:
        raise PaymentNotAllowed(gettext("Only staff can refund a booking."))
    payment = events.primary_payment(booking)
    if payment is None:
        raise PaymentConflict(gettext("This booking has no payment that went through."), code="not_paid")
    return refund_payment(payment, amount_minor, reason=Refund.STAFF, by=by, note=note)


def refund_by_policy(booking_id: int) -> Refund | None:
    """After a cancellation or no-show, refund what the policy decided (``booking.refund_minor``).

    Safe to run again: it refunds only what is still due, so a retried task or
    a second signal never refunds twice.
    """
    booking = Booking.objects.select_related("session").get(pk=booking_id)
    if booking.status not in (Booking.CANCELLED, Booking.NO_SHOW) or not booking.refund_minor:
        return None
    if series.anchor_payment(booking) is not None:  # one payment for a whole series: this session's share
        return series.refund_occurrence(booking)
    payment = events.primary_payment(booking)
    if payment is None:
        return None
    due = ledger.policy_refund_minor(booking, payment) - ledger.committed_refunds_minor(payment)
    if due <= 0:
        with transaction.atomic():
            events.close_if_refunded(lock_booking(booking.pk))
        return None
    note = f"{booking.refund_percent or 0} % under the cancellation policy ({booking.get_status_display().lower()})"
    try:
        return refund_payment(payment, due, reason=Refund.CANCELLATION, note=note)
    except PaymentError as exc:
        # The learner is owed this money: an editor must see it until it is refunded.
        with transaction.atomic():
            events.flag(Payment.objects.select_for_update().get(pk=payment.pk), f"Cancellation refund: {exc.message}")
        raise


def refund_released(booking_id: int) -> list[Refund]:
    """A booking the mentor declined (or never decided) gives back everything paid for it, in full.

    Safe to run again: only what is left on each succeeded payment is refunded.
    """
    refunds = []
    for payment in Payment.objects.filter(booking_id=booking_id, status=Payment.SUCCEEDED):
        if payment.amount_minor - ledger.committed_refunds_minor(payment) <= 0:
            continue
        try:
            refunds.append(refund_payment(payment, None, reason=Refund.CANCELLATION, note="booking not approved"))
        except PaymentError as exc:
            with transaction.atomic():
                events.flag(Payment.objects.select_for_update().get(pk=payment.pk), f"Release refund: {exc.message}")
            logger.warning("refund of released booking %s failed: %s", booking_id, exc.message)
    return refunds


def pending_manual_refunds():
    """Refunds waiting for an editor to send the money back (offline gateways)."""
    return Refund.objects.filter(status=Refund.PENDING).select_related("payment", "payment__booking")
