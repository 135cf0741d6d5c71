"""Why a subscription request was refused: one family, mapped to HTTP by the API and the pages."""

from __future__ import annotations

from core.api.refusals import Refusal


class SubscriptionError(Refusal):
    """Bad input (an unknown plan, a gateway that cannot bill plans): nothing was written."""


class SubscriptionNotAllowed(SubscriptionError):
    status = 403
    default_code = "permission_denied"


class SubscriptionConflict(SubscriptionError):
    """The subscription's state says no (already subscribed, already ended)."""

    status = 409
    default_code = "conflict"
