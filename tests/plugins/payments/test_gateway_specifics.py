"""What is particular to each built-in gateway (the shared cases are in test_contract.py)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import stripe

from core.plugins import GatewayError, PaymentRequest, RefundRequest, WebhookError

from .harnesses import stripe_style_signature

pytestmark = pytest.mark.django_db


def _request(**changes) -> PaymentRequest:
    values = {
        "booking_id": 7,
        "amount_minor": 4_000,
        "currency": "EUR",
        "idempotency_key": f"pl-pay-7-{uuid.uuid4().hex[:24]}",
        "description": "A session",
    }
    values.update(changes)
    return PaymentRequest(**values)


# --- Stripe ----------------------------------------------------------------------------------------


@pytest.fixture
def stripe_harness(harness_for):
    return harness_for("payment_stripe")


def test_localstripe_card_succeeds_and_confirming_without_a_method_is_400(stripe_harness, configure_gateway):
    gateway = configure_gateway(stripe_harness)
    start = gateway.start_payment(_request())
    client = stripe_harness.client
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.payment_intents.confirm(start.reference)
    assert caught.value.http_status == 400
    method = client.v1.payment_methods.create(
        params={"type": "card", "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}}
    )
    client.v1.payment_intents.update(start.reference, params={"payment_method": method.id})
    assert client.v1.payment_intents.confirm(start.reference).status == "succeeded"
    assert gateway.lookup(start.reference).status == "succeeded"


def test_stripe_webhook_tolerance_is_300_seconds(stripe_harness, configure_gateway):
    gateway = configure_gateway(stripe_harness)
    start = gateway.start_payment(_request())
    body, _ = stripe_harness.succeeded_event(start, "", status="succeeded")
    secret = stripe_harness.webhook_secret
    now = int(time.time())
    fresh = gateway.parse_webhook(body, {"stripe-signature": stripe_style_signature(secret, body, now - 200)})
    assert fresh.kind == "succeeded" and fresh.reference == start.reference
    with pytest.raises(WebhookError):
        gateway.parse_webhook(body, {"Stripe-Signature": stripe_style_signature(secret, body, now - 400)})


def test_stripe_unknown_events_are_ignored_not_refused(stripe_harness, configure_gateway):
    gateway = configure_gateway(stripe_harness)
    body = json.dumps({"id": "evt_1", "type": "customer.created", "data": {"object": {"id": "cus_1"}}}).encode()
    event = gateway.parse_webhook(
        body, {"Stripe-Signature": stripe_style_signature(stripe_harness.webhook_secret, body)}
    )
    assert event.kind == "ignored" and event.raw_type == "customer.created"


def test_stripe_is_not_offered_without_a_secret_key(stripe_harness, configure_gateway):
    from wagtail.models import Site

    from core.payments.services.gateways import enabled_gateways
    from core.plugins import config
    from core.plugins.models import PluginConfiguration

    configure_gateway(stripe_harness)
    site = Site.objects.get(is_default_site=True)
    PluginConfiguration.objects.filter(plugin="payment_stripe").update(secrets={})
    config.invalidate(site.pk)
    assert "stripe" not in {r.identifier for r in enabled_gateways(site.pk)}


class _Recorder(BaseHTTPRequestHandler):
    """Answers like Stripe's API and remembers the Idempotency-Key of each POST."""

    keys: list[str] = []

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        type(self).keys.append(self.headers.get("Idempotency-Key", ""))
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        if self.path.startswith("/v1/refunds"):
            body = {"id": "re_1", "object": "refund", "amount": 1000, "status": "succeeded", "currency": "eur"}
        else:
            body = {
                "id": "pi_1",
                "object": "payment_intent",
                "amount": 4000,
                "currency": "eur",
                "status": "requires_payment_method",
                "client_secret": "pi_1_secret_x",
            }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_stripe_calls_carry_the_core_idempotency_keys(stripe_harness, configure_gateway):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.keys = []
    try:
        gateway = configure_gateway(stripe_harness, api_base=f"http://127.0.0.1:{server.server_address[1]}")
        request = _request()
        gateway.start_payment(request)
        gateway.refund(RefundRequest("pi_1", 1_000, "EUR", "pl-ref-7-abcdef0123456789"))
    finally:
        server.shutdown()
        server.server_close()
    assert _Recorder.keys == [request.idempotency_key, "pl-ref-7-abcdef0123456789"]


# --- Razorpay -------------------------------------------------------------------------------------


@pytest.fixture
def razorpay_harness(harness_for):
    return harness_for("payment_razorpay")


def test_razorpay_refund_retry_with_the_same_key_refunds_once(razorpay_harness, configure_gateway):
    gateway = configure_gateway(razorpay_harness)
    start = gateway.start_payment(_request(amount_minor=150_000, currency="INR"))
    charge = razorpay_harness.complete(start)
    refund = RefundRequest(start.reference, 50_000, "INR", "pl-ref-7-0123456789abcdef", charge)
    first, second = gateway.refund(refund), gateway.refund(refund)
    assert first.refund_reference == second.refund_reference
    assert razorpay_harness.holds(start) == 100_000


def test_razorpay_refund_finds_the_captured_payment_of_the_order(razorpay_harness, configure_gateway):
    gateway = configure_gateway(razorpay_harness)
    start = gateway.start_payment(_request(amount_minor=150_000, currency="INR"))
    razorpay_harness.complete(start)
    result = gateway.refund(RefundRequest(start.reference, 150_000, "INR", f"pl-ref-7-{uuid.uuid4().hex[:20]}"))
    assert result.status == "succeeded" and razorpay_harness.holds(start) == 0


def test_razorpay_refuses_what_razorpay_refuses_with_its_reason(razorpay_harness, configure_gateway):
    gateway = configure_gateway(razorpay_harness)
    start = gateway.start_payment(_request(amount_minor=150_000, currency="INR"))
    charge = razorpay_harness.complete(start)
    with pytest.raises(GatewayError, match="greater than amount captured"):
        gateway.refund(RefundRequest(start.reference, 150_001, "INR", f"pl-ref-7-{uuid.uuid4().hex[:20]}", charge))
    with pytest.raises(GatewayError, match="atleast"):
        gateway.start_payment(_request(amount_minor=50, currency="INR"))


def test_razorpay_wrong_key_secret_is_a_clear_error(razorpay_harness, configure_gateway):
    from wagtail.models import Site

    from core.payments.services.gateways import route
    from core.plugins import config
    from core.plugins.models import PluginConfiguration

    configure_gateway(razorpay_harness)
    PluginConfiguration.objects.filter(plugin="payment_razorpay").update(
        secrets={"key_secret": "wrong-secret-0000", "webhook_secret": razorpay_harness.webhook_secret}
    )
    site = Site.objects.get(is_default_site=True)
    config.invalidate(site.pk)
    with pytest.raises(GatewayError, match="api key"):
        route("razorpay", site.pk).gateway.start_payment(_request(amount_minor=150_000, currency="INR"))


# --- Bank transfer --------------------------------------------------------------------------------


def test_manual_webhooks_are_off_without_a_secret(harness_for, configure_gateway):
    from wagtail.models import Site

    from core.payments.services.gateways import route
    from core.plugins import config
    from core.plugins.models import PluginConfiguration

    harness = harness_for("payment_manual")
    configure_gateway(harness)
    PluginConfiguration.objects.filter(plugin="payment_manual").update(secrets={})
    site = Site.objects.get(is_default_site=True)
    config.invalidate(site.pk)
    gateway = route("manual", site.pk).gateway
    start = gateway.start_payment(_request())
    with pytest.raises(WebhookError, match="off"):
        gateway.parse_webhook(*harness.succeeded_event(start))
    assert gateway.manual_confirmation and gateway.refund(
        RefundRequest(start.reference, 10, "EUR", "k" * 12)
    ).status == ("pending")
