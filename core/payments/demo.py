"""Demo payments: the bank-transfer gateway turned on, paid bookings in the ledger, one payout.

Runs after scheduling's demo (``manage.py seed_demo``) and is idempotent: a
booking that already has a payment is left alone. Demo bookings that
scheduling confirmed "as if paid" get a bank-transfer payment marked paid by
the demo editor, so the ledger, mentors' earnings and the revenue report show
real figures; two bookings still waiting for payment are paid the same way
through the checkout service; one mentor with money available is paid out.
"""

from __future__ import annotations

import logging

from django.db import transaction
from wagtail.models import Site

from core.plugins import config
from core.plugins.manager import get_manager
from core.plugins.models import PluginConfiguration
from core.scheduling.models import Booking

from .errors import PaymentError
from .models import LedgerEntry, Payment, Payout
from .services import checkout, events, ledger, payouts

logger = logging.getLogger("peerlearn.payments")

MANUAL_PLUGIN = "payment_manual"
DEMO_INSTRUCTIONS = (
    "Demo site: no money moves. In a real deployment this text gives the bank account "
    "(IBAN DE89 3704 0044 0532 0130 00, BIC COBADEFFXXX, PeerLearn Demo GmbH) and asks to quote the reference."
)


def enable_manual_gateway() -> bool:
    site = Site.objects.filter(is_default_site=True).first()
    if site is None or MANUAL_PLUGIN not in get_manager().plugins:
        return False
    PluginConfiguration.objects.update_or_create(
        site=site,
        plugin=MANUAL_PLUGIN,
        defaults={"enabled": True, "settings": {"instructions": DEMO_INSTRUCTIONS, "reference_prefix": "DEMO"}},
    )
    config.invalidate(site.pk)
    return True


def _backfill(booking: Booking) -> bool:
    """Record a bank transfer for a booking scheduling confirmed without a payment."""
    with transaction.atomic():
        payment = Payment.objects.create(
            booking=booking,
            gateway="manual",
            plugin=MANUAL_PLUGIN,
            reference=f"DEMO-{booking.pk}-PAID",
            amount_minor=booking.price_minor,
            currency=booking.currency,
            commission_bp=ledger.freeze_commission(booking),
            status=Payment.PENDING,
            idempotency_key=checkout.new_key("demo", booking.pk),
        )
    return events.mark_paid(payment, "the demo editor").status == "processed"


def seed(context) -> None:
    counts = context.report.counts
    if not enable_manual_gateway():
        logger.info("demo: the manual payment plugin is not installed; no demo payments")
        return
    priced = Booking.objects.filter(price_minor__gt=0).exclude(payments__isnull=False).order_by("pk")
    paid = 0
    if not Payment.objects.filter(reference__startswith="DEMO-", reference__endswith="-PAID").exists():
        over = list(priced.filter(status__in=[Booking.COMPLETED, Booking.NO_SHOW]))
        for booking in over + list(priced.filter(status=Booking.CONFIRMED)[:10]):
            try:
                paid += _backfill(booking)
            except PaymentError as exc:
                logger.info("demo: booking %s not paid: %s", booking.pk, exc.message)
    if not Payment.objects.filter(idempotency_key__startswith="pl-pay-").exists():
        for booking in priced.filter(status=Booking.PENDING_PAYMENT)[:2]:
            try:
                started = checkout.start_payment(booking, "manual", user=booking.learner)
                paid += events.mark_paid(started.payment, "the demo editor").status == "processed"
            except PaymentError as exc:
                logger.info("demo: booking %s not paid: %s", booking.pk, exc.message)
    if not Payout.objects.exists():
        for mentor, currency, amount in payouts.available_balances():
            if amount > 0:
                payouts.record_payout(mentor, currency, reference="DEMO-PAYOUT-1", note="Demo payout")
                break
    counts["payments"] = Payment.objects.count()
    counts["payments paid now"] = paid
    counts["ledger entries"] = LedgerEntry.objects.count()
    counts["payouts"] = Payout.objects.count()
