"""The harnesses of the built-in gateways (see :class:`peerlearn_testing.GatewayHarness`).

Importing this module registers them, so the contract suite of
``peerlearn_testing`` finds them; a third-party gateway package publishes its
own harness under the entry-point group ``peerlearn.payment_harnesses``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from typing import Any

from core.plugins import PaymentStart, RefundResult
from peerlearn_testing.payments import GatewayHarness, Webhook, register_harness

from .servers import FakeRazorpay, LocalStripe, closed_port_url


def stripe_style_signature(secret: str, body: bytes, timestamp: int | None = None) -> str:
    stamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


# --- Stripe ------------------------------------------------------------------------


class StripeHarness(GatewayHarness):
    plugin = "payment_stripe"
    identifier = "stripe"
    currency = "EUR"
    webhook_secret = "whsec_test_" + "a1b2c3d4e5f6" * 3

    def __init__(self) -> None:
        self.server = LocalStripe()
        self._client = None

    def start(self) -> None:
        import stripe

        self.server.start()
        self._client = stripe.StripeClient(
            "sk_test_harness", base_addresses={"api": self.server.url}, max_network_retries=0
        )

    def stop(self) -> None:
        self.server.stop()

    @property
    def client(self):
        assert self._client is not None, "start() the harness first"
        return self._client

    def settings(self) -> dict[str, Any]:
        return {"publishable_key": "pk_test_harness", "api_base": self.server.url, "js_url": self.server.js_url}

    def secrets(self) -> dict[str, Any]:
        return {"secret_key": "sk_test_harness", "webhook_secret": self.webhook_secret}

    def outage_settings(self) -> dict[str, Any]:
        return {**self.settings(), "api_base": closed_port_url()}

    def _card(self, number: str) -> str:
        method = self.client.v1.payment_methods.create(
            params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
        )
        return method.id

    def complete(self, start: PaymentStart) -> str:
        self.client.v1.payment_intents.update(
            start.reference, params={"payment_method": self._card("4242424242424242")}
        )
        intent = self.client.v1.payment_intents.confirm(start.reference)
        assert intent.status == "succeeded", intent.status
        charge = intent.latest_charge
        return charge if isinstance(charge, str) else charge.id

    def attach_3ds_card(self, start: PaymentStart) -> None:
        """Leave the intent waiting for 3-D Secure in the browser (localstripe's confirmCardPayment path)."""
        self.client.v1.payment_intents.update(
            start.reference, params={"payment_method": self._card("4000002760003184")}
        )
        intent = self.client.v1.payment_intents.confirm(start.reference)
        assert intent.status == "requires_action", intent.status

    def decline(self, start: PaymentStart) -> None:
        import stripe

        self.client.v1.payment_intents.update(
            start.reference, params={"payment_method": self._card("4000000000000341")}
        )
        try:
            self.client.v1.payment_intents.confirm(start.reference)
        except stripe.CardError:
            pass
        else:  # pragma: no cover - localstripe declines this card
            raise AssertionError("the decline card was accepted")

    def _intent(self, reference: str) -> dict[str, Any]:
        return self.client.v1.payment_intents.retrieve(reference).to_dict()

    def _event(self, kind: str, obj: dict[str, Any]) -> Webhook:
        payload = {
            "id": "evt_" + secrets.token_hex(12),
            "object": "event",
            "api_version": "2025-01-27",
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "type": kind,
            "data": {"object": obj},
        }
        body = json.dumps(payload).encode()
        return body, {"Stripe-Signature": stripe_style_signature(self.webhook_secret, body)}

    def succeeded_event(self, start: PaymentStart, charge_reference: str = "", **override: Any) -> Webhook:
        intent = self._intent(start.reference)
        if intent["status"] != "succeeded" and not override:
            raise AssertionError(f"the intent is {intent['status']}, not succeeded")
        intent.update(status="succeeded", amount_received=intent["amount"])
        intent.update(override)
        return self._event("payment_intent.succeeded", intent)

    def failed_event(self, start: PaymentStart) -> Webhook:
        return self._event("payment_intent.payment_failed", self._intent(start.reference))

    def refunded_event(self, start: PaymentStart, refund: RefundResult) -> Webhook:
        charge = self._intent(start.reference)["latest_charge"]
        charge_id = charge if isinstance(charge, str) else charge["id"]
        return self._event("charge.refunded", self.client.v1.charges.retrieve(charge_id).to_dict())

    def forge(self, webhook: Webhook) -> Webhook:
        body, _ = webhook
        return body, {"Stripe-Signature": stripe_style_signature("whsec_wrong_secret", body)}

    def stale(self, webhook: Webhook) -> Webhook:
        body, _ = webhook
        return body, {"Stripe-Signature": stripe_style_signature(self.webhook_secret, body, int(time.time()) - 3600)}

    def holds(self, start: PaymentStart) -> int:
        intent = self._intent(start.reference)
        charge = intent.get("latest_charge")
        if not charge:
            return 0
        if isinstance(charge, str):
            charge = self.client.v1.charges.retrieve(charge).to_dict()
        if charge["status"] != "succeeded" or not charge.get("captured"):
            return 0
        return int(charge["amount"]) - int(charge["amount_refunded"])

    # --- subscriptions (the optional capability) ------------------------------------------

    def save_card(self, client_data, number: str = "4242424242424242") -> dict[str, str]:
        """What the browser's Stripe.js does with the card form: confirm the SetupIntent; the posted params."""
        seti = client_data["setup_intent"]
        self.client.v1.setup_intents.confirm(seti, params={"payment_method": self._card(number)})
        return {"setup_intent": seti}

    def latest_invoice(self, subscription_reference: str) -> dict[str, Any]:
        sub = self.client.v1.subscriptions.retrieve(subscription_reference).to_dict()
        invoices = self.client.v1.invoices.list(params={"customer": sub["customer"], "limit": 10}).to_dict()["data"]
        ours = [i for i in invoices if i.get("subscription") == subscription_reference]
        assert ours, f"no invoice for {subscription_reference}"
        return ours[0]

    def _invoice_event(self, kind: str, subscription_reference: str, **override: Any) -> Webhook:
        invoice = self.latest_invoice(subscription_reference)
        invoice.update(override)
        return self._event(kind, invoice)

    def _subscription_event(self, kind: str, subscription_reference: str, **override: Any) -> Webhook:
        sub = self.client.v1.subscriptions.retrieve(subscription_reference).to_dict()
        sub.update(override)
        return self._event(kind, sub)

    def subscription_paid(self, subscription_reference: str, **override: Any) -> Webhook:
        """A signed ``invoice.paid`` for the subscription's latest invoice (``override`` changes its fields)."""
        return self._invoice_event("invoice.paid", subscription_reference, **override)

    def subscription_failed(self, subscription_reference: str, **override: Any) -> Webhook:
        return self._invoice_event("invoice.payment_failed", subscription_reference, **override)

    def subscription_updated(self, subscription_reference: str, **override: Any) -> Webhook:
        return self._subscription_event("customer.subscription.updated", subscription_reference, **override)

    def subscription_ended(self, subscription_reference: str, **override: Any) -> Webhook:
        return self._subscription_event(
            "customer.subscription.deleted", subscription_reference, **{"status": "canceled", **override}
        )


# --- Razorpay ----------------------------------------------------------------------


class RazorpayHarness(GatewayHarness):
    plugin = "payment_razorpay"
    identifier = "razorpay"
    currency = "INR"
    amount_minor = 150_000
    signs_timestamps = False
    key_id = "rzp_test_harness"
    key_secret = "harness_key_secret_0123456789"
    webhook_secret = "harness_webhook_secret_9876543210"

    def __init__(self) -> None:
        self.server = FakeRazorpay(self.key_id, self.key_secret)
        self._last_payment: dict[str, dict[str, Any]] = {}

    def start(self) -> None:
        self.server.start()

    def stop(self) -> None:
        self.server.stop()

    def settings(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "api_base": self.server.url,
            "checkout_js_url": "/static/test/razorpay-checkout-missing.js",
            "currencies": "INR,EUR",
        }

    def secrets(self) -> dict[str, Any]:
        return {"key_secret": self.key_secret, "webhook_secret": self.webhook_secret}

    def outage_settings(self) -> dict[str, Any]:
        return {**self.settings(), "api_base": closed_port_url()}

    def complete(self, start: PaymentStart) -> str:
        payment = self.server.pay(start.reference)
        self._last_payment[start.reference] = payment
        return payment["id"]

    def decline(self, start: PaymentStart) -> None:
        self._last_payment[start.reference] = self.server.decline(start.reference)

    def _webhook(self, event: str, entities: dict[str, dict[str, Any]]) -> Webhook:
        payload = {
            "entity": "event",
            "account_id": "acc_harness",
            "event": event,
            "contains": list(entities),
            "payload": {name: {"entity": entity} for name, entity in entities.items()},
            "created_at": int(time.time()),
        }
        body = json.dumps(payload).encode()
        signature = hmac.new(self.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
        return body, {"X-Razorpay-Signature": signature, "X-Razorpay-Event-Id": "evt_" + secrets.token_hex(8)}

    def _payment_of(self, start: PaymentStart) -> dict[str, Any]:
        return dict(self._last_payment[start.reference])

    def succeeded_event(self, start: PaymentStart, charge_reference: str = "", **override: Any) -> Webhook:
        payment = self._payment_of(start) if start.reference in self._last_payment else {}
        if not payment:
            order = self.server.orders[start.reference]
            payment = {"id": "pay_missing", "order_id": order["id"], "amount": order["amount"], "currency": "INR"}
        payment.update(status="captured")
        payment.update(override)
        return self._webhook("payment.captured", {"payment": payment})

    def failed_event(self, start: PaymentStart) -> Webhook:
        return self._webhook("payment.failed", {"payment": self._payment_of(start)})

    def refunded_event(self, start: PaymentStart, refund: RefundResult) -> Webhook:
        entity = self.server.settle_refund(refund.refund_reference)
        payment = dict(self.server.payments[entity["payment_id"]])
        return self._webhook("refund.processed", {"refund": dict(entity), "payment": payment})

    def forge(self, webhook: Webhook) -> Webhook:
        body, headers = webhook
        bad = hmac.new(b"wrong-secret", body, hashlib.sha256).hexdigest()
        return body, {**headers, "X-Razorpay-Signature": bad}

    def holds(self, start: PaymentStart) -> int:
        return self.server.holds(start.reference)

    def return_params(self, start: PaymentStart, charge_reference: str) -> dict[str, str]:
        return {
            "razorpay_order_id": start.reference,
            "razorpay_payment_id": charge_reference,
            "razorpay_signature": self.server.checkout_signature(start.reference, charge_reference),
        }

    # --- subscriptions (the optional capability) ------------------------------------------

    def save_card(self, client_data) -> dict[str, str]:
        """What Checkout does: the customer authorises the subscription; the signed answer the browser posts."""
        sub_id = client_data["subscription_id"]
        payment = self.server.authorize(sub_id)
        return {
            "razorpay_payment_id": payment["id"],
            "razorpay_subscription_id": sub_id,
            "razorpay_signature": self.server.subscription_checkout_signature(payment["id"], sub_id),
        }

    def subscription_paid(self, subscription_reference: str, **override: Any) -> Webhook:
        """``subscription.charged``: a renewal captured (the first charge too, when there was no trial)."""
        payment = self.server.charge(subscription_reference)
        payment.update(override)
        sub = dict(self.server.subscriptions[subscription_reference])
        return self._webhook("subscription.charged", {"subscription": sub, "payment": payment})

    def subscription_failed(self, subscription_reference: str, **override: Any) -> Webhook:
        sub = self.server.subscriptions[subscription_reference]
        sub.update(status="pending", charge_at=int(time.time()) + 86400)
        return self._webhook("subscription.pending", {"subscription": {**sub, **override}})

    def subscription_updated(self, subscription_reference: str, **override: Any) -> Webhook:
        sub = dict(self.server.subscriptions[subscription_reference])
        sub.update(override)
        return self._webhook("subscription.updated", {"subscription": sub})

    def subscription_ended(self, subscription_reference: str, **override: Any) -> Webhook:
        sub = self.server.subscriptions[subscription_reference]
        sub.update(status="cancelled", ended_at=int(time.time()), **override)
        return self._webhook("subscription.cancelled", {"subscription": dict(sub)})


# --- Manual (invoice / bank transfer) ---------------------------------------------------


class ManualHarness(GatewayHarness):
    """The "gateway" is a bank account: the harness keeps its balance per reference."""

    plugin = "payment_manual"
    identifier = "manual"
    currency = "EUR"
    can_be_down = False
    webhook_secret = "manual_harness_secret_0123456789"

    def __init__(self) -> None:
        self.bank: dict[str, int] = {}
        self.amounts: dict[str, tuple[int, str]] = {}

    def settings(self) -> dict[str, Any]:
        return {"instructions": "IBAN DE00 1234 5678 9012 3456 78, PeerLearn Test GmbH", "reference_prefix": "PLT"}

    def secrets(self) -> dict[str, Any]:
        return {"webhook_secret": self.webhook_secret}

    def _remember(self, start: PaymentStart) -> tuple[int, str]:
        data = start.client_data
        self.amounts[start.reference] = (int(data["amount_minor"]), str(data["currency"]))
        return self.amounts[start.reference]

    def complete(self, start: PaymentStart) -> str:
        amount, _ = self._remember(start)
        self.bank[start.reference] = self.bank.get(start.reference, 0) + amount
        return ""

    def decline(self, start: PaymentStart) -> None:
        self._remember(start)

    def _webhook(self, payload: dict[str, Any]) -> Webhook:
        body = json.dumps({"id": "man_" + secrets.token_hex(8), **payload}).encode()
        return body, {"X-PeerLearn-Signature": stripe_style_signature(self.webhook_secret, body)}

    def succeeded_event(self, start: PaymentStart, charge_reference: str = "", **override: Any) -> Webhook:
        amount, currency = self.amounts.get(start.reference) or self._remember(start)
        payload = {"type": "payment.received", "reference": start.reference, "amount_minor": amount}
        payload["currency"] = currency
        payload.update(override)
        return self._webhook(payload)

    def failed_event(self, start: PaymentStart) -> Webhook:
        amount, currency = self.amounts[start.reference]
        return self._webhook(
            {"type": "payment.failed", "reference": start.reference, "amount_minor": amount, "currency": currency}
        )

    def refunded_event(self, start: PaymentStart, refund: RefundResult) -> Webhook:
        amount, currency = self.amounts[start.reference]
        self.bank[start.reference] = self.bank.get(start.reference, 0) - refund.amount_minor
        return self._webhook(
            {
                "type": "refund.sent",
                "reference": start.reference,
                "amount_minor": amount,
                "currency": currency,
                "refund_reference": refund.refund_reference,
                "refund_amount_minor": refund.amount_minor,
            }
        )

    def forge(self, webhook: Webhook) -> Webhook:
        body, _ = webhook
        return body, {"X-PeerLearn-Signature": stripe_style_signature("wrong-secret", body)}

    def stale(self, webhook: Webhook) -> Webhook:
        body, _ = webhook
        return body, {
            "X-PeerLearn-Signature": stripe_style_signature(self.webhook_secret, body, int(time.time()) - 3600)
        }

    def holds(self, start: PaymentStart) -> int:
        return self.bank.get(start.reference, 0)


# --- Gift cards ---------------------------------------------------------------------


class GiftCardHarness(GatewayHarness):
    """The "gateway" is the card table: each payment gets a fresh card worth twice the amount."""

    plugin = "payment_giftcard"
    identifier = "giftcard"
    can_be_down = False
    signs_timestamps = False
    instant = True

    def settings(self) -> dict[str, Any]:
        return {}

    def secrets(self) -> dict[str, Any]:
        return {}

    def inputs(self) -> dict[str, str]:
        from plugins.payments.giftcard.models import GiftCard

        card = GiftCard.objects.create(currency=self.currency, initial_minor=self.amount_minor * 2)
        return {"code": card.code}

    def wrong_inputs(self) -> dict[str, str]:
        return {"code": "GC-NONE-SUCH-CARD"}

    def holds(self, start: PaymentStart) -> int:
        from plugins.payments.giftcard import balances

        paid = balances.drawn(start.reference)
        return paid.amount_minor - balances.refunded_minor(start.reference) if paid else 0

    def _no_webhooks(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("gift cards settle while the learner pays: there is no webhook to play")

    complete = decline = succeeded_event = failed_event = refunded_event = forge = _no_webhooks


BUILT_IN: dict[str, type[GatewayHarness]] = {
    GiftCardHarness.plugin: GiftCardHarness,
    StripeHarness.plugin: StripeHarness,
    RazorpayHarness.plugin: RazorpayHarness,
    ManualHarness.plugin: ManualHarness,
}


for _harness in BUILT_IN.values():
    register_harness(_harness)
