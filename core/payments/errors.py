"""Why a payment request was refused: one exception family, mapped to HTTP by the API and views."""

from __future__ import annotations

from core.api.refusals import Refusal


class PaymentError(Refusal):
    """A request the payments domain refuses; nothing was changed (or it was rolled back)."""


class InvalidPayment(PaymentError):
    """Bad input: an unknown gateway, a currency it does not take, a refund larger than what is left."""


class PaymentNotAllowed(PaymentError):
    status = 403
    default_code = "permission_denied"


class PaymentConflict(PaymentError):
    """The booking's state says no: already paid, expired, cancelled."""

    status = 409
    default_code = "conflict"


class GatewayUnavailable(PaymentError):
    """The gateway failed or could not be reached: the operation failed closed and can be retried."""

    status = 502
    default_code = "gateway_error"


class UnknownGateway(PaymentError):
    status = 404
    default_code = "unknown_gateway"
