"""The price breakdown of a booking: session price, discount, service fee, tax, total.

Pure arithmetic on integers (minor units), rounded half up once per amount.
The fee is a percentage of what the learner pays for the session (after the
discount) plus a fixed part, capped; a session made free by a coupon carries
no fee. Tax is the buyer's country's rate (their billing details, else the
seller's country) on the session and the fee, added on top or, when prices
include tax, carved out of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import Decimal

from wagtail.models import Site

from core.scheduling.currency import to_decimal

from ..models import BillingDetails, CouponRedemption, RevenueSettings


def revenue_settings(site: Site | None = None) -> RevenueSettings:
    """The settings of ``site`` (default: the default site); unsaved defaults when there is no site."""
    if site is None:
        site = Site.objects.filter(is_default_site=True).first() or Site.objects.order_by("pk").first()
    if site is None:
        return RevenueSettings()
    return RevenueSettings.for_site(site)


def basis_points(percent: Decimal) -> int:
    return int((Decimal(percent) * 100).to_integral_value())


def share(amount_minor: int, bp: int) -> int:
    """``bp`` basis points of ``amount_minor``, rounded half up."""
    return (amount_minor * bp + 5_000) // 10_000


def included_tax(gross_minor: int, bp: int) -> int:
    """The tax inside a tax-inclusive ``gross_minor`` at ``bp``: gross minus the net rounded half up."""
    if not bp:
        return 0
    net = (gross_minor * 10_000 * 2 + (10_000 + bp)) // (2 * (10_000 + bp))
    return gross_minor - net


@dataclass(frozen=True)
class Quote:
    currency: str
    price_minor: int
    discount_minor: int = 0
    discount_bearer: str = ""
    coupon_code: str = ""
    fee_minor: int = 0
    fee_refundable: bool = False
    tax_name: str = ""
    tax_percent: Decimal = Decimal("0")
    tax_country: str = ""
    prices_include_tax: bool = False
    session_tax_minor: int = 0
    fee_tax_minor: int = 0
    total_minor: int = 0

    @property
    def tax_minor(self) -> int:
        return self.session_tax_minor + self.fee_tax_minor

    def as_api(self) -> dict:
        """Minor units plus decimal strings with the currency's places."""
        data = asdict(self)
        data["tax_percent"] = str(self.tax_percent)
        data["tax_minor"] = self.tax_minor
        for name in ("price", "discount", "fee", "tax", "total"):
            data[name] = str(to_decimal(data[f"{name}_minor"], self.currency))
        data.pop("session_tax_minor")
        data.pop("fee_tax_minor")
        return data


def fee_for(amount_minor: int, currency: str, site_settings: RevenueSettings) -> int:
    """The service fee on ``amount_minor`` (0 when nothing is paid for the session, or no rule for the currency)."""
    if amount_minor <= 0 or site_settings.pk is None:
        return 0
    rule = site_settings.fee_rules.filter(currency=currency).first()
    if rule is None:
        return 0
    fee = share(amount_minor, basis_points(rule.percent)) + rule.fixed_minor
    if rule.cap_minor is not None:
        fee = min(fee, rule.cap_minor)
    return fee


def buyer_country(user, site_settings: RevenueSettings) -> str:
    details = BillingDetails.objects.filter(user=user).first() if user is not None else None
    return (details.country if details and details.country else site_settings.seller_country) or ""


def compute(
    *,
    price_minor: int,
    currency: str,
    discount_minor: int = 0,
    discount_bearer: str = "",
    coupon_code: str = "",
    buyer=None,
    site_settings: RevenueSettings | None = None,
) -> Quote:
    """The breakdown of ``price_minor`` less ``discount_minor`` for ``buyer`` under ``site_settings``."""
    site_settings = site_settings if site_settings is not None else revenue_settings()
    discount = max(0, min(discount_minor, price_minor))
    session = price_minor - discount
    fee = fee_for(session, currency, site_settings)
    country = buyer_country(buyer, site_settings)
    rate = site_settings.tax_rates.filter(country=country).first() if country and site_settings.pk else None
    bp = basis_points(rate.percent) if rate else 0
    inclusive = bool(site_settings.prices_include_tax)
    if inclusive:
        session_tax, fee_tax = included_tax(session, bp), included_tax(fee, bp)
        total = session + fee
    else:
        session_tax, fee_tax = share(session, bp), share(fee, bp)
        total = session + fee + session_tax + fee_tax
    return Quote(
        currency=currency,
        price_minor=price_minor,
        discount_minor=discount,
        discount_bearer=discount_bearer if discount else "",
        coupon_code=coupon_code if discount else "",
        fee_minor=fee,
        fee_refundable=bool(site_settings.fee_refundable),
        tax_name=rate.name if rate else "",
        tax_percent=rate.percent if rate else Decimal("0"),
        tax_country=country if rate else "",
        prices_include_tax=inclusive,
        session_tax_minor=session_tax,
        fee_tax_minor=fee_tax,
        total_minor=total,
    )


def held_redemption(booking) -> CouponRedemption | None:
    return (
        CouponRedemption.objects.select_related("coupon")
        .filter(booking=booking)
        .exclude(status=CouponRedemption.RELEASED)
        .first()
    )


def quote_for(booking, *, redemption: CouponRedemption | None = None) -> Quote:
    """What ``booking``'s learner pays now, with the coupon the booking holds (or ``redemption``)."""
    from core.scheduling.services.series import series_price_minor

    redemption = redemption if redemption is not None else held_redemption(booking)
    series_total = series_price_minor(booking)  # an at-once series' first booking pays for all its sessions
    return compute(
        price_minor=booking.price_minor if series_total is None else series_total,
        currency=booking.currency,
        discount_minor=redemption.discount_minor if redemption else 0,
        discount_bearer=redemption.bearer if redemption else "",
        coupon_code=redemption.coupon.code if redemption else "",
        buyer=booking.learner,
    )
