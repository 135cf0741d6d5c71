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
    CheckoutInputError,
    GatewayError,
    InteractivePaymentRequest,
    PaymentRequest,
    PaymentStart,
    RefundRequest,
    WebhookError,
    WebhookEvent,
)

from .harnesses import harness_class, payment_plugins

PLUGINS = payment_plugins()


def _instant(plugin: str) -> bool:
    cls = harness_class(plugin)
    return cls is not None and cls.instant


pytestmark = pytest.mark.django_db
each_gateway = pytest.mark.parametrize("plugin", PLUGINS)
#: Gateways confirmed by signed webhooks (a gateway without a harness lands here and fails for want of one).
each_webhook_gateway = pytest.mark.parametrize("plugin", [p for p in PLUGINS if not _instant(p)])
#: Interactive gateways that settle during ``start_payment`` (gift cards): the cases of part three.
each_instant_gateway = pytest.mark.parametrize("plugin", [p for p in PLUGINS if _instant(p)])


def test_every_built_in_gateway_is_registered():
    assert {"payment_stripe", "payment_razorpay", "payment_manual", "payment_giftcard"} <= set(PLUGINS)


@pytest.fixture
def harness(plugin, harness_for):
    return harness_for(plugin)


@pytest.fixture
def gateway(harness, configure_gateway):
    return configure_gateway(harness)


def _request(harness, **changes) -> PaymentRequest:
    if harness.instant and "inputs" not in changes:
        changes["inputs"] = harness.inputs()
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
    return InteractivePaymentRequest(**values) if "inputs" in values else PaymentRequest(**values)


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


@each_webhook_gateway
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


@each_webhook_gateway
def test_checkout_widget_renders(plugin, gateway, harness):
    start = gateway.start_payment(_request(harness))
    html = gateway.checkout_html(start, _context(harness))
    assert isinstance(html, str)
    assert html.strip()


@each_webhook_gateway
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


@each_webhook_gateway
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


@each_webhook_gateway
def test_failure_event_is_parsed(plugin, gateway, harness):
    start = gateway.start_payment(_request(harness))
    harness.decline(start)
    event = gateway.parse_webhook(*harness.failed_event(start))
    assert event.kind == "failed"
    assert event.reference == start.reference
    assert harness.holds(start) == 0


@each_webhook_gateway
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


@each_webhook_gateway
def test_stale_signature_is_refused(plugin, gateway, harness):
    if not harness.signs_timestamps:
        pytest.skip(f"{plugin}'s webhook signatures carry no timestamp; replays are caught by event-id dedupe")
    start = gateway.start_payment(_request(harness))
    charge = harness.complete(start)
    with pytest.raises(WebhookError, match="stale|tolerance|timestamp"):
        gateway.parse_webhook(*harness.stale(harness.succeeded_event(start, charge)))


@each_webhook_gateway
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


# --- part two: the core's payment flow through each gateway ------------------------------------


def _deliver(client, gateway: str, webhook):
    body, headers = webhook
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.generic("POST", f"/payments/webhooks/{gateway}/", body, content_type="application/json", **extra)


def _balanced(booking, harness, start) -> None:
    from core.payments.services.ledger import balances

    totals = balances(booking=booking)
    assert totals.held == harness.holds(start), (totals, harness.holds(start))
    assert totals.balanced, totals


@pytest.fixture
def flow(plugin, harness, gateway, booking_for, client):
    """Start a payment for a new booking through the core; returns (booking, started)."""
    from core.payments.services import checkout

    def start():
        booking = booking_for(harness)
        started = checkout.start_payment(booking, harness.identifier, user=booking.learner)
        assert started.start.reference and started.payment.reference == started.start.reference
        return booking, started

    return start


def _succeed(client, harness, booking, started):
    charge = harness.complete(started.start)
    response = _deliver(client, harness.identifier, harness.succeeded_event(started.start, charge))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed", response.json()
    booking.refresh_from_db()
    return charge


@each_webhook_gateway
def test_core_start_succeed_confirms_and_balances(plugin, harness, flow, client):
    from core.payments.models import LedgerEntry
    from core.scheduling.models import Booking

    booking, started = flow()
    _balanced(booking, harness, started.start)
    _succeed(client, harness, booking, started)
    assert booking.status == Booking.CONFIRMED
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").get().amount_minor == harness.amount_minor
    _balanced(booking, harness, started.start)


@each_webhook_gateway
def test_core_failure_leaves_booking_pending(plugin, harness, flow, client):
    from core.payments.models import Payment
    from core.scheduling.models import Booking

    booking, started = flow()
    harness.decline(started.start)
    response = _deliver(client, harness.identifier, harness.failed_event(started.start))
    assert response.status_code == 200 and response.json()["status"] == "processed"
    booking.refresh_from_db()
    assert booking.status == Booking.PENDING_PAYMENT
    assert Payment.objects.get(pk=started.payment.pk).status == Payment.FAILED
    _balanced(booking, harness, started.start)


@each_webhook_gateway
def test_core_duplicate_event_counts_once(plugin, harness, flow, client):
    from core.payments.models import LedgerEntry

    booking, started = flow()
    charge = harness.complete(started.start)
    webhook = harness.succeeded_event(started.start, charge)
    assert _deliver(client, harness.identifier, webhook).json()["status"] == "processed"
    again = _deliver(client, harness.identifier, webhook)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert LedgerEntry.objects.filter(booking=booking, kind="charge").count() == 1
    _balanced(booking, harness, started.start)


@each_webhook_gateway
def test_core_forged_event_is_refused(plugin, harness, flow, client):
    from core.payments.models import WebhookEventRecord

    booking, started = flow()
    charge = harness.complete(started.start)
    response = _deliver(client, harness.identifier, harness.forge(harness.succeeded_event(started.start, charge)))
    assert response.status_code == 400 and response.json()["detail"]
    assert not WebhookEventRecord.objects.exists()


@each_webhook_gateway
def test_core_partial_and_full_refund_balance(plugin, harness, gateway, flow, client, user_factory):
    from core.payments.models import Refund
    from core.payments.services import refunds
    from core.payments.services.ledger import balances

    booking, started = flow()
    _succeed(client, harness, booking, started)
    staff = user_factory(is_staff=True)
    amount = harness.amount_minor
    for part in (amount // 3, None):  # a third, then everything left
        refund = refunds.refund_booking(booking, part, by=staff)
        if refund.status == Refund.PENDING:
            if gateway.manual_confirmation:  # an editor sends it and marks it sent
                from core.payments.services import events

                harness.refunded_event(started.start, _Result(refund))
                events.mark_refund_sent(refund, staff)
            else:
                response = _deliver(client, harness.identifier, harness.refunded_event(started.start, _Result(refund)))
                assert response.json()["status"] == "processed"
        else:
            # the gateway reports the refund too: recognised, never counted twice
            response = _deliver(client, harness.identifier, harness.refunded_event(started.start, _Result(refund)))
            assert response.status_code == 200
        refund.refresh_from_db()
        assert refund.status == Refund.SUCCEEDED
        _balanced(booking, harness, started.start)
    totals = balances(booking=booking)
    assert totals.held == 0 and totals.platform == 0 and totals.mentor_earned == 0


class _Result:
    def __init__(self, refund) -> None:
        self.refund_reference = refund.reference
        self.amount_minor = refund.amount_minor
        self.status = refund.status


# --- part three: interactive gateways that settle while the learner pays -------------------------


@each_instant_gateway
def test_instant_gateway_declares_its_fields(plugin, gateway, harness):
    from core.plugins.contracts.interactive import checkout_fields_of, clean_inputs, confirms_at_start

    fields = checkout_fields_of(gateway)
    assert fields and confirms_at_start(gateway)
    assert len({f.name for f in fields}) == len(fields)
    typed = harness.inputs()
    assert clean_inputs(fields, typed) == typed


@each_instant_gateway
def test_instant_start_settles_and_a_retry_takes_nothing_more(plugin, gateway, harness):
    request = _request(harness)
    start = gateway.start_payment(request)
    assert start.status == "succeeded" and start.reference
    assert harness.holds(start) == harness.amount_minor
    again = gateway.start_payment(_request(harness, idempotency_key=request.idempotency_key, inputs=request.inputs))
    assert again.reference == start.reference and again.status == "succeeded"
    resumed = gateway.start_payment(
        _request(harness, idempotency_key=request.idempotency_key, existing_reference=start.reference, inputs={})
    )
    assert resumed.reference == start.reference
    assert harness.holds(start) == harness.amount_minor


@each_instant_gateway
def test_instant_gateway_refuses_bad_input_on_its_field(plugin, gateway, harness):
    with pytest.raises(CheckoutInputError) as caught:
        gateway.start_payment(_request(harness, inputs=harness.wrong_inputs()))
    assert caught.value.field in {f.name for f in gateway.checkout_fields} and str(caught.value)


@each_instant_gateway
def test_instant_partial_then_full_refund(plugin, gateway, harness):
    start = gateway.start_payment(_request(harness))
    amount = harness.amount_minor
    first = gateway.refund(RefundRequest(start.reference, amount // 4, harness.currency, f"pl-ref-{uuid.uuid4().hex}"))
    assert first.status == "succeeded" and first.amount_minor == amount // 4
    assert harness.holds(start) == amount - amount // 4
    key = f"pl-ref-{uuid.uuid4().hex}"
    rest = gateway.refund(RefundRequest(start.reference, amount - amount // 4, harness.currency, key))
    assert gateway.refund(RefundRequest(start.reference, amount - amount // 4, harness.currency, key)) == rest
    assert harness.holds(start) == 0
    with pytest.raises(GatewayError):
        gateway.refund(RefundRequest(start.reference, 1, harness.currency, f"pl-ref-{uuid.uuid4().hex}"))
