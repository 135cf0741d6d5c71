"""Credits: booking with one, giving it back, earning it, refunding and expiring the unused ones.

``PackagePurchase.credits_left`` is the one counter: a booking takes the
purchase row's lock (``SELECT ... FOR UPDATE``) before it reads the counter,
so of N+5 simultaneous bookings with N credits exactly N succeed and the others
are refused with ``no_credits``, and nothing else is written for them.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.payments.models import Payment, Refund
from core.pricing.services.quotes import revenue_settings
from core.scheduling.models import Booking, Session
from core.scheduling.services.bookings import book_slot, confirm_booking

from ..errors import PackageConflict, PackageNotAllowed, PackageRefused
from ..models import CreditRefund, CreditUse, PackagePurchase, PackageSettings
from . import accounting
from .purchases import lock_purchase

logger = logging.getLogger("peerlearn.packages")


def package_settings() -> PackageSettings:
    from wagtail.models import Site

    site = Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()
    return PackageSettings.for_site(site) if site is not None else PackageSettings()


def _check_usable(purchase: PackagePurchase, learner, now: datetime) -> None:
    if purchase.learner_id != learner.pk:
        raise PackageNotAllowed(_("These credits are not yours."), code="not_yours")
    if purchase.status == PackagePurchase.PENDING:
        raise PackageConflict(_("This package is not paid yet."), code="not_paid")
    if purchase.status != PackagePurchase.PAID or (purchase.expires_at and purchase.expires_at <= now):
        raise PackageConflict(_("This package has expired."), code="package_expired")
    if purchase.credits_left <= 0:
        raise PackageConflict(_("No credits are left in this package."), code="no_credits")


def book_with_credit(purchase: PackagePurchase | int, learner, start: datetime, *, now: datetime | None = None):
    """Book a 1:1 session with the package's mentor at ``start``, paid by one credit.

    One transaction: the purchase row is locked, a credit drawn, the slot booked
    (the scheduling rules: availability, no double booking) and confirmed. Any
    refusal rolls everything back, the credit included.
    """
    now = now or timezone.now()
    pk = purchase if isinstance(purchase, int) else purchase.pk
    if start.tzinfo is None:
        raise PackageRefused(_("Give the start with its UTC offset."), code="naive_datetime", field="start")
    with transaction.atomic():
        locked = lock_purchase(pk)
        _check_usable(locked, learner, now)
        if locked.expires_at and start >= locked.expires_at:
            raise PackageRefused(
                _("Sessions of this package must start before it expires (%(when)s UTC).")
                % {"when": f"{locked.expires_at:%d %b %Y %H:%M}"},
                code="after_expiry",
                field="start",
            )
        booking = book_slot(locked.mentor, learner, start, locked.duration_minutes, now=now)
        Session.objects.filter(pk=booking.session_id).update(price_minor=0, currency=locked.currency)
        Booking.objects.filter(pk=booking.pk).update(price_minor=0, currency=locked.currency)
        booking.refresh_from_db()
        if booking.status == Booking.PENDING_PAYMENT:
            booking = confirm_booking(booking, by=learner, now=now)
        CreditUse.objects.create(purchase=locked, booking=booking, created_at=now)
        PackagePurchase.objects.filter(pk=locked.pk).update(credits_left=F("credits_left") - 1)
    return booking


def settle_for_booking(booking_id: int, new_status: str, refund_percent: int | None) -> str | None:
    """Follow a credit's booking: a full-refund cancellation returns the credit; a session held earns it.

    Returns what became of the credit (``returned``, ``earned``) or None when
    there is nothing to do; safe to call twice (the use's status is checked under the lock).
    """
    use = CreditUse.objects.filter(booking_id=booking_id).first()
    if use is None:
        return None
    with transaction.atomic():
        purchase = lock_purchase(use.purchase_id)
        use = CreditUse.objects.select_for_update().get(pk=use.pk)
        if use.status != CreditUse.HELD:
            return None
        now = timezone.now()
        if new_status in (Booking.CANCELLED, Booking.EXPIRED) and (refund_percent == 100 or refund_percent is None):
            use.status = CreditUse.RETURNED
            use.settled_at = now
            use.save(update_fields=["status", "settled_at"])
            if purchase.status == PackagePurchase.PAID:
                PackagePurchase.objects.filter(pk=purchase.pk).update(credits_left=F("credits_left") + 1)
            else:  # the package expired or was closed meanwhile: the credit follows its unused siblings
                _settle_lapsed_credit(purchase)
            return CreditUse.RETURNED
        if new_status in (Booking.COMPLETED, Booking.NO_SHOW, Booking.CANCELLED):
            accounting.recognise(use, purchase)
            use.status = CreditUse.EARNED
            use.settled_at = now
            use.save(update_fields=["status", "settled_at"])
            return CreditUse.EARNED
    return None


def _settle_lapsed_credit(purchase: PackagePurchase) -> None:
    """A credit returned after its package expired: it is forfeited like the other unused ones."""
    accounting.forfeit(purchase, 1)
    PackagePurchase.objects.filter(pk=purchase.pk).update(credits_forfeited=F("credits_forfeited") + 1)


# --- unused credits: refunds and expiry ---------------------------------------------------------


def refund_unused(purchase: PackagePurchase | int, *, by, cause: str = CreditRefund.LEARNER) -> Refund:
    """Refund every unused credit pro rata through the purchase's gateway, and close the package.

    The learner may ask while the package is valid when the site's policy allows
    it; staff always may; the expiry sweep does when the policy refunds at expiry.
    Credits already booked stay booked. A refused refund gives the credits back.
    """
    pk = purchase if isinstance(purchase, int) else purchase.pk
    policy = package_settings()
    with transaction.atomic():
        locked = lock_purchase(pk)
        if cause == CreditRefund.LEARNER:
            if by is None or by.pk != locked.learner_id:
                raise PackageNotAllowed(_("Only the learner who bought the package can ask for a refund."))
            if policy.unused_refund != PackageSettings.PRO_RATA:
                raise PackageConflict(_("Unused credits are not refundable on this site."), code="no_refunds")
            if locked.expires_at and locked.expires_at <= timezone.now():
                raise PackageConflict(_("This package has expired."), code="package_expired")
        if locked.status not in (PackagePurchase.PAID, PackagePurchase.EXPIRED):
            raise PackageConflict(_("This package has nothing to refund."), code="not_refundable")
        credits = locked.credits_left
        if credits <= 0:
            raise PackageConflict(_("No credits are left in this package."), code="no_credits")
        payment = accounting.paid_payment(locked)
        if payment is None:
            raise PackageConflict(_("This package has no payment that went through."), code="not_paid")
        split = accounting.refund_split(payment, locked, credits, bool(revenue_settings().fee_refundable))
        locked.credits_left = 0
        locked.credits_refunded += credits
        locked.status = PackagePurchase.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["credits_left", "credits_refunded", "status", "closed_at"])
        note = f"{credits} unused credit(s) of package purchase {locked.pk}"
        if split.amount <= 0:
            raise PackageConflict(_("The unused credits are worth nothing to refund."), code="nothing_to_refund")
        refund = _request_refund(payment, split.amount, note, by if by is not None and by.is_staff else None)
        CreditRefund.objects.create(
            purchase=locked,
            refund=refund,
            credits=credits,
            cause=cause,
            release_minor=split.release,
            fee_minor=split.fee,
            tax_minor=split.tax,
        )
    try:
        return refund_payment_ask(refund)
    except Exception:
        _give_back(locked.pk, refund.pk)
        raise


def _request_refund(payment: Payment, amount: int, note: str, by) -> Refund:
    """The Refund row, made by the payments service's own rules (inside our transaction: the gateway is asked after)."""
    from core.payments.services.checkout import new_key

    return Refund.objects.create(
        payment=payment,
        amount_minor=amount,
        currency=payment.currency,
        status=Refund.REQUESTED,
        reason=Refund.STAFF if by is not None else Refund.CANCELLATION,
        note=note[:255],
        idempotency_key=new_key("ref", 0),
        requested_by=by,
    )


def refund_payment_ask(refund: Refund) -> Refund:
    """Ask the gateway for ``refund`` (the payments service: same retries, review flags and settlement)."""
    from core.payments.services import refunds

    return refunds.retry_refund(refund)


def _give_back(purchase_id: int, refund_id: int) -> None:
    """The gateway refused the refund: the credits are the learner's again (the package reopens if still valid)."""
    with transaction.atomic():
        purchase = lock_purchase(purchase_id)
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != Refund.FAILED:
            return  # no answer yet: held for review and retried, the credits stay reserved for it
        planned = CreditRefund.objects.get(refund=refund)
        purchase.credits_left += planned.credits
        purchase.credits_refunded -= planned.credits
        expired = purchase.expires_at is not None and purchase.expires_at <= timezone.now()
        purchase.status = PackagePurchase.EXPIRED if expired else PackagePurchase.PAID
        purchase.closed_at = None
        purchase.save(update_fields=["credits_left", "credits_refunded", "status", "closed_at"])
        planned.delete()


def expire_due(now: datetime | None = None, *, learner_id: int | None = None) -> int:
    """Expire paid packages past their date: unused credits refunded or forfeited, per the site's policy.

    The hourly beat task sweeps them all; a learner's credits page and API expire
    that learner's first, so nobody sees credits that have lapsed.
    """
    now = now or timezone.now()
    due = PackagePurchase.objects.filter(status=PackagePurchase.PAID, expires_at__lte=now)
    if learner_id is not None:
        due = due.filter(learner_id=learner_id)
    if not due.exists():
        return 0
    policy = package_settings()
    done = 0
    for pk in due.values_list("pk", flat=True):
        with transaction.atomic():
            purchase = lock_purchase(pk)
            if purchase.status != PackagePurchase.PAID or purchase.expires_at > now:
                continue
            unused = purchase.credits_left
            purchase.status = PackagePurchase.EXPIRED
            purchase.save(update_fields=["status"])
            if unused and policy.on_expiry == PackageSettings.EXPIRY_FORFEIT:
                accounting.forfeit(purchase, unused)
                purchase.credits_forfeited += unused
                purchase.credits_left = 0
                purchase.save(update_fields=["credits_forfeited", "credits_left"])
        done += 1
        if unused and policy.on_expiry == PackageSettings.EXPIRY_REFUND:
            try:
                refund_unused(pk, by=None, cause=CreditRefund.EXPIRY)
            except Exception:
                logger.exception("could not refund the unused credits of expired package purchase %s", pk)
    return done
