"""Reconciliation: compare recent payments at their gateways with the ledger, flag differences.

Run by Celery beat (``core.payments.tasks.reconcile_payments``) and from the
admin. A payment the gateway took but whose success never reached our ledger
(the webhook was lost, or the process died between the charge and its commit)
is applied as an event from source ``reconcile``, through the same code as the
webhook: the booking is confirmed, or a late payment refunded, and a refund
the gateway already reports is recorded. Any other difference is only
*flagged* (``Payment.needs_review`` with the reason): what to do about it is an
editor's decision, and the admin shows flagged payments first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.plugins import PaymentState, WebhookEvent

from ..errors import GatewayUnavailable, UnknownGateway
from ..models import LedgerEntry, Payment
from . import events, gateways

logger = logging.getLogger("peerlearn.payments")


@dataclass
class ReconcileReport:
    checked: int = 0
    flagged: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)
    skipped: int = 0
    errors: list[str] = field(default_factory=list)


def compare(payment: Payment, state: PaymentState) -> str:
    """The difference between the gateway's view and ours, or "" when they agree."""
    held_in_ledger = LedgerEntry.objects.filter(payment=payment, kind__in=LedgerEntry.CASH_KINDS).balance()
    if state.status == "succeeded":
        if state.amount_minor != payment.amount_minor or state.currency.upper() != payment.currency:
            return (
                f"The gateway's payment is {state.amount_minor} {state.currency}, "
                f"ours {payment.amount_minor} {payment.currency}."
            )
        if payment.status != Payment.SUCCEEDED:
            return "The gateway says paid, but no success event was processed (a lost webhook?)."
        held_at_gateway = state.amount_minor - state.refunded_minor
        if held_at_gateway != held_in_ledger:
            return f"The gateway holds {held_at_gateway} {payment.currency}, the ledger {held_in_ledger}."
        return ""
    if payment.status == Payment.SUCCEEDED:
        return f"The ledger records the payment, but the gateway says it is {state.status}."
    return ""


def recover(payment: Payment, state: PaymentState) -> bool:
    """Apply a success (and refunds) the gateway reports but the ledger lacks; True if it did.

    The event ids are fixed per payment, so a second run, or the webhook that
    arrives late after all, is a duplicate and changes nothing.
    """
    if state.status != "succeeded" or payment.status == Payment.SUCCEEDED:
        return False
    if state.amount_minor != payment.amount_minor or state.currency.upper() != payment.currency:
        return False  # compare() flags it: an editor decides
    common = {
        "reference": payment.reference,
        "amount_minor": state.amount_minor,
        "currency": state.currency.upper(),
        "charge_reference": state.charge_reference,
    }
    events.process_event(
        payment.gateway,
        WebhookEvent(event_id=f"reconcile-{payment.pk}-succeeded", kind="succeeded", raw_type="reconcile", **common),
        source="reconcile",
    )
    if state.refunded_minor:
        refunded = WebhookEvent(
            event_id=f"reconcile-{payment.pk}-refunded-{state.refunded_minor}",
            kind="refunded",
            raw_type="reconcile",
            refunded_total_minor=state.refunded_minor,
            **common,
        )
        events.process_event(payment.gateway, refunded, source="reconcile")
    return True


def reconcile(*, since: datetime | None = None, site_id: int | None = None) -> ReconcileReport:
    """Check payments changed since ``since`` (default: the last 3 days)."""
    since = since or timezone.now() - timedelta(days=3)
    report = ReconcileReport()
    payments = Payment.objects.exclude(reference="").filter(updated_at__gte=since).exclude(status=Payment.ABANDONED)
    routed_by_gateway: dict[str, gateways.Routed | None] = {}
    for payment in payments.order_by("pk"):
        if payment.gateway not in routed_by_gateway:
            try:
                routed_by_gateway[payment.gateway] = gateways.route(payment.gateway, site_id)
            except UnknownGateway:
                routed_by_gateway[payment.gateway] = None
        routed = routed_by_gateway[payment.gateway]
        if routed is None:
            report.skipped += 1
            continue
        try:
            state = gateways.call(routed, "lookup", payment.reference, expect=PaymentState | None, site_id=site_id)
        except GatewayUnavailable as exc:
            report.errors.append(f"payment {payment.pk}: {exc.message}")
            continue
        if state is None:
            report.skipped += 1
            continue
        report.checked += 1
        if recover(payment, state):
            report.recovered.append(payment.pk)
            payment.refresh_from_db()
        difference = compare(payment, state)
        if difference:
            with transaction.atomic():
                locked = Payment.objects.select_for_update().get(pk=payment.pk)
                if difference not in locked.review_reason:
                    events.flag(locked, f"Reconciliation: {difference}")
            report.flagged.append(payment.pk)
    logger.info(
        "Reconciled %s payments: %s recovered, %s flagged, %s skipped, %s errors",
        report.checked,
        len(report.recovered),
        len(report.flagged),
        report.skipped,
        len(report.errors),
    )
    return report
