"""Numbered receipts and credit notes, issued inside the transaction that records the money.

The number comes from a counter row per site, locked (``SELECT ... FOR
UPDATE``) while it is taken: concurrent payments queue on it, and a
transaction that rolls back gives its number back with everything else, so the
sequence has no gaps. A document is a snapshot (seller, buyer, lines, tax,
totals as printed) and never changes afterwards.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from wagtail.models import Site

from core.payments.models import LedgerEntry, Payment, Refund

from ..models import BillingDetails, PaymentBreakdown, Receipt, ReceiptCounter
from . import breakdowns, quotes


def _site() -> Site:
    return Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()


def next_number(site: Site) -> tuple[int, str]:
    """Take the next number of ``site`` (call inside the recording transaction)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("receipt numbers are taken inside the transaction that records the money")
    try:
        with transaction.atomic():
            ReceiptCounter.objects.get_or_create(site=site)
    except IntegrityError:  # another transaction created it first
        pass
    counter = ReceiptCounter.objects.select_for_update().get(site=site)
    counter.last += 1
    counter.save(update_fields=["last"])
    prefix = quotes.revenue_settings(site).receipt_prefix or "PL"
    return counter.last, f"{prefix}-{counter.last:06d}"


def _seller(site: Site) -> dict:
    settings = quotes.revenue_settings(site)
    return {"name": settings.seller_name, "address": settings.seller_address, "tax_id": settings.platform_tax_id}


def _buyer(user) -> dict:
    details = BillingDetails.objects.filter(user=user).first()
    return {
        "name": (details.legal_name if details and details.legal_name else user.display_name) or user.email,
        "email": user.email,
        "address": details.address if details else "",
        "country": details.country if details else "",
        "tax_id": details.tax_id if details else "",
    }


def _lines(booking, quote: quotes.Quote) -> tuple[list[dict], int, str]:
    """Lines as printed, the tax, and its label. Exclusive prices: net lines then tax; inclusive: gross lines."""
    session = booking.session
    lines = [
        {"description": f"{session.title}, {booking.starts_at:%d %b %Y %H:%M} UTC", "amount_minor": quote.price_minor}
    ]
    if quote.discount_minor:
        lines.append({"description": f"Coupon {quote.coupon_code}", "amount_minor": -quote.discount_minor})
    if quote.fee_minor:
        lines.append({"description": "Service fee", "amount_minor": quote.fee_minor})
    label = f"{quote.tax_name} {quote.tax_percent.normalize():f} % ({quote.tax_country})" if quote.tax_name else ""
    if label and quote.prices_include_tax:
        label = f"incl. {label}"
    return lines, quote.tax_minor, label


def _purchase_lines(purchase, quote: quotes.Quote) -> tuple[list[dict], int, str]:
    """A package's receipt: one line for the package (N sessions of a length), then fee and tax as for a booking."""
    package = purchase.package
    mentor = purchase.mentor.display_name or purchase.mentor.email
    line = f"{package.title}: {purchase.sessions} × {purchase.duration_minutes} min with {mentor}"
    lines = [{"description": line, "amount_minor": quote.price_minor}]
    if quote.fee_minor:
        lines.append({"description": "Service fee", "amount_minor": quote.fee_minor})
    label = f"{quote.tax_name} {quote.tax_percent.normalize():f} % ({quote.tax_country})" if quote.tax_name else ""
    if label and quote.prices_include_tax:
        label = f"incl. {label}"
    return lines, quote.tax_minor, label


def _create(
    site,
    *,
    kind,
    booking,
    quote_or_lines,
    buyer,
    payment=None,
    refund=None,
    currency: str,
    purchase=None,
    subscription_invoice=None,
    mentor_id: int | None = None,
) -> Receipt:
    sequence, number = next_number(site)
    lines, tax, label, total = quote_or_lines
    return Receipt.objects.create(
        site=site,
        sequence=sequence,
        number=number,
        kind=kind,
        booking=booking,
        purchase=purchase,
        subscription_invoice=subscription_invoice,
        payment=payment,
        refund=refund,
        buyer=buyer,
        mentor_id=mentor_id or (booking.session.mentor_id if booking is not None else purchase.mentor_id),
        seller=_seller(site),
        buyer_details=_buyer(buyer),
        lines=lines,
        currency=currency,
        net_minor=total - tax,
        tax_minor=tax,
        total_minor=total,
        tax_label=label,
    )


def issue_for_payment(payment: Payment) -> Receipt:
    """The receipt of a payment that went through (once per payment)."""
    existing = Receipt.objects.filter(payment=payment, kind=Receipt.RECEIPT).first()
    if existing is not None:
        return existing
    booking, purchase = payment.booking, payment.purchase
    frozen = PaymentBreakdown.objects.filter(payment=payment).select_related("redemption__coupon").first()
    quote = (
        breakdowns.quote_of(frozen)
        if frozen
        else quotes.Quote(payment.currency, payment.amount_minor, total_minor=payment.amount_minor)
    )
    lines, tax, label = _lines(booking, quote) if booking is not None else _purchase_lines(purchase, quote)
    return _create(
        _site(),
        kind=Receipt.RECEIPT,
        booking=booking,
        purchase=purchase,
        quote_or_lines=(lines, tax, label, payment.amount_minor),
        buyer=booking.learner if booking is not None else purchase.learner,
        payment=payment,
        currency=payment.currency,
    )


def issue_for_free_booking(booking, quote: quotes.Quote) -> Receipt:
    """A booking a coupon paid for in full: a receipt for zero."""
    lines, tax, label = _lines(booking, quote)
    return _create(
        _site(),
        kind=Receipt.RECEIPT,
        booking=booking,
        quote_or_lines=(lines, tax, label, quote.total_minor),
        buyer=booking.learner,
        currency=quote.currency,
    )


def issue_for_subscription_invoice(invoice) -> Receipt:
    """The receipt of a premium plan's paid invoice (the mentor is the buyer); once per invoice.

    The plan's price is what the gateway charged; with tax-inclusive prices the
    buyer's rate is shown carved out of it, as on a booking's receipt.
    """
    existing = Receipt.objects.filter(subscription_invoice=invoice).first()
    if existing is not None:
        return existing
    subscription = invoice.subscription
    mentor = subscription.mentor
    site_settings = quotes.revenue_settings()
    tax, label = 0, ""
    country = quotes.buyer_country(mentor, site_settings)
    rate = site_settings.tax_rates.filter(country=country).first() if country and site_settings.pk else None
    if rate is not None and site_settings.prices_include_tax:
        tax = quotes.included_tax(invoice.amount_minor, quotes.basis_points(rate.percent))
        label = f"incl. {rate.name} {rate.percent.normalize():f} % ({country})"
    until = f", until {invoice.period_end:%d %b %Y}" if invoice.period_end else ""
    lines = [
        {
            "description": f"Premium plan {subscription.plan} ({subscription.price.display}){until}",
            "amount_minor": invoice.amount_minor,
        }
    ]
    return _create(
        _site(),
        kind=Receipt.RECEIPT,
        booking=None,
        quote_or_lines=(lines, tax, label, invoice.amount_minor),
        buyer=mentor,
        currency=invoice.currency,
        subscription_invoice=invoice,
        mentor_id=mentor.pk,
    )


def issue_for_refund(refund: Refund) -> Receipt:
    """The credit note of a refund that went through; its tax is the tax the ledger reversed."""
    existing = Receipt.objects.filter(refund=refund).first()
    if existing is not None:
        return existing
    payment = refund.payment
    booking, purchase = payment.booking, payment.purchase
    tax = -LedgerEntry.objects.filter(refund=refund, kind=LedgerEntry.TAX_REVERSAL).balance()
    original = Receipt.objects.filter(payment=payment, kind=Receipt.RECEIPT).first()
    about = f" of receipt {original.number}" if original else ""
    lines = [
        {"description": f"Refund{about}: {refund.get_reason_display()}", "amount_minor": -(refund.amount_minor - tax)}
    ]
    frozen = PaymentBreakdown.objects.filter(payment=payment).first()
    label = (
        f"{frozen.tax_name} {frozen.tax_percent.normalize():f} % ({frozen.tax_country})"
        if frozen and frozen.tax_name
        else ""
    )
    return _create(
        _site(),
        kind=Receipt.CREDIT_NOTE,
        booking=booking,
        purchase=purchase,
        quote_or_lines=(lines, -tax, label, -refund.amount_minor),
        buyer=booking.learner if booking is not None else purchase.learner,
        payment=payment,
        refund=refund,
        currency=refund.currency,
    )


def visible_to(user):
    """The documents ``user`` may read: their own as buyer, their sessions' as mentor, everything for staff."""
    receipts = Receipt.objects.select_related(
        "booking__session", "purchase__package", "subscription_invoice__subscription__plan", "buyer"
    )
    if user.is_staff:
        return receipts
    from django.db.models import Q

    return receipts.filter(Q(buyer=user) | Q(mentor=user))
