"""Subscription webhooks: verified by the gateway, recorded once, then applied to the subscription.

* every event is stored once per ``(gateway, event id)`` in the same transaction
  as its effects, so concurrent deliveries of one event do the work once;
* an invoice is recorded once per status, whichever of the gateway's events
  (``invoice.paid``, ``invoice.payment_succeeded``) reports it; a paid invoice
  must be in the plan price's currency, and its money is **platform revenue**
  in the ledger (a subscription charge and the platform's revenue), never a
  mentor's earning;
* a failed renewal starts the site's grace period (benefits continue, the
  mentor is reminded by email); a later paid invoice ends it; when it runs out
  :func:`end_lapsed_grace` ends the benefits.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.payments.models import LedgerEntry
from core.payments.services.events import _CaseInsensitive
from core.plugins import SubscriptionEvent

from ..models import GatewayPrice, Subscription, SubscriptionEventRecord, SubscriptionInvoice
from . import gateways, reminders

logger = logging.getLogger("peerlearn.subscriptions")

_STATUS = {
    "trialing": Subscription.TRIALING,
    "active": Subscription.ACTIVE,
    "past_due": Subscription.PAST_DUE,
    "canceled": Subscription.CANCELED,
    "incomplete": Subscription.INCOMPLETE,
}


@dataclasses.dataclass(frozen=True)
class Outcome:
    status: str  # processed, ignored, rejected, duplicate, refused
    message: str
    http_status: int = 200


def _when(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds else None


def handle_webhook(gateway_id: str, body: bytes, headers: Mapping[str, str], *, site_id: int | None = None) -> Outcome:
    """Verify with the gateway's plugin and apply; a forged or stale delivery answers 400 and records nothing."""
    routed = gateways.route(gateway_id, site_id)
    parsed = gateways.call(
        routed,
        "parse_subscription_webhook",
        bytes(body),
        _CaseInsensitive(headers),
        expect=SubscriptionEvent,
        site_id=site_id,
    )
    if isinstance(parsed, gateways.payment_gateways.Refused):
        logger.warning("Refused a %s subscription webhook: %s", gateway_id, parsed.message)
        return Outcome("refused", parsed.message, http_status=400)
    return process_event(gateway_id, parsed)


def process_event(gateway: str, event: SubscriptionEvent) -> Outcome:
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = SubscriptionEventRecord.objects.create(
                    gateway=gateway,
                    event_id=event.event_id[:255],
                    raw_type=event.raw_type[:100],
                    kind=event.kind,
                    status="processed",
                    payload=dataclasses.asdict(event),
                )
        except IntegrityError:
            return Outcome("duplicate", "This event was already received.")
        status, message = _apply(record, event)
        record.status = status
        record.message = message[:2000]
        record.save(update_fields=["status", "message", "subscription"])
    return Outcome(status, message)


def _apply(record: SubscriptionEventRecord, event: SubscriptionEvent) -> tuple[str, str]:
    if event.kind == "ignored":
        return "ignored", f"{event.raw_type}: nothing to do."
    found = Subscription.objects.filter(gateway=record.gateway, reference=event.subscription_reference).first()
    if found is None or not event.subscription_reference:
        return "rejected", f"No subscription of {record.gateway} has the reference “{event.subscription_reference}”."
    subscription = Subscription.objects.select_for_update().select_related("price", "plan").get(pk=found.pk)
    record.subscription = subscription
    if event.kind == "paid":
        return _paid(subscription, event)
    if event.kind == "payment_failed":
        return _failed(subscription, event)
    if event.kind == "canceled":
        _end(subscription)
        return "processed", "The subscription ended at the gateway."
    # updated
    if event.price_reference:
        known = GatewayPrice.objects.select_related("price__plan").filter(
            gateway=record.gateway, reference=event.price_reference
        )
        match = known.first()
        if match is not None and match.price_id != subscription.price_id:
            subscription.price = match.price
            subscription.plan = match.price.plan
    apply_state(subscription, event.status, event.period_end, event.cancel_at_period_end)
    return "processed", f"The subscription is {subscription.get_status_display().lower()}."


def apply_state(
    subscription: Subscription, status: str, period_end: int, cancel_at_period_end: bool, *, provisional: bool = False
) -> None:
    """Take the gateway's view of the subscription (a locked row); ``provisional`` answers never grant anything.

    A trial is granted by the gateway's word alone (nothing is charged); being
    *active* needs a paid invoice or a webhook; a past-due report starts the
    grace period the same way a failed invoice does.
    """
    new = _STATUS.get(status, subscription.status)
    if subscription.status == Subscription.CANCELED:
        return
    if period_end:
        subscription.current_period_end = _when(period_end)
    subscription.cancel_at_period_end = cancel_at_period_end
    if new == Subscription.CANCELED and not provisional:
        _end(subscription)
        return
    if new == Subscription.TRIALING or (new == Subscription.ACTIVE and not provisional):
        subscription.status = new
        subscription.grace_until = None
    elif new == Subscription.PAST_DUE and not provisional and subscription.status != Subscription.PAST_DUE:
        _start_grace(subscription)
    subscription.save()


def _paid(subscription: Subscription, event: SubscriptionEvent) -> tuple[str, str]:
    if event.currency and event.currency != subscription.price.currency:
        return (
            "rejected",
            f"Invoice {event.invoice_reference} is in {event.currency}, the plan in {subscription.price.currency}.",
        )
    if event.amount_minor < 0:
        return "rejected", f"Invoice {event.invoice_reference} has a negative amount."
    try:
        with transaction.atomic():
            invoice = SubscriptionInvoice.objects.create(
                subscription=subscription,
                reference=event.invoice_reference[:255] or event.event_id[:255],
                status=SubscriptionInvoice.PAID,
                amount_minor=event.amount_minor,
                currency=subscription.price.currency,
                period_end=_when(event.period_end),
            )
    except IntegrityError:
        return "ignored", f"Invoice {event.invoice_reference} is recorded already."
    if invoice.amount_minor:
        memo = f"{subscription.gateway} {subscription.reference} invoice {invoice.reference}"[:255]
        for kind in (LedgerEntry.SUBSCRIPTION_CHARGE, LedgerEntry.SUBSCRIPTION_REVENUE):
            LedgerEntry.objects.create(
                kind=kind, amount_minor=invoice.amount_minor, currency=invoice.currency, memo=memo
            )
        from core.pricing.services.receipts import issue_for_subscription_invoice

        issue_for_subscription_invoice(invoice)  # numbered with the money, in the same transaction
    if subscription.status != Subscription.CANCELED:
        subscription.status = Subscription.ACTIVE
        subscription.grace_until = None
        subscription.reminders_sent = 0
        if invoice.period_end and (
            subscription.current_period_end is None or invoice.period_end > subscription.current_period_end
        ):
            subscription.current_period_end = invoice.period_end
        subscription.save()
    return "processed", f"Invoice {invoice.reference} paid: {invoice.amount_display}."


def _failed(subscription: Subscription, event: SubscriptionEvent) -> tuple[str, str]:
    try:
        with transaction.atomic():
            SubscriptionInvoice.objects.create(
                subscription=subscription,
                reference=event.invoice_reference[:255] or event.event_id[:255],
                status=SubscriptionInvoice.FAILED,
                amount_minor=max(event.amount_minor, 0),
                currency=subscription.price.currency,
                period_end=_when(event.period_end),
                message=event.message[:255],
            )
    except IntegrityError:
        return "ignored", f"The failure of invoice {event.invoice_reference} is recorded already."
    if subscription.status in (Subscription.ACTIVE, Subscription.TRIALING):
        _start_grace(subscription)
        subscription.save()
        return "processed", f"The renewal failed; benefits last until {subscription.grace_until:%Y-%m-%d %H:%M} UTC."
    return "processed", "The payment failed; the subscription was not in good standing."


def _start_grace(subscription: Subscription) -> None:
    from ..benefits import subscription_settings

    subscription.status = Subscription.PAST_DUE
    subscription.grace_until = timezone.now() + timedelta(days=subscription_settings().grace_days)
    subscription.reminders_sent = 0
    subscription.last_reminder_at = None
    transaction.on_commit(lambda pk=subscription.pk: reminders.remind(pk))


def _end(subscription: Subscription) -> None:
    subscription.status = Subscription.CANCELED
    subscription.ended_at = timezone.now()
    subscription.grace_until = None
    subscription.save()


def end_lapsed_grace(now: datetime | None = None) -> int:
    """End the subscriptions whose grace period ran out (their benefits have stopped already)."""
    now = now or timezone.now()
    ended: list[Subscription] = []
    for pk in Subscription.objects.filter(status=Subscription.PAST_DUE, grace_until__lte=now).values_list(
        "pk", flat=True
    ):
        with transaction.atomic():
            subscription = Subscription.objects.select_for_update().get(pk=pk)
            if subscription.status == Subscription.PAST_DUE and subscription.grace_until <= now:
                _end(subscription)
                reminders.send_ended(subscription)
                ended.append(subscription)
    for subscription in ended:
        _stop_at_gateway(subscription)
    return len(ended)


def _stop_at_gateway(subscription: Subscription) -> None:
    """Cancel now at the gateway, so a plan whose benefits ended is never charged again (best effort)."""
    if not subscription.reference:
        return
    from core.api.refusals import Refusal
    from core.plugins import SubscriptionState

    try:
        routed = gateways.route(subscription.gateway)
        gateways.call(routed, "cancel_subscription", subscription.reference, False, expect=SubscriptionState)
    except Refusal as exc:  # the gateway's own dunning ends it anyway; the editor sees the log
        logger.warning("Could not cancel %s subscription %s: %s", subscription.gateway, subscription.reference, exc)
