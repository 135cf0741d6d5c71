"""The payment gateway contract: what every gateway plugin must do, and the harness that drives it.

Part one talks to the gateway object alone (what a plugin author checks
first); part two drives the core's payment services through the gateway:
start, succeed, fail, duplicate event, refund full and partial, with the
ledger balanced against what the gateway holds after each case; part three
is for interactive gateways that settle while the learner pays (gift cards).

What differs between gateways (how a payment is completed at the gateway, how
its webhooks are signed, how to make it unreachable) lives in a
:class:`GatewayHarness`. A gateway package publishes its harness class under
the entry-point group ``peerlearn.payment_harnesses`` (``<plugin entry-point
name> = "package.module:HarnessClass"``) or calls :func:`register_harness`
from its conftest; a gateway without a harness fails the suite rather than
being skipped. Run the suite by subclassing :class:`PaymentGatewayContract` in
a test module that defines the fixture ``peerlearn_plugin``.
"""

from __future__ import annotations

import importlib.metadata
import uuid
from abc import ABC, abstractmethod
from typing import Any

import pytest

from core.plugins import (
    CheckoutContext,
    CheckoutInputError,
    GatewayError,
    InteractivePaymentRequest,
    PaymentRequest,
    PaymentStart,
    RefundRequest,
    RefundResult,
    WebhookError,
    WebhookEvent,
)

HARNESS_ENTRY_POINTS = "peerlearn.payment_harnesses"

Webhook = tuple[bytes, dict[str, str]]

_REGISTERED: dict[str, type[GatewayHarness]] = {}


class GatewayHarness(ABC):
    #: the plugin's entry-point name and the identifier of its gateway
    plugin: str
    identifier: str
    #: a currency the gateway takes in these tests, and an amount it accepts
    currency: str = "EUR"
    amount_minor: int = 4_000
    #: whether the gateway has an API that can be down (the manual gateway has none)
    can_be_down: bool = True
    #: whether webhook signatures carry a timestamp that can go stale
    signs_timestamps: bool = True
    #: an interactive gateway that settles during ``start_payment`` (no webhooks): part three of the suite
    instant: bool = False

    def start(self) -> None:  # noqa: B027 - most harnesses need no server
        """Start whatever the gateway needs (a local API server)."""

    def stop(self) -> None:  # noqa: B027
        """Stop it."""

    @abstractmethod
    def settings(self) -> dict[str, Any]: ...

    @abstractmethod
    def secrets(self) -> dict[str, Any]: ...

    def outage_settings(self) -> dict[str, Any]:
        """Settings under which the gateway's API cannot be reached."""
        raise NotImplementedError(f"{type(self).__name__} does not say how its gateway's API is made unreachable")

    @abstractmethod
    def complete(self, start: PaymentStart) -> str:
        """Pay at the gateway as the learner would; return the charge reference (may be "")."""

    @abstractmethod
    def decline(self, start: PaymentStart) -> None:
        """Make the learner's attempt fail at the gateway."""

    @abstractmethod
    def succeeded_event(self, start: PaymentStart, charge_reference: str = "", **override: Any) -> Webhook:
        """A signed webhook saying the payment succeeded (``override`` changes payload fields)."""

    @abstractmethod
    def failed_event(self, start: PaymentStart) -> Webhook: ...

    @abstractmethod
    def refunded_event(self, start: PaymentStart, refund: RefundResult) -> Webhook:
        """A signed webhook saying ``refund`` went through (and settling it, if it was pending)."""

    @abstractmethod
    def forge(self, webhook: Webhook) -> Webhook:
        """The same webhook with a signature made from the wrong secret."""

    def stale(self, webhook: Webhook) -> Webhook:
        """The same webhook signed correctly but too long ago."""
        raise NotImplementedError(f"{type(self).__name__}: this gateway's signatures carry no timestamp")

    @abstractmethod
    def holds(self, start: PaymentStart) -> int:
        """What the gateway holds for this payment now: captured minus refunded (minor units)."""

    def return_params(self, start: PaymentStart, charge_reference: str) -> dict[str, str]:
        """What the browser posts back after paying (empty for gateways without a return step)."""
        return {}

    def inputs(self) -> dict[str, str]:
        """Instant gateways: what a learner types that pays ``amount_minor`` (a fresh gift card's code)."""
        raise NotImplementedError(f"{type(self).__name__} is not an instant gateway's harness")

    def wrong_inputs(self) -> dict[str, str]:
        """Instant gateways: well-formed input the gateway refuses (an unknown code)."""
        raise NotImplementedError(f"{type(self).__name__} is not an instant gateway's harness")


def register_harness(cls: type[GatewayHarness]) -> type[GatewayHarness]:
    """Make ``cls`` the harness of its ``plugin`` (usable as a class decorator)."""
    _REGISTERED[cls.plugin] = cls
    return cls


def harness_class(plugin: str) -> type[GatewayHarness] | None:
    """The harness of a gateway plugin: registered, or published by its package."""
    if plugin in _REGISTERED:
        return _REGISTERED[plugin]
    for entry_point in importlib.metadata.entry_points(group=HARNESS_ENTRY_POINTS):
        if entry_point.name == plugin:
            return entry_point.load()
    return None


def payment_plugins() -> list[str]:
    """Entry-point names of every installed payment gateway plugin (built-in or third-party)."""
    from core.plugins.manager import PluginManager

    manager = PluginManager()
    try:
        return sorted(
            name
            for name, record in manager.plugins.items()
            if record.loaded and "peerlearn_payment_gateways" in record.hooks
        )
    finally:
        manager.close()


def needs_webhooks(harness: GatewayHarness) -> None:
    if harness.instant:
        pytest.skip(f"{harness.plugin} settles while the learner pays: it has no webhooks")


def needs_instant(harness: GatewayHarness) -> None:
    if not harness.instant:
        pytest.skip(f"{harness.plugin} is confirmed by webhooks, not at start")


# --- the contract ---------------------------------------------------------------------------


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


def _deliver(client, gateway: str, webhook):
    body, headers = webhook
    extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in headers.items()}
    return client.generic("POST", f"/payments/webhooks/{gateway}/", body, content_type="application/json", **extra)


def _balanced(booking, harness, start) -> None:
    from core.payments.services.ledger import balances

    totals = balances(booking=booking)
    assert totals.held == harness.holds(start), (totals, harness.holds(start))
    assert totals.balanced, totals


def _succeed(client, harness, booking, started):
    charge = harness.complete(started.start)
    response = _deliver(client, harness.identifier, harness.succeeded_event(started.start, charge))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "processed", response.json()
    booking.refresh_from_db()
    return charge


class _Result:
    def __init__(self, refund) -> None:
        self.refund_reference = refund.reference
        self.amount_minor = refund.amount_minor
        self.status = refund.status


@pytest.mark.django_db
class PaymentGatewayContract:
    """Subclass in a test module that defines the ``peerlearn_plugin`` fixture."""

    @pytest.fixture(autouse=True)
    def _peerlearn_clean_state(self, request):
        """Breakers and cached configs live in the cache; a transactional case may have flushed the site."""
        from django.core.cache import cache

        from .site import ensure_default_site

        cache.clear()
        if request.node.get_closest_marker("django_db").kwargs.get("transaction"):
            request.getfixturevalue("transactional_db")
            ensure_default_site()
        yield
        cache.clear()

    @pytest.fixture
    def plugin(self, peerlearn_plugin: str) -> str:
        return peerlearn_plugin

    @pytest.fixture
    def harness(self, plugin, harness_for):
        return harness_for(plugin)

    @pytest.fixture
    def gateway(self, harness, configure_gateway):
        return configure_gateway(harness)

    # --- the gateway object ----------------------------------------------------------------

    def test_gateway_describes_itself(self, plugin, gateway, harness):
        assert gateway.identifier == harness.identifier
        assert gateway.display_name
        assert gateway.supports(harness.currency)
        assert gateway.supports(harness.currency.lower())

    def test_start_then_resume_gives_the_same_payment(self, plugin, gateway, harness):
        needs_webhooks(harness)
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

    def test_checkout_widget_renders(self, plugin, gateway, harness):
        needs_webhooks(harness)
        start = gateway.start_payment(_request(harness))
        html = gateway.checkout_html(start, _context(harness))
        assert isinstance(html, str)
        assert html.strip()

    def test_success_event_is_verified_and_parsed(self, plugin, gateway, harness):
        needs_webhooks(harness)
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

    def test_browser_return_is_verified(self, plugin, gateway, harness):
        needs_webhooks(harness)
        start = gateway.start_payment(_request(harness))
        charge = harness.complete(start)
        params = harness.return_params(start, charge)
        answer = gateway.verify_return(start.reference, params)
        assert answer.reference == start.reference
        assert answer.status == "processing"
        if params:  # a gateway with a signed return refuses a forged one
            with pytest.raises(GatewayError):
                gateway.verify_return(start.reference, {**params, next(reversed(params)): "0" * 64})

    def test_failure_event_is_parsed(self, plugin, gateway, harness):
        needs_webhooks(harness)
        start = gateway.start_payment(_request(harness))
        harness.decline(start)
        event = gateway.parse_webhook(*harness.failed_event(start))
        assert event.kind == "failed"
        assert event.reference == start.reference
        assert harness.holds(start) == 0

    def test_forged_signature_is_refused(self, plugin, gateway, harness):
        needs_webhooks(harness)
        start = gateway.start_payment(_request(harness))
        charge = harness.complete(start)
        with pytest.raises(WebhookError):
            gateway.parse_webhook(*harness.forge(harness.succeeded_event(start, charge)))
        body, headers = harness.succeeded_event(start, charge)
        with pytest.raises(WebhookError):
            gateway.parse_webhook(body, {})
        with pytest.raises(WebhookError):
            gateway.parse_webhook(body.replace(b'"', b"'", 1), headers)

    def test_stale_signature_is_refused(self, plugin, gateway, harness):
        needs_webhooks(harness)
        if not harness.signs_timestamps:
            pytest.skip(f"{plugin}'s webhook signatures carry no timestamp; replays are caught by event-id dedupe")
        start = gateway.start_payment(_request(harness))
        charge = harness.complete(start)
        with pytest.raises(WebhookError, match="stale|tolerance|timestamp"):
            gateway.parse_webhook(*harness.stale(harness.succeeded_event(start, charge)))

    def test_partial_then_full_refund(self, plugin, gateway, harness):
        needs_webhooks(harness)
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
        second = gateway.refund(
            RefundRequest(start.reference, rest, harness.currency, f"pl-ref-{uuid.uuid4().hex}", "")
        )
        assert second.amount_minor == rest
        event = gateway.parse_webhook(*harness.refunded_event(start, second))
        assert event.refunded_total_minor in (None, amount)
        assert harness.holds(start) == 0

    def test_gateway_down_raises_gateway_error(self, plugin, harness, configure_gateway):
        if not harness.can_be_down:
            pytest.skip(f"{plugin} has no API that could be down")
        gateway = configure_gateway(harness, outage=True)
        with pytest.raises(GatewayError) as caught:
            gateway.start_payment(_request(harness))
        assert "reach" in str(caught.value) or "down" in str(caught.value)

    # --- part two: the core's payment flow through each gateway ------------------------------------

    @pytest.fixture
    def flow(self, plugin, harness, gateway, booking_for, client):
        """Start a payment for a new booking through the core; returns (booking, started)."""
        from core.payments.services import checkout

        def start():
            booking = booking_for(harness)
            started = checkout.start_payment(booking, harness.identifier, user=booking.learner)
            assert started.start.reference and started.payment.reference == started.start.reference
            return booking, started

        return start

    def test_core_start_succeed_confirms_and_balances(self, plugin, harness, flow, client):
        needs_webhooks(harness)
        from core.payments.models import LedgerEntry
        from core.scheduling.models import Booking

        booking, started = flow()
        _balanced(booking, harness, started.start)
        _succeed(client, harness, booking, started)
        assert booking.status == Booking.CONFIRMED
        assert LedgerEntry.objects.filter(booking=booking, kind="charge").get().amount_minor == harness.amount_minor
        _balanced(booking, harness, started.start)

    def test_core_failure_leaves_booking_pending(self, plugin, harness, flow, client):
        needs_webhooks(harness)
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

    def test_core_duplicate_event_counts_once(self, plugin, harness, flow, client):
        needs_webhooks(harness)
        from core.payments.models import LedgerEntry

        booking, started = flow()
        charge = harness.complete(started.start)
        webhook = harness.succeeded_event(started.start, charge)
        assert _deliver(client, harness.identifier, webhook).json()["status"] == "processed"
        again = _deliver(client, harness.identifier, webhook)
        assert again.status_code == 200 and again.json()["status"] == "duplicate"
        assert LedgerEntry.objects.filter(booking=booking, kind="charge").count() == 1
        _balanced(booking, harness, started.start)

    def test_core_forged_event_is_refused(self, plugin, harness, flow, client):
        needs_webhooks(harness)
        from core.payments.models import WebhookEventRecord

        booking, started = flow()
        charge = harness.complete(started.start)
        response = _deliver(client, harness.identifier, harness.forge(harness.succeeded_event(started.start, charge)))
        assert response.status_code == 400 and response.json()["detail"]
        assert not WebhookEventRecord.objects.exists()

    def test_core_partial_and_full_refund_balance(self, plugin, harness, gateway, flow, client, user_factory):
        needs_webhooks(harness)
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
                    response = _deliver(
                        client, harness.identifier, harness.refunded_event(started.start, _Result(refund))
                    )
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

    # --- part three: interactive gateways that settle while the learner pays -------------------------

    def test_instant_gateway_declares_its_fields(self, plugin, gateway, harness):
        needs_instant(harness)
        from core.plugins.contracts.interactive import checkout_fields_of, clean_inputs, confirms_at_start

        fields = checkout_fields_of(gateway)
        assert fields and confirms_at_start(gateway)
        assert len({f.name for f in fields}) == len(fields)
        typed = harness.inputs()
        assert clean_inputs(fields, typed) == typed

    def test_instant_start_settles_and_a_retry_takes_nothing_more(self, plugin, gateway, harness):
        needs_instant(harness)
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

    def test_instant_gateway_refuses_bad_input_on_its_field(self, plugin, gateway, harness):
        needs_instant(harness)
        with pytest.raises(CheckoutInputError) as caught:
            gateway.start_payment(_request(harness, inputs=harness.wrong_inputs()))
        assert caught.value.field in {f.name for f in gateway.checkout_fields} and str(caught.value)

    def test_instant_partial_then_full_refund(self, plugin, gateway, harness):
        needs_instant(harness)
        start = gateway.start_payment(_request(harness))
        amount = harness.amount_minor
        first = gateway.refund(
            RefundRequest(start.reference, amount // 4, harness.currency, f"pl-ref-{uuid.uuid4().hex}")
        )
        assert first.status == "succeeded" and first.amount_minor == amount // 4
        assert harness.holds(start) == amount - amount // 4
        key = f"pl-ref-{uuid.uuid4().hex}"
        rest = gateway.refund(RefundRequest(start.reference, amount - amount // 4, harness.currency, key))
        assert gateway.refund(RefundRequest(start.reference, amount - amount // 4, harness.currency, key)) == rest
        assert harness.holds(start) == 0
        with pytest.raises(GatewayError):
            gateway.refund(RefundRequest(start.reference, 1, harness.currency, f"pl-ref-{uuid.uuid4().hex}"))

    @pytest.mark.django_db(transaction=True)  # the gateway settles on the plugin's own thread and connection
    def test_core_instant_payment_confirms_without_a_webhook(self, plugin, harness, gateway, booking_for):
        needs_instant(harness)
        from core.payments.models import LedgerEntry, WebhookEventRecord
        from core.payments.services import checkout
        from core.scheduling.models import Booking

        booking = booking_for(harness)
        started = checkout.start_payment(booking, harness.identifier, user=booking.learner, inputs=harness.inputs())
        assert started.paid
        booking.refresh_from_db()
        assert booking.status == Booking.CONFIRMED
        assert LedgerEntry.objects.filter(booking=booking, kind="charge").get().amount_minor == harness.amount_minor
        assert WebhookEventRecord.objects.get(payment=started.payment).source == "start"
        _balanced(booking, harness, started.start)
