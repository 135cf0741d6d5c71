"""Checking, holding, using and releasing coupon codes.

A code is *held* by a booking when the learner applies it (counted against
the coupon's limits at once, so two learners cannot both take the last use),
*used* when the booking's payment goes through, and *released* (its use
given back) when the booking lapses unpaid, is cancelled with a full refund,
or the learner takes the code off. The coupon row is locked while a use is
taken: of any number of simultaneous uses of the last one, exactly one wins.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from core.scheduling.currency import format_money
from core.scheduling.models import Booking
from core.scheduling.services.bookings import lock_booking

from ..errors import CouponRefused, PricingConflict
from ..models import Coupon, CouponRedemption
from . import quotes

#: Payment states in which the amount can no longer change (money is on its way or arrived).
_SETTLING = ("processing", "pending", "succeeded")


def normalise(code: str) -> str:
    return (code or "").strip().upper()


def find(code: str) -> Coupon:
    code = normalise(code)
    coupon = Coupon.objects.filter(code=code).first() if code else None
    if coupon is None:
        raise CouponRefused(gettext("There is no coupon “%(code)s”.") % {"code": code[:40]}, code="unknown_coupon")
    return coupon


def _learner_uses(coupon: Coupon, learner_id: int, booking_id: int) -> int:
    return (
        CouponRedemption.objects.filter(coupon=coupon, learner_id=learner_id)
        .exclude(status=CouponRedemption.RELEASED)
        .exclude(booking_id=booking_id)
        .count()
    )


def discount_for(coupon: Coupon, booking: Booking, *, now: datetime | None = None, counting: bool = True) -> int:
    """The discount ``coupon`` gives ``booking`` in minor units; :class:`CouponRefused` saying why not."""
    now = now or timezone.now()
    session = booking.session
    if not coupon.active:
        raise CouponRefused(
            gettext("The coupon %(code)s is no longer offered.") % {"code": coupon.code}, code="coupon_inactive"
        )
    if coupon.valid_from and now < coupon.valid_from:
        raise CouponRefused(
            gettext("The coupon %(code)s can be used from %(date)s.")
            % {"code": coupon.code, "date": date_format(coupon.valid_from, "j F Y")},
            code="coupon_not_started",
        )
    if coupon.valid_until and now >= coupon.valid_until:
        raise CouponRefused(
            gettext("The coupon %(code)s expired on %(date)s.")
            % {"code": coupon.code, "date": date_format(coupon.valid_until, "j F Y")},
            code="coupon_expired",
        )
    if counting and coupon.max_uses is not None and coupon.uses >= coupon.max_uses:
        raise CouponRefused(
            gettext("The coupon %(code)s has been used up.") % {"code": coupon.code}, code="coupon_used_up"
        )
    if counting and _learner_uses(coupon, booking.learner_id, booking.pk) >= coupon.max_uses_per_learner:
        raise CouponRefused(
            gettext("You have already used the coupon %(code)s.") % {"code": coupon.code}, code="coupon_used_by_you"
        )
    if coupon.owner_id and coupon.owner_id != session.mentor_id:
        raise CouponRefused(
            gettext("The coupon %(code)s is only for its mentor's sessions.") % {"code": coupon.code},
            code="coupon_not_applicable",
        )
    if coupon.pk and coupon.mentors.exists() and not coupon.mentors.filter(pk=session.mentor_id).exists():
        raise CouponRefused(
            gettext("The coupon %(code)s is not for this mentor's sessions.") % {"code": coupon.code},
            code="coupon_not_applicable",
        )
    if coupon.pk and coupon.skills.exists() and not session.skills.filter(pk__in=coupon.skills.all()).exists():
        raise CouponRefused(
            gettext("The coupon %(code)s is not for this subject.") % {"code": coupon.code},
            code="coupon_not_applicable",
        )
    if coupon.first_booking_only and (
        Booking.objects.filter(learner_id=booking.learner_id, confirmed_at__isnull=False)
        .exclude(pk=booking.pk)
        .exists()
    ):
        raise CouponRefused(
            gettext("The coupon %(code)s is for a first booking only.") % {"code": coupon.code},
            code="coupon_first_booking",
        )
    if booking.price_minor <= 0:
        raise CouponRefused(
            gettext("This session is free: there is nothing to discount."), code="coupon_not_applicable"
        )
    if coupon.kind == Coupon.PERCENT:
        return min(booking.price_minor, quotes.share(booking.price_minor, quotes.basis_points(coupon.percent)))
    if coupon.currency != booking.currency:
        raise CouponRefused(
            gettext("The coupon %(code)s is worth %(format_money)s; this session is priced in %(currency)s.")
            % {
                "code": coupon.code,
                "format_money": format_money(coupon.amount_minor, coupon.currency),
                "currency": booking.currency,
            },
            code="coupon_currency",
        )
    return min(booking.price_minor, int(coupon.amount_minor))


def preview(booking: Booking, code: str, *, now: datetime | None = None) -> quotes.Quote:
    """The breakdown ``booking`` would have with ``code`` (or with no code when blank); writes nothing."""
    if not normalise(code):
        return quotes.compute(price_minor=booking.price_minor, currency=booking.currency, buyer=booking.learner)
    coupon = find(code)
    held = quotes.held_redemption(booking)
    counting = not (held and held.coupon_id == coupon.pk)
    discount = discount_for(coupon, booking, now=now, counting=counting)
    return quotes.compute(
        price_minor=booking.price_minor,
        currency=booking.currency,
        discount_minor=discount,
        discount_bearer=coupon.bearer,
        coupon_code=coupon.code,
        buyer=booking.learner,
    )


def user_may_pay(booking: Booking, user) -> bool:
    return user is None or user.pk == booking.learner_id


def _check_changeable(booking: Booking, user) -> None:
    if not user_may_pay(booking, user):
        raise PricingConflict(gettext("Only the learner who booked can apply a coupon."), code="permission_denied")
    if booking.status != Booking.PENDING_PAYMENT:
        raise PricingConflict(
            gettext("This booking is %(get_status_display)s; its price can no longer change.")
            % {"get_status_display": booking.get_status_display().lower()},
            code="not_payable",
        )
    if booking.payments.filter(status__in=_SETTLING).exists():
        raise PricingConflict(
            gettext("A payment for this booking is already on its way; its price can no longer change."),
            code="payment_started",
        )


def _release(redemption: CouponRedemption, now) -> None:
    redemption.status = CouponRedemption.RELEASED
    redemption.released_at = now
    redemption.save(update_fields=["status", "released_at"])
    Coupon.objects.filter(pk=redemption.coupon_id, uses__gt=0).update(uses=F("uses") - 1)


def apply(booking: Booking | int, code: str, *, user=None, now: datetime | None = None) -> CouponRedemption | None:
    """Hold ``code`` for ``booking`` (replacing the code it held); a blank code takes the code off.

    Raises :class:`CouponRefused` (400) or :class:`PricingConflict` (409) and changes nothing.
    """
    now = now or timezone.now()
    booking_id = booking if isinstance(booking, int) else booking.pk
    with transaction.atomic():
        locked = lock_booking(booking_id)
        held = quotes.held_redemption(locked)
        if held is not None and held.coupon.code == normalise(code) and user_may_pay(locked, user):
            return held  # the same code again (a retried request): nothing to change
        _check_changeable(locked, user)
        if not normalise(code):
            if held is not None:
                _release(held, now)
            return None
        coupon = Coupon.objects.select_for_update().filter(code=normalise(code)).first()
        if coupon is None:
            raise CouponRefused(
                gettext("There is no coupon “%(normalise)s”.") % {"normalise": normalise(code)[:40]},
                code="unknown_coupon",
            )
        discount = discount_for(coupon, locked, now=now)
        if held is not None:
            _release(held, now)
        redemption = CouponRedemption.objects.create(
            coupon=coupon,
            booking=locked,
            learner_id=locked.learner_id,
            discount_minor=discount,
            currency=locked.currency,
            bearer=coupon.bearer,
        )
        Coupon.objects.filter(pk=coupon.pk).update(uses=F("uses") + 1)
        return redemption


def mark_used(booking_id: int, redemption_id: int | None = None) -> None:
    """The booking was paid (or confirmed free): its held code is used for good."""
    redemptions = CouponRedemption.objects.filter(booking_id=booking_id, status=CouponRedemption.HELD)
    if redemption_id is not None:
        redemptions = redemptions.filter(pk=redemption_id)
    redemptions.update(status=CouponRedemption.USED)


def release_for(booking_id: int, *, used_too: bool = False, now: datetime | None = None) -> int:
    """Give back the use a lapsed (or fully refunded) booking took; returns how many were released."""
    now = now or timezone.now()
    statuses = [CouponRedemption.HELD, CouponRedemption.USED] if used_too else [CouponRedemption.HELD]
    released = 0
    with transaction.atomic():
        for redemption in CouponRedemption.objects.select_for_update().filter(
            booking_id=booking_id, status__in=statuses
        ):
            _release(redemption, now)
            released += 1
    return released
