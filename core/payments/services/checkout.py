"""Starting (or resuming) a booking's payment, and the browser's return.

A booking waiting for payment has at most one open :class:`Payment` per
gateway. Asking again with the same gateway resumes it: the gateway gets the
same idempotency key and the reference it gave the first time, so a retry
after an outage or a double click never creates a second charge. Only a
gateway's own answer that its payment can no longer be paid (for example a
cancelled intent) starts a new attempt with a new key.

Confirmation comes from the gateway's verified webhook (:mod:`.events`), an
editor (manual gateways), or, for a gateway that declares
``confirms_at_start`` (:class:`~core.plugins.InteractivePayments`), its own
"succeeded" answer to ``start_payment``, applied through the same
:func:`.events.process_event` as a webhook. The browser never confirms.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from core.plugins import (
    CheckoutContext,
    CheckoutInputError,
    InteractivePaymentRequest,
    PaymentRequest,
    PaymentReturn,
    PaymentStart,
)
from core.plugins.contracts.interactive import checkout_fields_of, clean_inputs, confirms_at_start
from core.scheduling.currency import format_money
from core.scheduling.models import Booking
from core.scheduling.services.bookings import expire_due_holds, extend_hold, lock_booking
from core.scheduling.services.series import paid_by_anchor

from ..errors import GatewayUnavailable, InvalidPayment, PaymentConflict, PaymentError, PaymentNotAllowed
from ..models import Payment
from . import gateways, ledger
from .gateways import Routed

logger = logging.getLogger("peerlearn.payments")

_STATUS_FROM_START = {
    "requires_action": Payment.REQUIRES_ACTION,
    "pending": Payment.PENDING,
    # Paid at the gateway already: still only the webhook confirms the booking.
    "succeeded": Payment.PROCESSING,
}  # ...unless the gateway confirms at start (see _confirm_at_start).


def new_key(kind: str, booking_id: int) -> str:
    """An idempotency key: letters, digits and hyphens only (every gateway accepts those)."""
    return f"pl-{kind}-{booking_id}-{uuid.uuid4().hex[:24]}"


def describe(booking: Booking) -> str:
    session = booking.session
    return f"{session.title} – {booking.starts_at:%Y-%m-%d %H:%M} UTC (booking {booking.pk})"


@dataclass(frozen=True)
class StartedPayment:
    """A payment the browser can finish: our record, the gateway's answer, the gateway."""

    payment: Payment
    start: PaymentStart
    routed: Routed

    @property
    def paid(self) -> bool:
        """Settled during the request (an instant gateway): the booking is confirmed already."""
        return self.payment.status == Payment.SUCCEEDED

    @property
    def client_data(self) -> dict:
        return {
            "gateway": self.routed.identifier,
            "payment_id": self.payment.pk,
            "reference": self.start.reference,
            "status": self.payment.status,
            "amount_minor": self.payment.amount_minor,
            "currency": self.payment.currency,
            **dict(self.start.client_data),
        }


def _check_payable(booking: Booking, user, now) -> None:
    if user is not None and user.pk != booking.learner_id:
        raise PaymentNotAllowed(gettext("Only the learner who booked can pay for this booking."))
    if paid_by_anchor(booking):
        raise PaymentConflict(
            gettext("This session is part of a series paid at once: pay for the series' first session."),
            code="series_paid_at_once",
        )
    if booking.price_minor <= 0:
        raise PaymentConflict(gettext("This session is free: the booking needs no payment."), code="free_booking")
    if Payment.objects.filter(booking=booking, status=Payment.SUCCEEDED).exists():
        raise PaymentConflict(gettext("This booking is already paid."), code="already_paid")
    if booking.status == Booking.EXPIRED:
        raise PaymentConflict(gettext("The hold on this seat ran out; book the session again."), code="hold_expired")
    if booking.status != Booking.PENDING_PAYMENT:
        raise PaymentConflict(
            gettext("This booking is %(get_status_display)s; it cannot be paid.")
            % {"get_status_display": booking.get_status_display().lower()},
            code="not_payable",
        )
    if booking.hold_expires_at is not None and booking.hold_expires_at <= now:
        raise PaymentConflict(gettext("The hold on this seat ran out; book the session again."), code="hold_expired")


def _open_payment(booking: Booking, routed: Routed, user) -> Payment:
    """The booking's open payment with this gateway at today's price, or a new one (booking row locked by the caller).

    The price is the booking's quote (session, coupon, service fee, tax): when it
    changed since the open payment was made (a coupon applied or taken off),
    that payment is abandoned and a new one made for the new amount.
    """
    from core.pricing.services import breakdowns

    quote, redemption = breakdowns.current(booking)
    if quote.total_minor <= 0:
        raise PaymentConflict(
            gettext("The coupon covers the whole price: confirm the booking without paying."), code="nothing_to_pay"
        )
    payment = (
        Payment.objects.select_for_update()
        .filter(booking=booking, gateway=routed.identifier, status__in=Payment.OPEN_STATUSES)
        .order_by("-created_at", "-id")
        .first()
    )
    if payment is not None and breakdowns.matches(payment, quote, redemption):
        return payment
    if payment is not None:
        payment.status = Payment.ABANDONED
        payment.failure_message = "Replaced by a new attempt: the price changed (a coupon was applied or removed)."
        payment.save(update_fields=["status", "failure_message", "updated_at"])
    payment = Payment.objects.create(
        booking=booking,
        gateway=routed.identifier,
        plugin=routed.plugin,
        amount_minor=quote.total_minor,
        currency=booking.currency,
        commission_bp=ledger.freeze_commission(booking),
        idempotency_key=new_key("pay", booking.pk),
        created_by=user,
    )
    breakdowns.freeze(payment, quote, redemption)
    return payment


def start_payment(
    booking: Booking | int,
    gateway_identifier: str,
    *,
    user=None,
    return_url: str = "",
    site_id: int | None = None,
    now=None,
    inputs: Mapping[str, Any] | None = None,
) -> StartedPayment:
    """Start or resume paying ``booking`` through ``gateway_identifier``.

    ``inputs`` are what the learner entered for an interactive gateway,
    checked against its declared fields before anything is written.

    Raises a :class:`~core.payments.errors.PaymentError`: unknown gateway or
    currency, or bad input (400/404), not the learner (403), nothing to pay
    (409), or :class:`GatewayUnavailable` (502) when the gateway failed; then
    the payment stays open and the next attempt resumes it with the same
    idempotency key.
    """
    now = now or timezone.now()
    routed = gateways.route(gateway_identifier, site_id)
    cleaned = learner_inputs(routed, inputs)
    booking_id = booking if isinstance(booking, int) else booking.pk
    expire_due_holds(now, bookings=[booking_id])
    for _attempt in range(2):  # a second pass only when the gateway abandoned the first payment
        with transaction.atomic():
            locked = lock_booking(booking_id)
            _check_payable(locked, user, now)
            if not gateways.supports(routed, locked.currency, site_id):
                raise InvalidPayment(
                    gettext("%(display_name)s does not take %(currency)s.")
                    % {"display_name": routed.display_name, "currency": locked.currency},
                    code="currency",
                    field="gateway",
                )
            payment = _open_payment(locked, routed, user)
            request = _payment_request(routed, locked, payment, return_url, site_id, cleaned)
        start, payment = ask_gateway(routed, payment, request, site_id=site_id, now=now)
        if start is None:
            continue
        if routed.gateway.manual_confirmation:
            # A transfer takes days: hold the seat for it instead of the card-payment hold.
            hours = ledger.payment_settings().manual_hold_hours
            extend_hold(booking_id, now + timedelta(hours=hours))
        if start.status == "succeeded" and confirms_at_start(routed.gateway):
            payment = _confirm_at_start(payment, start)
        return StartedPayment(payment=payment, start=start, routed=routed)
    raise GatewayUnavailable(
        gettext("The payment provider could not start a payment; please try again."), code="gateway_loop"
    )


def ask_gateway(
    routed: Routed, payment: Payment, request: PaymentRequest, *, site_id: int | None, now
) -> tuple[PaymentStart | None, Payment]:
    """Send ``request`` to the gateway and record its answer on ``payment`` (outside the caller's locks).

    Returns ``(None, payment)`` when the gateway abandoned its payment (the
    caller starts a new attempt); a gateway failure is recorded and raised.
    Shared by bookings and package purchases, so both keep the same rules.
    """
    try:
        start = gateways.call(routed, "start_payment", request, expect=PaymentStart, site_id=site_id)
    except GatewayUnavailable as exc:
        Payment.objects.filter(pk=payment.pk).update(failure_message=exc.message[:2000], updated_at=now)
        raise
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if payment.reference and start.reference != payment.reference:
            raise GatewayUnavailable(
                gettext("The payment provider answered for another payment; nothing was changed."),
                code="gateway_mismatch",
            )
        payment.reference = start.reference
        if start.status == "failed":
            payment.status = Payment.ABANDONED
            payment.failure_message = start.message or "The gateway can no longer take this payment."
            payment.save()
            return None, payment
        if payment.status != Payment.SUCCEEDED:
            payment.status = _STATUS_FROM_START[start.status]
            payment.failure_message = ""
        payment.save()
    return start, payment


def confirm_if_settled(routed: Routed, payment: Payment, start: PaymentStart) -> Payment:
    """An instant gateway that settled during ``start_payment``: confirm now, through the webhook path."""
    if start.status == "succeeded" and confirms_at_start(routed.gateway):
        return _confirm_at_start(payment, start)
    return payment


def learner_inputs(routed: Routed, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The learner's inputs cleaned against the gateway's declared fields; 400 naming ``inputs.<field>``."""
    try:
        return clean_inputs(checkout_fields_of(routed.gateway), inputs)
    except CheckoutInputError as exc:
        raise InvalidPayment(exc.message, code="invalid_input", field=f"inputs.{exc.field}") from None


def _payment_request(
    routed: Routed, booking: Booking, payment: Payment, return_url: str, site_id: int | None, inputs: dict[str, Any]
) -> PaymentRequest:
    return payment_request(
        routed,
        payment,
        booking_id=booking.pk,
        description=describe(booking),
        email=booking.learner.email,
        return_url=return_url,
        site_id=site_id,
        inputs=inputs,
    )


def payment_request(
    routed: Routed,
    payment: Payment,
    *,
    booking_id: int,
    description: str,
    email: str,
    return_url: str,
    site_id: int | None,
    inputs: dict[str, Any],
    metadata: Mapping[str, str] | None = None,
) -> PaymentRequest:
    """The request a gateway gets for ``payment`` (``booking_id`` 0 for a package: ``metadata`` names it)."""
    values = {
        "booking_id": booking_id,
        "amount_minor": payment.amount_minor,
        "currency": payment.currency,
        "idempotency_key": payment.idempotency_key,
        "description": description,
        "customer_email": email,
        "return_url": return_url,
        "existing_reference": payment.reference,
        "metadata": {"payment_id": str(payment.pk), "site_id": str(site_id or ""), **dict(metadata or {})},
    }
    if checkout_fields_of(routed.gateway) or confirms_at_start(routed.gateway):
        return InteractivePaymentRequest(**values, inputs=inputs)
    return PaymentRequest(**values)


def _confirm_at_start(payment: Payment, start: PaymentStart) -> Payment:
    """The gateway settled the money during the call: confirm as its webhook would (same rules, same ledger)."""
    from .events import confirm_paid_at_start  # events imports this module's new_key

    confirm_paid_at_start(payment, start)
    return Payment.objects.get(pk=payment.pk)


def record_return(
    booking: Booking, gateway_identifier: str, params: Mapping[str, str], *, user=None, site_id: int | None = None
) -> PaymentReturn:
    """Check what the browser brought back from the gateway; remember the charge reference.

    Never confirms the booking (the webhook does); a forged answer raises
    :class:`GatewayUnavailable` with the gateway's reason and changes nothing.
    """
    if user is not None and user.pk != booking.learner_id:
        raise PaymentNotAllowed(gettext("Only the learner who booked can report this payment."))
    routed = gateways.route(gateway_identifier, site_id)
    payment = (
        Payment.objects.filter(booking=booking, gateway=gateway_identifier)
        .exclude(reference="")
        .order_by("-created_at", "-id")
        .first()
    )
    if payment is None:
        raise InvalidPayment(
            gettext("This booking has no payment with that gateway."), code="no_payment", field="gateway"
        )
    answer = gateways.call(routed, "verify_return", payment.reference, dict(params), expect=PaymentReturn)
    if not isinstance(answer, PaymentReturn):  # a refusal is raised by call(); belt and braces
        raise PaymentError(gettext("The gateway's answer was not accepted."))
    with transaction.atomic():
        payment = Payment.objects.select_for_update().get(pk=payment.pk)
        if answer.charge_reference and not payment.charge_reference:
            payment.charge_reference = answer.charge_reference
        if (
            payment.status in (Payment.CREATED, Payment.REQUIRES_ACTION, Payment.FAILED)
            and answer.status == "processing"
        ):
            payment.status = Payment.PROCESSING
        payment.save()
    return answer


def checkout_context(
    booking: Booking,
    *,
    csrf_token: str,
    return_url: str,
    result_url: str,
    csp_nonce: str = "",
    amount_minor: int | None = None,
) -> CheckoutContext:
    """What a gateway's widget shows; ``amount_minor`` is the payment's (fee, coupon and tax included)."""
    amount = booking.price_minor if amount_minor is None else amount_minor
    return CheckoutContext(
        booking_id=booking.pk,
        amount_minor=amount,
        currency=booking.currency,
        amount_display=format_money(amount, booking.currency),
        description=describe(booking),
        customer_email=booking.learner.email,
        csrf_token=csrf_token,
        return_url=return_url,
        result_url=result_url,
        csp_nonce=csp_nonce,
    )


def checkout_html(started: StartedPayment, context: CheckoutContext) -> str:
    """The gateway's widget for the checkout page; "" when it fails (the page says so)."""
    from core.plugins.manager import get_manager

    html = get_manager().invoke(
        started.routed.plugin,
        f"{started.routed.identifier}.checkout_html",
        lambda: started.routed.gateway.checkout_html(started.start, context),
        expect=str,
    )
    return html or ""


def checkout_csp_sources(started: StartedPayment) -> dict[str, list[str]]:
    """What the gateway's widget needs in the page's Content-Security-Policy ({} when it fails)."""
    from core.plugins.manager import get_manager

    sources = get_manager().invoke(
        started.routed.plugin,
        f"{started.routed.identifier}.content_security_sources",
        started.routed.gateway.content_security_sources,
        expect=Mapping[str, Sequence[str]],
    )
    return {str(name): [str(source) for source in values] for name, values in (sources or {}).items()}
