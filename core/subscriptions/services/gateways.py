"""The gateways that declared the subscription capability, called through the payments router (fail closed)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext

from core.payments.services import gateways as payment_gateways
from core.payments.services.gateways import Routed
from core.plugins import offers_subscriptions

from ..errors import SubscriptionError


def subscription_gateways(site_id: int | None = None, currency: str = "") -> list[Routed]:
    """Enabled gateways that bill plans (and take ``currency``, when given)."""
    routed = [r for r in payment_gateways.enabled_gateways(site_id) if offers_subscriptions(r.gateway)]
    if currency:
        routed = [r for r in routed if payment_gateways.supports(r, currency, site_id)]
    return routed


def route(identifier: str, site_id: int | None = None) -> Routed:
    for routed in subscription_gateways(site_id):
        if routed.identifier == identifier:
            return routed
    raise SubscriptionError(
        gettext("No payment gateway “%(identifier)s” that bills plans is enabled on this site.")
        % {"identifier": identifier},
        code="unknown_gateway",
        field="gateway",
    )


def call(routed: Routed, method: str, *args: Any, expect: Any, site_id: int | None = None) -> Any:
    """The gateway's ``method`` under the plugin manager; raises ``GatewayUnavailable`` (502) on failure."""
    return payment_gateways.call(routed, method, *args, expect=expect, site_id=site_id)
