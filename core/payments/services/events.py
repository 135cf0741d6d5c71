"""Gateway events: verified, recorded once, checked, then applied to payments, bookings and the ledger.

The rules, whatever the order in which events arrive:

* every event is stored as a :class:`WebhookEventRecord`, unique per
  ``(gateway, event_id)``; the insert and the work happen in one transaction,
  so of N concurrent deliveries of one event exactly one does the work and the
  others see the unique constraint (PostgreSQL makes them wait for the first
  to commit) and answer "duplicate";
* the booking row, then the payment row, are locked before anything changes
  (the same order as :mod:`.checkout` and :mod:`.refunds`: no deadlocks);
* the amount and currency must match the payment, else the event is
  *rejected for review* and nothing else changes;
* a success confirms a booking waiting for payment; a success for a booking
  that expired or was cancelled meanwhile, or a second success for one
  booking, keeps the money in the ledger and refunds it automatically (or
  holds it for review, per the site's setting); a failure after the success
  is ignored;
* a refund reported before the success waits (*deferred*) and is applied
  right after the success; a refund we asked for is recognised by its
  reference or by the gateway's running total, so it is never counted twice.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.accounts.language import speaking_to
from core.plugins import DomainEvent, PaymentStart, WebhookEvent
from core.plugins.manager import get_manager
from core.pricing.services import recording
from core.scheduling.currency import format_money
from core.scheduling.models import Booking
from core.scheduling.services.bookings import confirm_booking, lock_booking, mark_refunded
from core.scheduling.services.series import confirm_paid_siblings

from ..errors import PaymentNotAllowed
from ..models import Payment, PaymentSettings, Refund, WebhookEventRecord
from . import gateways, ledger
from .checkout import new_key

logger = logging.getLogger("peerlearn.payments")


@dataclass(frozen=True)
class EventOutcome:
    """What happened to an event; ``http_status`` is what the webhook endpoint answers."""

    status: str  # processed, ignored, deferred, rejected, duplicate, refused
    message: str
    http_status: int = 200
    record_id: int | None = None


class _CaseInsensitive(Mapping[str, str]):
    def __init__(self, headers: Mapping[str, str]) -> None:
        self._items = {str(k).lower(): str(v) for k, v in headers.items()}
        self._names = {str(k).lower(): str(k) for k in headers}

    def __getitem__(self, key: str) -> str:
        return self._items[key.lower()]

    def __iter__(self):
        return iter(self._names.values())

    def __len__(self) -> int:
        return len(self._items)


def handle_webhook(
    gateway_identifier: str, body: bytes, headers: Mapping[str, str], *, site_id: int | None = None
) -> EventOutcome:
    """Verify a delivery with its gateway's plugin, then :func:`process_event` it.

    A forged, stale or unreadable delivery answers 400 with the reason and
    records nothing. A gateway plugin that crashed answers 503, so the
    gateway delivers again later.
    """
    routed = gateways.route(gateway_identifier, site_id)
    parsed = gateways.call(
        routed, "parse_webhook", bytes(body), _CaseInsensitive(headers), expect=WebhookEvent, site_id=site_id
    )
    if isinstance(parsed, gateways.Refused):
        logger.warning("Refused a %s webhook: %s", gateway_identifier, parsed.message)
        return EventOutcome("refused", parsed.message, http_status=400)
    return process_event(gateway_identifier, parsed)


def process_event(gateway: str, event: WebhookEvent, *, source: str = "webhook") -> EventOutcome:
    """Record ``event`` once and apply it (see the module's rules)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = WebhookEventRecord.objects.create(
                    gateway=gateway,
                    event_id=event.event_id[:255],
                    raw_type=event.raw_type[:100],
                    kind=event.kind,
                    reference=event.reference[:255],
                    amount_minor=event.amount_minor,
                    currency=event.currency[:3].upper(),
                    payload=dataclasses.asdict(event),
                    status=WebhookEventRecord.PROCESSED,
                    source=source,
                )
        except IntegrityError:
            return EventOutcome("duplicate", "This event was already received.")
        status, message = _apply(record, event)
        record.status = status
        record.message = message[:2000]
        record.processed_at = timezone.now()
        record.save(update_fields=["status", "message", "processed_at", "payment"])
    return EventOutcome(status, message, record_id=record.pk)


# --- applying events ---------------------------------------------------------------------


def _apply(record: WebhookEventRecord, event: WebhookEvent) -> tuple[str, str]:
    found = (
        Payment.objects.filter(gateway=record.gateway, reference=event.reference).first() if event.reference else None
    )
    if event.kind == "ignored":
        record.payment = found
        return WebhookEventRecord.IGNORED, f"{event.raw_type}: nothing to do."
    if found is None:
        return WebhookEventRecord.REJECTED, f"No payment of {record.gateway} has the reference “{event.reference}”."
    if found.purchase_id is not None:
        # A package of sessions: same record, same checks, its own effects (credits instead of a seat).
        from core.packages.services import purchases

        purchases.lock_purchase(found.purchase_id)
        payment = Payment.objects.select_for_update().get(pk=found.pk)
        record.payment = payment
        mismatch = mismatch_of(payment, event)
        if mismatch:
            return WebhookEventRecord.REJECTED, mismatch
        if event.kind == "refunded":
            return _refunded(payment, None, event)
        return purchases.apply_event(payment, event)
    booking = lock_booking(found.booking_id)
    payment = Payment.objects.select_for_update().get(pk=found.pk)
    record.payment = payment
    mismatch = mismatch_of(payment, event)
    if mismatch:
        return WebhookEventRecord.REJECTED, mismatch
    handler: Callable[[Payment, Booking, WebhookEvent], tuple[str, str]] = {
        "succeeded": _succeeded,
        "failed": _failed,
        "refunded": _refunded,
    }[event.kind]
    return handler(payment, booking, event)


def mismatch_of(payment: Payment, event: WebhookEvent) -> str:
    """Why ``event`` does not fit the locked ``payment`` (currency, amount), flagged for review; "" if it fits."""
    reason = ""
    if event.currency.upper() != payment.currency:
        reason = f"Event {event.event_id} is in {event.currency}, the payment in {payment.currency}."
    elif event.amount_minor != payment.amount_minor:
        reason = (
            f"Event {event.event_id} is for {event.amount_minor} {event.currency}, "
            f"the payment for {payment.amount_minor} {payment.currency}."
        )
    if reason:
        flag(payment, reason)
    return reason


def flag(payment: Payment, reason: str) -> None:
    """Hold a payment for an editor's review (the admin lists them), saying why."""
    stamp = timezone.now().strftime("%Y-%m-%d %H:%M UTC")
    payment.needs_review = True
    payment.review_reason = f"{payment.review_reason}\n{stamp}: {reason}".strip()[-4000:]
    payment.save(update_fields=["needs_review", "review_reason", "updated_at"])
    logger.warning("Payment %s held for review: %s", payment.pk, reason)


def emit_payment_event(name: str, payment: Payment, **extra) -> None:
    """Tell plugins about a payment (``payment.succeeded``, ``payment.refunded``)."""
    _emit(name, payment, **extra)


def _emit(name: str, payment: Payment, **extra) -> None:
    get_manager().emit(
        DomainEvent(
            name=name,
            occurred_at=timezone.now(),
            payload={
                "payment_id": payment.pk,
                "booking_id": payment.booking_id,
                "purchase_id": payment.purchase_id,
                "gateway": payment.gateway,
                "amount_minor": payment.amount_minor,
                "currency": payment.currency,
                **extra,
            },
        )
    )


def notify_user(user_id: int, kind: str, title: str, body: str = "", url: str = "") -> None:
    """An in-app notification that can never undo the money around it."""
    _notify(user_id, kind, title, body, url)


def _notify(user_id: int, kind: str, title: str, body: str = "", url: str = "") -> None:
    from core.notifications.services import notify

    try:
        with transaction.atomic():
            notify(user_id, kind, title, body, url)
    except Exception:  # a notification must never undo a payment
        logger.exception("could not notify user %s (%s)", user_id, kind)


def _succeeded(payment: Payment, booking: Booking, event: WebhookEvent) -> tuple[str, str]:
    if payment.status == Payment.SUCCEEDED:
        return WebhookEventRecord.PROCESSED, "The payment's success was already recorded."
    payment.status = Payment.SUCCEEDED
    payment.succeeded_at = timezone.now()
    payment.failure_message = ""
    if event.charge_reference:
        payment.charge_reference = event.charge_reference
    payment.save()
    ledger.record_charge(payment, mentor_id=booking.session.mentor_id)
    recording.payment_succeeded(payment)  # the coupon's use and the receipt commit with the money
    _emit("payment.succeeded", payment)
    other_paid = Payment.objects.filter(booking=booking, status=Payment.SUCCEEDED).exclude(pk=payment.pk).exists()
    if booking.status == Booking.PENDING_PAYMENT and not other_paid:
        confirm_booking(booking)
        confirm_paid_siblings(booking)  # an at-once series: the one payment confirms every session
        message = "Payment recorded; booking confirmed."
    elif other_paid:
        message = "A second payment for this booking: it is refunded in full."
        _after_commit_refund(payment, Refund.DUPLICATE, message)
    elif booking.status in (Booking.CONFIRMED, Booking.COMPLETED, Booking.NO_SHOW):
        message = f"Payment recorded; the booking was already {booking.get_status_display().lower()}."
    else:
        message = _late_payment(payment, booking)
    replay_deferred(payment)
    return WebhookEventRecord.PROCESSED, message


def _late_payment(payment: Payment, booking: Booking) -> str:
    """Money for a booking that expired or was cancelled meanwhile: refund it, or hold it for review."""
    state = booking.get_status_display().lower()
    site_settings = ledger.payment_settings()
    if site_settings.late_payment_action == PaymentSettings.REFUND:
        message = f"Paid after the booking was {state}: the payment is refunded in full."
        _after_commit_refund(payment, Refund.LATE_PAYMENT, message)
    else:
        message = f"Paid after the booking was {state}: held for review (refund it or restore the booking)."
        flag(payment, message)
    with speaking_to(booking.learner):
        if site_settings.late_payment_action == PaymentSettings.REFUND:
            body = gettext("Your seat had already been released. The full amount is being refunded.")
        else:
            body = gettext("Your seat had already been released. Our team will contact you.")
        _notify(booking.learner_id, "payment.late", gettext("Your payment arrived after your booking lapsed"), body)
    return message


def _after_commit_refund(payment: Payment, reason: str, note: str) -> None:
    payment_id = payment.pk

    def refund() -> None:
        from .refunds import refund_payment

        try:
            refund_payment(Payment.objects.get(pk=payment_id), None, reason=reason, note=note)
        except Exception as exc:  # the money stays in the ledger; an editor takes over
            logger.exception("automatic refund of payment %s failed", payment_id)
            with transaction.atomic():
                flag(Payment.objects.select_for_update().get(pk=payment_id), f"Automatic refund failed: {exc}")

    transaction.on_commit(refund)


def _failed(payment: Payment, booking: Booking, event: WebhookEvent) -> tuple[str, str]:
    if payment.status == Payment.SUCCEEDED:
        return WebhookEventRecord.IGNORED, "A failure reported after the payment succeeded (an earlier attempt)."
    if payment.status == Payment.ABANDONED:
        return WebhookEventRecord.IGNORED, "A failure of an abandoned attempt."
    payment.status = Payment.FAILED
    payment.failure_message = event.message or "The payment failed."
    payment.save(update_fields=["status", "failure_message", "updated_at"])
    _emit("payment.failed", payment, message=payment.failure_message)
    if booking.status == Booking.PENDING_PAYMENT:
        with speaking_to(booking.learner):
            _notify(
                booking.learner_id,
                "payment.failed",
                gettext("Your payment did not go through"),
                gettext("%(reason)s Your seat stays held until the hold runs out; you can try again.")
                % {"reason": event.message or gettext("The payment failed.")},
                f"/payments/checkout/{booking.pk}/",
            )
    return WebhookEventRecord.PROCESSED, f"Payment failed: {payment.failure_message} The booking stays pending."


def _refunded(payment: Payment, booking: Booking | None, event: WebhookEvent) -> tuple[str, str]:
    """A refund reported by the gateway (``booking`` is None for a package purchase)."""
    if payment.status != Payment.SUCCEEDED:
        return WebhookEventRecord.DEFERRED, "A refund reported before the payment's success: applied after it."
    matched = (
        Refund.objects.select_for_update().filter(payment=payment, reference=event.refund_reference).first()
        if event.refund_reference
        else None
    )
    if matched is not None:
        if matched.status == Refund.SUCCEEDED:
            return WebhookEventRecord.PROCESSED, "This refund was already recorded."
        settle_refund(matched, booking)
        return WebhookEventRecord.PROCESSED, f"Refund of {matched.amount_minor} {matched.currency} settled."
    in_flight = Refund.objects.filter(payment=payment, status=Refund.REQUESTED).exists()
    recorded = ledger.refunded_minor(payment)
    if event.refunded_total_minor is not None:
        unexplained = event.refunded_total_minor - recorded
    else:
        unexplained = event.refund_amount_minor
    if unexplained <= 0:
        return WebhookEventRecord.PROCESSED, "Every refund in this event was already recorded."
    if in_flight:
        return WebhookEventRecord.DEFERRED, "A refund we asked for is still in flight: applied once it is answered."
    settled = []
    for pending in Refund.objects.select_for_update().filter(payment=payment, status=Refund.PENDING).order_by("pk"):
        if pending.amount_minor <= unexplained and (not pending.reference or event.refunded_total_minor is not None):
            settle_refund(pending, booking)
            unexplained -= pending.amount_minor
            settled.append(pending)
    parts = [f"settled {len(settled)} pending refund(s)"] if settled else []
    if unexplained > 0:
        parts.append(_external_refund(payment, booking, event, unexplained))
    return WebhookEventRecord.PROCESSED, "; ".join(parts).capitalize() + "."


def _external_refund(payment: Payment, booking: Booking | None, event: WebhookEvent, amount: int) -> str:
    """A refund made at the gateway (its dashboard, a dispute): recorded so the ledger matches.

    A package's credits cannot be told apart from outside (which are used?): such a
    refund is held for review, and an editor refunds credits from the admin instead.
    """
    if booking is None:
        flag(payment, f"The gateway reports {amount} {payment.currency} refunded on a package outside PeerLearn.")
        return "held for review: a package refunded at the gateway"
    left = payment.amount_minor - ledger.committed_refunds_minor(payment)
    if amount > left:
        flag(payment, f"The gateway reports {amount} {payment.currency} refunded, more than the {left} left.")
        amount = left
    if amount <= 0:
        return "nothing left to record"
    refund = Refund.objects.create(
        payment=payment,
        amount_minor=amount,
        currency=payment.currency,
        status=Refund.PENDING,
        reason=Refund.GATEWAY,
        reference=event.refund_reference or f"event:{event.event_id}"[:255],
        note=f"Reported by {event.raw_type} {event.event_id}"[:255],
        idempotency_key=new_key("ext", payment.booking_id or 0),
    )
    settle_refund(refund, booking)
    if booking.status in (Booking.CONFIRMED, Booking.COMPLETED) and left - amount <= 0:
        flag(payment, "Refunded in full at the gateway while the booking is still confirmed.")
    return f"recorded a refund of {amount} {payment.currency} made at the gateway"


def settle_refund(refund: Refund, booking: Booking | None) -> None:
    """A refund went through: mark it, write the ledger, and close a cancelled booking.

    ``booking`` is None for a package purchase: its ledger is the package's (unused credits released).
    """
    refund.status = Refund.SUCCEEDED
    refund.settled_at = timezone.now()
    refund.save(update_fields=["status", "settled_at"])
    if booking is None:
        from core.packages.services import accounting

        accounting.record_refund(refund)
        recording.refund_settled(refund)
        _emit("payment.refunded", refund.payment, refund_id=refund.pk, refund_minor=refund.amount_minor)
        with speaking_to(refund.payment.purchase.learner):
            _notify(
                refund.payment.purchase.learner_id,
                "payment.refunded",
                gettext("Your refund is on its way"),
                gettext("%(amount)s goes back to how you paid.")
                % {"amount": format_money(refund.amount_minor, refund.currency)},
                "/packages/credits/",
            )
        return
    ledger.record_refund(refund, mentor_id=booking.session.mentor_id)
    recording.refund_settled(refund)  # its credit note
    _emit("payment.refunded", refund.payment, refund_id=refund.pk, refund_minor=refund.amount_minor)
    with speaking_to(booking.learner):
        _notify(
            booking.learner_id,
            "payment.refunded",
            gettext("Your refund is on its way"),
            gettext("%(amount)s goes back to how you paid.")
            % {"amount": format_money(refund.amount_minor, refund.currency)},
        )
    close_if_refunded(booking)


def close_if_refunded(booking: Booking) -> None:
    """A cancelled (or no-show) booking whose policy refund went through becomes ``refunded``."""
    booking.refresh_from_db(fields=["status", "refund_minor", "refund_percent"])
    if booking.status not in (Booking.CANCELLED, Booking.NO_SHOW) or not booking.refund_minor:
        return
    primary = primary_payment(booking)
    if primary is not None and ledger.refunded_minor(primary) >= ledger.policy_refund_minor(booking, primary):
        mark_refunded(booking)


def primary_payment(booking: Booking) -> Payment | None:
    """The payment that paid for the booking (the first that succeeded)."""
    return Payment.objects.filter(booking=booking, status=Payment.SUCCEEDED).order_by("succeeded_at", "pk").first()


def replay_deferred(payment: Payment) -> None:
    """Apply the events that waited for this payment (call with the payment row locked)."""
    for record in WebhookEventRecord.objects.filter(payment=payment, status=WebhookEventRecord.DEFERRED).order_by(
        "received_at", "pk"
    ):
        event = WebhookEvent(**record.payload)
        booking = lock_booking(payment.booking_id) if payment.booking_id else None
        status, message = _refunded(payment, booking, event)
        if status == WebhookEventRecord.DEFERRED:
            continue
        record.status = status
        record.message = f"(after waiting) {message}"[:2000]
        record.processed_at = timezone.now()
        record.save(update_fields=["status", "message", "processed_at"])


def confirm_paid_at_start(payment: Payment, start: PaymentStart) -> EventOutcome:
    """An instant gateway answered "succeeded" to ``start_payment``: the same path as its success webhook.

    One event per gateway reference, so a retried or resumed start is a duplicate and counts once.
    """
    event = WebhookEvent(
        event_id=f"start-{start.reference}"[:255],
        kind="succeeded",
        reference=start.reference,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        raw_type="start.succeeded",
        message=start.message,
    )
    return process_event(payment.gateway, event, source="start")


# --- editors' actions for offline gateways ----------------------------------------------------


def _require_manual(payment: Payment, site_id: int | None) -> None:
    routed = gateways.route(payment.gateway, site_id)
    if not routed.gateway.manual_confirmation:
        raise PaymentNotAllowed(
            gettext("%(display_name)s payments are confirmed by its webhooks, not by hand.")
            % {"display_name": routed.display_name},
            code="not_manual",
        )


def mark_paid(payment: Payment, by, *, site_id: int | None = None) -> EventOutcome:
    """An editor saw the transfer arrive: the same path as a gateway's success event."""
    _require_manual(payment, site_id)
    event = WebhookEvent(
        event_id=f"admin-paid-{payment.pk}",
        kind="succeeded",
        reference=payment.reference,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        raw_type="admin.mark_paid",
        message=f"Marked paid by {by}",
    )
    return process_event(payment.gateway, event, source="admin")


def mark_refund_sent(refund: Refund, by, *, site_id: int | None = None) -> EventOutcome:
    """An editor sent a pending refund back by bank transfer."""
    payment = refund.payment
    _require_manual(payment, site_id)
    event = WebhookEvent(
        event_id=f"admin-refund-{refund.pk}",
        kind="refunded",
        reference=payment.reference,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        raw_type="admin.refund_sent",
        refund_reference=refund.reference,
        refund_amount_minor=refund.amount_minor,
        message=f"Refund sent by {by}",
    )
    return process_event(payment.gateway, event, source="admin")
