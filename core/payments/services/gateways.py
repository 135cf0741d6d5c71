"""Routing payment calls to gateway plugins, failing closed.

Gateways come from the ``peerlearn_payment_gateways`` hook of the plugins
enabled on the site and are routed by ``identifier``. Every gateway method is
called through the plugin manager (a worker thread, a time budget, errors
recorded under the plugin's name) with ``raise_errors=True``; whatever goes
wrong becomes a :class:`~core.payments.errors.GatewayUnavailable` with a
sentence for people, and nothing is recorded as paid or refunded.

A :class:`~core.plugins.GatewayError` (the gateway said no, or was
unreachable) or a :class:`~core.plugins.WebhookError` (a forged webhook) is
an *answer*, not a plugin malfunction: it is returned past the manager so it
never counts towards the plugin's circuit breaker (forged webhooks must not
be able to switch a gateway off). Exceptions of any other kind, timeouts and
calls refused because the gateway's plugin has every call slot taken by
earlier calls ("busy": nothing reached the gateway) do count.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from core.plugins import CheckoutInputError, GatewayError, PaymentGateway, WebhookError
from core.plugins.manager import PluginCallError, get_manager

from ..errors import GatewayUnavailable, InvalidPayment, UnknownGateway

logger = logging.getLogger("peerlearn.payments")

HOOK = "peerlearn_payment_gateways"


def budget() -> float:
    """Seconds one gateway call may take (``PAYMENTS_GATEWAY_BUDGET``, default 20)."""
    return float(getattr(settings, "PAYMENTS_GATEWAY_BUDGET", 20.0))


@dataclass(frozen=True)
class Routed:
    """A gateway and the plugin that provides it."""

    plugin: str
    gateway: PaymentGateway

    @property
    def identifier(self) -> str:
        return self.gateway.identifier

    @property
    def display_name(self) -> str:
        """The gateway's name in the reader's language (a plugin gives plain English marked for the catalogue)."""
        return gettext(self.gateway.display_name)


def enabled_gateways(site_id: int | None = None) -> list[Routed]:
    """Every gateway of the plugins enabled on the site, first provider of an identifier wins."""
    routed: dict[str, Routed] = {}
    for plugin, gateway in get_manager().providers(HOOK, site_id=site_id):
        identifier = getattr(gateway, "identifier", "")
        if not identifier:
            logger.error("Plugin %s returned a payment gateway without an identifier", plugin)
            continue
        if identifier in routed:
            logger.error(
                "Payment gateway %r is provided by %s and %s; using %s",
                identifier,
                routed[identifier].plugin,
                plugin,
                routed[identifier].plugin,
            )
            continue
        routed[identifier] = Routed(plugin, gateway)
    return list(routed.values())


def gateways_for(currency: str, site_id: int | None = None) -> list[Routed]:
    """The gateways a learner may choose for a price in ``currency``."""
    return [r for r in enabled_gateways(site_id) if supports(r, currency, site_id)]


def supports(routed: Routed, currency: str, site_id: int | None = None) -> bool:
    """Whether the gateway takes ``currency``; one whose ``supports`` fails is charged with it and says no."""
    answer = get_manager().invoke(
        routed.plugin,
        f"{routed.identifier}.supports",
        lambda: routed.gateway.supports(currency),
        expect=bool,
        site_id=site_id,
    )
    return answer is True


def route(identifier: str, site_id: int | None = None) -> Routed:
    for routed in enabled_gateways(site_id):
        if routed.identifier == identifier:
            return routed
    raise UnknownGateway(
        gettext("No payment gateway “%(identifier)s” is enabled on this site.") % {"identifier": identifier},
        code="unknown_gateway",
        field="gateway",
    )


@dataclass(frozen=True)
class Refused:
    """The gateway answered no (:class:`GatewayError`) or refused a webhook (:class:`WebhookError`)."""

    message: str
    webhook: bool = False
    #: The learner's input the gateway found wrong (:class:`CheckoutInputError`): 400 on that field.
    field: str = ""


def _guarded(method: Callable[..., Any], args: tuple) -> Any:
    try:
        return method(*args)
    except WebhookError as exc:
        return Refused(str(exc) or "refused", webhook=True)
    except GatewayError as exc:
        return Refused(str(exc) or "the gateway refused the request")
    except CheckoutInputError as exc:
        return Refused(exc.message or "this input was refused", field=exc.field)


_MESSAGES = {
    "timeout": gettext_lazy("The payment provider did not answer in time."),
    "busy": gettext_lazy("The payment provider is still busy with earlier requests that have not returned."),
    "breaker": gettext_lazy("The payment provider is switched off for a minute after repeated failures."),
    "bad_result": gettext_lazy("The payment provider answered something unexpected."),
    "exception": gettext_lazy("The payment provider failed."),
}


def call(routed: Routed, method: str, *args: Any, expect: Any, site_id: int | None = None) -> Any:
    """``routed.gateway.<method>(*args)`` under the manager, failing closed.

    Returns the gateway's value, or :class:`Refused` for a refused webhook;
    raises :class:`GatewayUnavailable` for everything else that went wrong.
    """
    bound = getattr(routed.gateway, method)
    try:
        value = get_manager().invoke(
            routed.plugin,
            f"{routed.identifier}.{method}",
            _guarded,
            expect=expect | Refused,
            budget=budget(),
            raise_errors=True,
            site_id=site_id,
            method=bound,
            args=args,
        )
    except PluginCallError as exc:
        text = _MESSAGES.get(exc.kind, gettext_lazy("The payment provider failed."))
        raise GatewayUnavailable(
            gettext("%(text)s Nothing was recorded; please try again.") % {"text": text}, code=f"gateway_{exc.kind}"
        ) from exc
    if isinstance(value, Refused) and value.field:
        raise InvalidPayment(value.message, code="input_refused", field=f"inputs.{value.field}")
    if isinstance(value, Refused) and not value.webhook:
        raise GatewayUnavailable(value.message, code="gateway_refused")
    return value
