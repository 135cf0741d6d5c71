"""The optional subscription capability of a payment gateway (premium mentor plans).

A gateway *declares* that it can bill recurring plans by also subclassing
:class:`SubscriptionGateway`; the core offers plans only through gateways
that do (:func:`offers_subscriptions`). A gateway that does not is unchanged
and simply never offered for plans. Amounts are integer minor units + ISO 4217.

The flow, every call made through the plugin manager and failing closed:

1. ``ensure_price`` once per plan price: the gateway's recurring price
   (Stripe: a Product and its Plan/Price; Razorpay: a Plan); the core stores
   the reference it returns and passes it back as ``existing_reference``;
2. ``begin_subscription``: a customer at the gateway and what the browser needs
   to collect a payment method (``client_data``, rendered by
   ``subscription_checkout_html``);
3. ``create_subscription`` with what the browser posted back; the answer's
   state is provisional: **only a verified webhook** (``parse_subscription_webhook``)
   grants or ends benefits and records money;
4. ``change_subscription`` (prorated upgrade or downgrade) and
   ``cancel_subscription`` (at the end of the paid period, or now).

Webhooks for subscriptions arrive at ``/subscriptions/webhooks/<identifier>/``;
the core deduplicates them by ``event_id`` and checks the amount of a paid
invoice against the plan price.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: The name of the capability, as the admin and ``manage.py plugins`` show it.
SUBSCRIPTIONS = "subscriptions"

SubscriptionStatus = Literal["incomplete", "trialing", "active", "past_due", "canceled"]


@dataclass(frozen=True)
class PriceSpec:
    """A recurring price the gateway must be able to bill."""

    #: Stable and unique per plan price on this site (``peerlearn-price-12``): an idempotency key.
    key: str
    product_name: str
    amount_minor: int
    currency: str
    interval: Literal["month", "year"]
    #: The reference an earlier ``ensure_price`` returned: reuse it if it still matches.
    existing_reference: str = ""


@dataclass(frozen=True)
class SubscriptionSetupRequest:
    """Start subscribing a mentor: make (or reuse) the gateway's customer."""

    idempotency_key: str
    customer_email: str
    customer_name: str = ""
    existing_customer: str = ""
    #: The price chosen and its free days: gateways whose customer authorises the subscription
    #: itself in the browser (Razorpay) create it here; others (Stripe) only collect a card.
    price_reference: str = ""
    trial_days: int = 0
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubscriptionSetup:
    """The gateway's customer and what the browser needs to collect a payment method."""

    customer_reference: str
    client_data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubscriptionRequest:
    customer_reference: str
    price_reference: str
    idempotency_key: str
    trial_days: int = 0
    #: What the browser posted back after collecting the payment method (e.g. a SetupIntent id).
    params: Mapping[str, str] = field(default_factory=dict)
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SubscriptionState:
    """A subscription as the gateway sees it now (provisional until a webhook says so)."""

    reference: str
    status: SubscriptionStatus
    price_reference: str
    #: Unix seconds; 0 when the gateway does not say.
    current_period_end: int = 0
    cancel_at_period_end: bool = False


@dataclass(frozen=True)
class SubscriptionEvent:
    """A verified subscription event.

    ``paid``: an invoice of the subscription was paid (``amount_minor``,
    ``currency``, ``invoice_reference``); ``payment_failed``: a renewal could
    not be charged; ``updated``: the subscription changed (``status``,
    ``price_reference``, ``period_end``, ``cancel_at_period_end``);
    ``canceled``: it ended at the gateway. ``ignored`` events are acknowledged.
    """

    event_id: str
    kind: Literal["paid", "payment_failed", "updated", "canceled", "ignored"]
    subscription_reference: str
    raw_type: str
    invoice_reference: str = ""
    amount_minor: int = 0
    currency: str = ""
    status: str = ""
    price_reference: str = ""
    period_end: int = 0
    cancel_at_period_end: bool = False
    message: str = ""


@dataclass(frozen=True)
class SubscriptionCheckoutContext:
    """What a gateway's subscription widget may use besides ``SubscriptionSetup.client_data``."""

    subscription_id: int
    plan_name: str
    amount_display: str
    customer_email: str
    csrf_token: str
    #: POST what the browser got from the gateway here (form fields); the core then creates the subscription.
    confirm_url: str
    csp_nonce: str = ""


class SubscriptionGateway(ABC):
    """Mix into a :class:`~core.plugins.contracts.payments.PaymentGateway` to declare subscriptions.

    Errors raise :class:`~core.plugins.contracts.payments.GatewayError` (a
    sentence for people) or, from ``parse_subscription_webhook``,
    :class:`~core.plugins.contracts.payments.WebhookError`.
    """

    @abstractmethod
    def ensure_price(self, spec: PriceSpec) -> str:
        """The reference of the gateway's recurring price for ``spec`` (created if needed)."""

    @abstractmethod
    def begin_subscription(self, request: SubscriptionSetupRequest) -> SubscriptionSetup:
        """Create (or reuse) the customer; return what the browser needs to collect a payment method."""

    @abstractmethod
    def create_subscription(self, request: SubscriptionRequest) -> SubscriptionState:
        """Subscribe the customer to ``price_reference`` (with ``trial_days`` free first)."""

    @abstractmethod
    def change_subscription(self, reference: str, price_reference: str, idempotency_key: str) -> SubscriptionState:
        """Move the subscription to another price now, prorating the rest of the period."""

    @abstractmethod
    def cancel_subscription(self, reference: str, at_period_end: bool = True) -> SubscriptionState:
        """Stop renewing (``at_period_end``) or end now."""

    @abstractmethod
    def parse_subscription_webhook(self, body: bytes, headers: Mapping[str, str]) -> SubscriptionEvent:
        """Verify the signature and parse; raise ``WebhookError`` to refuse."""

    def subscription_checkout_html(self, setup: SubscriptionSetup, context: SubscriptionCheckoutContext) -> str:
        """HTML of the widget that collects the payment method (trusted, not escaped)."""
        return ""


def offers_subscriptions(gateway: object) -> bool:
    """Whether ``gateway`` declared the subscription capability."""
    return isinstance(gateway, SubscriptionGateway)
