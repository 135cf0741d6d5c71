"""Why a coupon, a quote or a free confirmation was refused (mapped to 4xx JSON by the API's handler)."""

from __future__ import annotations

from core.api.refusals import Refusal


class CouponRefused(Refusal):
    """The code cannot be used for this booking; nothing was changed."""

    default_code = "invalid_coupon"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, field="coupon")


class PricingConflict(Refusal):
    """The booking's state says no (already paying, not waiting for payment)."""

    status = 409
    default_code = "conflict"


class StatementRefused(Refusal):
    """A statement month that cannot be read (not YYYY-MM, in the future, too far back)."""

    default_code = "invalid_month"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="month")
