"""The payment gateway contract, run unchanged against every registered gateway plugin.

Part one talks to the gateway object alone (what a plugin author checks
first); part two drives the core's payment services through the gateway:
start, succeed, fail, duplicate event, refund full and partial, with the
ledger balanced against what the gateway holds after each case.
"""

from __future__ import annotations

import uuid

import pytest

from core.plugins import (
    CheckoutContext,
    GatewayError,
    PaymentRequest,
    PaymentStart,
    RefundRequest,
    WebhookError,
    WebhookEvent,
)

from .harnesses import payment_plugins

PLUGINS = payment_plugins()

pytestmark = pytest.mark.django_db
each_gateway = pytest.mark.parametrize("plugin", PLUGINS)


def test_every_built_in_gateway_is_registered():
    assert {"payment_stripe", "payment_razorpay", "payment_manual"} <= set(PLUGINS)


@pytest.fixture
def harness(plugin, harness_for):
    return harness_for(plugin)


@pytest.fixture
def gateway(harness, configure_gateway):
    return configure_gateway(harness)


def _request(harness, **changes) -> PaymentRequest:
    values = {
        "booking_id": 42,
        "amount_minor": harness.amount_minor,
        "currency": harness.currency,
        "idempotency_key": f"pl-test-{uuid.uuid4().hex}",
        "description": "Python for data analysis, 60 min",
        "customer_email": "learner@example.org",
        "metadata": {"payment_id": "7"},
    }
    values.update(changes)
    return PaymentRequest(**values)


def _context(harness) -> CheckoutContext:
    return CheckoutContext(
        booking_id=42,
        amount_minor=harness.amount_minor,
        currency=harness.currency,
        amount_display=f"{harness.currency} {harness.amount_minor / 100:.2f}",
        description="Python for data analysis",
        customer_email="learner@example.org",
        csrf_token="csrf-token-value",
        return_url="/payments/checkout/42/return/x/",
        result_url="/payments/checkout/42/result/",
    )


# --- the gateway object ----------------------------------------------------------------


@each_gateway
def test_gateway_describes_itself(plugin, gateway, harness):
    assert gateway.identifier == harness.identifier
    assert gateway.display_name
    assert gateway.supports(harness.currency)
    assert gateway.supports(harness.currency.lower())


@each_gateway
def test_start_then_resume_gives_the_same_payment(plugin, gateway, harness):
    request = _request(harness)
    start = gateway.start_payment(request)
    assert isinstance(start, PaymentStart)
    assert start.reference
    assert start.status in ("requires_action", "pending")
    again = gateway.start_payment(
        _request(harness, idempotency_key=request.idempotency_key, existing_reference=start.reference)
    )
    assert again.reference == start.reference
    assert again.status == start.status


@each_gateway
def test_checkout_widget_renders(plugin, gateway, harness):
    start = gateway.start_payment(_request(harness))
    html = gateway.checkout_html(start, _context(harness))
    assert isinstance(html, str)
    assert html.strip()


@each_gateway
def test_success_event_is_verified_and_parsed(plugin, gateway, harness):
    start = gateway.start_payment(_request(harness))
    charge = harness.complete(start)
    body, headers = harness.succeeded_event(start, charge)
    event = gateway.parse_webhook(body, headers)
    assert isinstance(event, WebhookEvent)
    assert event.kind == "succeeded"
    assert event.reference == start.reference
    assert event.amount_minor == harness.amount_minor
    assert event.currency == harness.currency
    assert event.event_id
    # the same delivery parses to the same event id (deduplication depends on it)
    assert gateway.parse_webhook(body, headers).event_id == event.event_id
    assert harness.holds(start) == harness.amount_minor


@each_gateway
def test_browser_return_is_verified(plugin, gateway, harness):
    start = gateway.start_payment(_request(harness))
    charge = harness.complete(start)
    params = harness.return_params(start, charge)
    answer = gateway.verify_return(start.reference, params)
    assert answer.reference == start.reference
    assert answer.status == "processing"
    if params:  # a gateway with a signed return refuses a forged one
        with pytest.raises(GatewayError):
            gateway.verify_return(start.reference, {**params, next(reversed(params)): "0" * 64})


@each_gateway
def test_failure_event_is_parsed(plugin, gateway, harness):
    start = gateway.start_payment(_request(harness))
    harness.decline(start)
    event = gateway.parse_webhook(*harness.failed_event(start))
    assert event.kind == "failed"
    assert event.reference == start.reference
    assert harness.holds(start) == 0


@each_gateway
def test_forged_signature_is_refused(plugin, gateway, harness):
    start = gateway.start_payment(_request(harness))
    charge = harness.complete(start)
    with pytest.raises(WebhookError):
        gateway.parse_webhook(*harness.forge(harness.succeeded_event(start, charge)))
    body, headers = harness.succeeded_event(start, charge)
    with pytest.raises(WebhookError):
        gateway.parse_webhook(body, {})
    with pytest.raises(WebhookError):
        gateway.parse_webhook(body.replace(b'"', b"'", 1), headers)


@each_gateway
def test_stale_signature_is_refused(plugin, gateway, harness):
    if not harness.signs_timestamps:
        pytest.skip(f"{plugin}'s webhook signatures carry no timestamp; replays are caught by event-id dedupe")
    start = gateway.start_payment(_request(harness))
    charge = harness.complete(start)
    with pytest.raises(WebhookError, match="stale|tolerance|timestamp"):
        gateway.parse_webhook(*harness.stale(harness.succeeded_event(start, charge)))


@each_gateway
def test_partial_then_full_refund(plugin, gateway, harness):
    start = gateway.start_payment(_request(harness))
    charge = harness.complete(start)
    amount = harness.amount_minor
    first = gateway.refund(
        RefundRequest(start.reference, amount // 4, harness.currency, f"pl-ref-{uuid.uuid4().hex}", charge)
    )
    assert first.amount_minor == amount // 4
    assert first.status in ("succeeded", "pending")
    event = gateway.parse_webhook(*harness.refunded_event(start, first))
    assert event.kind == "refunded"
    assert event.reference == start.reference
    assert event.amount_minor == amount
    assert event.refunded_total_minor in (None, amount // 4)
    if event.refunded_total_minor is None:
        assert event.refund_amount_minor == amount // 4
    rest = amount - amount // 4
    second = gateway.refund(RefundRequest(start.reference, rest, harness.currency, f"pl-ref-{uuid.uuid4().hex}", ""))
    assert second.amount_minor == rest
    event = gateway.parse_webhook(*harness.refunded_event(start, second))
    assert event.refunded_total_minor in (None, amount)
    assert harness.holds(start) == 0


@each_gateway
def test_gateway_down_raises_gateway_error(plugin, harness, configure_gateway):
    if not harness.can_be_down:
        pytest.skip(f"{plugin} has no API that could be down")
    gateway = configure_gateway(harness, outage=True)
    with pytest.raises(GatewayError) as caught:
        gateway.start_payment(_request(harness))
    assert "reach" in str(caught.value) or "down" in str(caught.value)
