"""Buying a package: a pending purchase, paid once through the ordinary payment flow.

The payment is a :class:`~core.payments.models.Payment` whose ``purchase`` is
set: the same gateways, idempotency keys, quote (service fee and tax, frozen in
a :class:`~core.pricing.models.PaymentBreakdown`), webhook processing,
receipts and refunds as a booking's. Only the effect of a success differs: the
purchase gets its credits (:func:`apply_event`), and the ledger holds the
session share as unearned (:mod:`.accounting`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.payments.errors import GatewayUnavailable, InvalidPayment, PaymentConflict, PaymentNotAllowed
from core.payments.models import Payment, Refund, WebhookEventRecord
from core.payments.services import checkout, events, gateways
from core.payments.services.ledger import mentor_commission_bp
from core.plugins import CheckoutContext, WebhookEvent
from core.pricing.services import breakdowns, quotes, recording
from core.scheduling.currency import format_money

from ..errors import PackageConflict, PackageNotAllowed, PackageRefused
from ..models import Package, PackagePurchase
from . import accounting

logger = logging.getLogger("peerlearn.packages")


def lock_purchase(purchase: PackagePurchase | int) -> PackagePurchase:
    pk = purchase if isinstance(purchase, int) else purchase.pk
    return PackagePurchase.objects.select_for_update().get(pk=pk)


def create_purchase(package: Package, learner, currency: str = "") -> PackagePurchase:
    """A purchase waiting for payment (the learner's open one for this package and currency is reused)."""
    if not package.active:
        raise PackageConflict(_("This package is no longer on sale."), code="package_inactive")
    if package.mentor_id == learner.pk:
        raise PackageNotAllowed(_("You cannot buy your own package."), code="own_package")
    if not learner.is_active:
        raise PackageNotAllowed(_("This account is inactive."), code="inactive")
    prices = list(package.prices.all())
    if not prices:
        raise PackageConflict(_("This package has no price yet."), code="no_price")
    currency = (currency or prices[0].currency).strip().upper()
    price = package.price_in(currency)
    if price is None:
        raise PackageRefused(
            _("This package is not sold in %(currency)s.") % {"currency": currency}, code="currency", field="currency"
        )
    with transaction.atomic():
        existing = (
            PackagePurchase.objects.select_for_update()
            .filter(package=package, learner=learner, currency=currency, status=PackagePurchase.PENDING)
            .first()
        )
        if existing is not None and existing.price_minor == price.amount_minor:
            return existing
        return PackagePurchase.objects.create(
            package=package,
            learner=learner,
            mentor_id=package.mentor_id,
            sessions=package.sessions,
            duration_minutes=package.duration_minutes,
            validity_days=package.validity_days,
            price_minor=price.amount_minor,
            currency=currency,
        )


def quote_for(purchase: PackagePurchase) -> quotes.Quote:
    """What the learner pays: the package's price, the service fee and tax, as for a booking."""
    return quotes.compute(price_minor=purchase.price_minor, currency=purchase.currency, buyer=purchase.learner)


def describe(purchase: PackagePurchase) -> str:
    return f"{purchase.package.title}: {purchase.sessions} × {purchase.duration_minutes} min (package {purchase.pk})"


def _check_payable(purchase: PackagePurchase, user) -> None:
    if user is not None and user.pk != purchase.learner_id:
        raise PaymentNotAllowed(_("Only the learner who is buying can pay for this package."))
    if purchase.status != PackagePurchase.PENDING:
        raise PaymentConflict(_("This package is already paid."), code="already_paid")


def _open_payment(purchase: PackagePurchase, routed: gateways.Routed, user) -> Payment:
    """The purchase's open payment with this gateway at today's price, or a new one (purchase row locked)."""
    quote = quote_for(purchase)
    payment = (
        Payment.objects.select_for_update()
        .filter(purchase=purchase, gateway=routed.identifier, status__in=Payment.OPEN_STATUSES)
        .order_by("-created_at", "-id")
        .first()
    )
    if payment is not None and breakdowns.matches(payment, quote, None):
        return payment
    if payment is not None:
        payment.status = Payment.ABANDONED
        payment.failure_message = "Replaced by a new attempt: the price changed."
        payment.save(update_fields=["status", "failure_message", "updated_at"])
    payment = Payment.objects.create(
        purchase=purchase,
        gateway=routed.identifier,
        plugin=routed.plugin,
        amount_minor=quote.total_minor,
        currency=purchase.currency,
        commission_bp=mentor_commission_bp(purchase.mentor_id),
        idempotency_key=checkout.new_key("pkg", purchase.pk),
        created_by=user,
    )
    breakdowns.freeze(payment, quote, None)
    return payment


def start_payment(
    purchase: PackagePurchase | int,
    gateway_identifier: str,
    *,
    user=None,
    return_url: str = "",
    site_id: int | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> checkout.StartedPayment:
    """Start or resume paying for ``purchase`` through a gateway: the booking flow's rules (see checkout)."""
    now = timezone.now()
    routed = gateways.route(gateway_identifier, site_id)
    cleaned = checkout.learner_inputs(routed, inputs)
    purchase_id = purchase if isinstance(purchase, int) else purchase.pk
    for _attempt in range(2):  # a second pass only when the gateway abandoned the first payment
        with transaction.atomic():
            locked = lock_purchase(purchase_id)
            _check_payable(locked, user)
            if not gateways.supports(routed, locked.currency, site_id):
                raise InvalidPayment(
                    f"{routed.display_name} does not take {locked.currency}.", code="currency", field="gateway"
                )
            payment = _open_payment(locked, routed, user)
            request = checkout.payment_request(
                routed,
                payment,
                booking_id=0,
                description=describe(locked),
                email=locked.learner.email,
                return_url=return_url,
                site_id=site_id,
                inputs=cleaned,
                metadata={"purchase_id": str(locked.pk)},
            )
        start, payment = checkout.ask_gateway(routed, payment, request, site_id=site_id, now=now)
        if start is None:
            continue
        payment = checkout.confirm_if_settled(routed, payment, start)
        return checkout.StartedPayment(payment=payment, start=start, routed=routed)
    raise GatewayUnavailable("The payment provider could not start a payment; please try again.", code="gateway_loop")


def checkout_context(
    purchase: PackagePurchase, payment: Payment, *, csrf_token: str, return_url: str, result_url: str, csp_nonce: str
) -> CheckoutContext:
    """What a gateway's widget shows for a package (``booking_id`` 0, as in the payment request)."""
    return CheckoutContext(
        booking_id=0,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        amount_display=format_money(payment.amount_minor, payment.currency),
        description=describe(purchase),
        customer_email=purchase.learner.email,
        csrf_token=csrf_token,
        return_url=return_url,
        result_url=result_url,
        csp_nonce=csp_nonce,
    )


# --- gateway events (called by core.payments.services.events with the purchase and payment locked) ---


def apply_event(payment: Payment, event: WebhookEvent) -> tuple[str, str]:
    """A success grants the credits (once); a failure is recorded; a second success is refunded in full."""
    purchase = PackagePurchase.objects.select_related("package").get(pk=payment.purchase_id)
    if event.kind == "failed":
        if payment.status == Payment.SUCCEEDED:
            return WebhookEventRecord.IGNORED, "A failure after the payment's success: nothing to do."
        payment.status = Payment.FAILED
        payment.failure_message = event.message or "The payment failed."
        payment.save(update_fields=["status", "failure_message", "updated_at"])
        return WebhookEventRecord.PROCESSED, f"Payment failed: {payment.failure_message} The package stays unpaid."
    if payment.status == Payment.SUCCEEDED:
        return WebhookEventRecord.PROCESSED, "The payment's success was already recorded."
    now = timezone.now()
    payment.status = Payment.SUCCEEDED
    payment.succeeded_at = now
    payment.failure_message = ""
    if event.charge_reference:
        payment.charge_reference = event.charge_reference
    payment.save()
    accounting.record_charge(payment)
    recording.payment_succeeded(payment)  # the receipt commits with the money
    events.emit_payment_event("payment.succeeded", payment)
    if purchase.status == PackagePurchase.PENDING:
        purchase.status = PackagePurchase.PAID
        purchase.paid_at = now
        purchase.expires_at = purchase.expiry_from(now)
        purchase.credits_left = purchase.sessions
        purchase.save(update_fields=["status", "paid_at", "expires_at", "credits_left"])
        _announce_paid(purchase)
        return WebhookEventRecord.PROCESSED, "Payment recorded; the package's credits are ready."
    message = "A second payment for this package: it is refunded in full."
    _after_commit_refund(payment, message)
    return WebhookEventRecord.PROCESSED, message


def _announce_paid(purchase: PackagePurchase) -> None:
    until = f"{purchase.expires_at:%d %b %Y}"
    events.notify_user(
        purchase.learner_id,
        "package.paid",
        _("Your package is ready: %(count)s credits") % {"count": purchase.sessions},
        _("Book sessions of %(minutes)s minutes with your credits until %(until)s.")
        % {"minutes": purchase.duration_minutes, "until": until},
        "/packages/credits/",
    )
    events.notify_user(
        purchase.mentor_id,
        "package.sold",
        _("You sold a package: %(title)s") % {"title": purchase.package.title},
        _("%(count)s sessions; you earn each one when it is delivered.") % {"count": purchase.sessions},
        "/packages/mine/",
    )


def _after_commit_refund(payment: Payment, note: str) -> None:
    from core.payments.services.refunds import refund_payment

    def refund() -> None:
        try:
            refund_payment(Payment.objects.get(pk=payment.pk), reason=Refund.DUPLICATE, note=note)
        except Exception:
            logger.exception("could not refund duplicate package payment %s", payment.pk)

    transaction.on_commit(refund)
