"""Money under faults, on PostgreSQL: a process killed between the charge and the commit, a webhook storm.

Stripe is ``localstripe`` on this machine (the same harness as the payment
tests); webhooks are signed with the test secret as Stripe signs them.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter

import pytest

from tests.plugins.payments.servers import LocalStripe

from .conftest import http, say

pytestmark = pytest.mark.realstack


@pytest.fixture
def localstripe():
    server = LocalStripe().start()
    yield server
    server.stop()


def test_killed_between_the_charge_and_the_commit_reconciliation_confirms(stack, localstripe):
    killed = stack.scenario("killed_before_commit", killed=True, stripe_url=localstripe.url)
    booking = str(killed["booking"])
    say(f"booking {booking} paid at the gateway ({killed['reference']}); the webhook's process was SIGKILLed")

    first = stack.scenario("reconcile_once", stripe_url=localstripe.url, **killed)
    before, after = first["before"][booking], first["after"][booking]
    say(f"before reconciliation: {before}")
    say(f"one reconciliation run: {first['report']} -> {after}")
    assert (before["status"], before["charges"], before["held"], before["gateway_holds"]) == (
        "pending_payment",
        0,
        0,
        4_000,
    ), "the kill rolled the whole success back"
    assert first["report"]["recovered"] == 1
    assert (after["status"], after["payment"], after["charges"]) == ("confirmed", "succeeded", 1)
    assert after["held"] == after["gateway_holds"] == 4_000 and after["balanced"]

    again = stack.scenario("reconcile_once", stripe_url=localstripe.url, **killed)
    say(f"a second run: {again['report']} -> {again['after'][booking]}")
    assert again["report"]["recovered"] == 0 and again["after"][booking] == after


PAYMENTS, REFUNDED, DELIVERIES = 150, 75, 500  # 450 distinct events, 50 delivered twice
CLIENTS = 8


def test_a_webhook_storm_applies_each_event_once(stack, localstripe):
    out = stack.workdir / "storm.json"
    setup = stack.scenario(
        "webhook_storm", timeout=900, stripe_url=localstripe.url, payments=PAYMENTS, refunded=REFUNDED, out=str(out)
    )
    events = [(body.encode(), headers) for body, headers in json.loads(out.read_text())]
    shuffle = random.Random(20261205)
    storm = events + shuffle.sample(events, DELIVERIES - len(events))
    shuffle.shuffle(storm)  # refunds before successes, duplicates anywhere
    _site, base = stack.start_site()
    url = f"{base}/payments/webhooks/stripe/"

    answers: Counter = Counter()
    outcomes: Counter = Counter()
    retried = Counter()
    lock = threading.Lock()

    def deliver(batch) -> None:
        for body, headers in batch:
            for attempt in range(5):  # like the gateway: anything but 2xx is delivered again
                status, _, text = http("POST", url, body=body, headers={"Content-Type": "application/json", **headers})
                with lock:
                    answers[status] += 1
                    if attempt:
                        retried[status] += 1
                if 200 <= status < 300:
                    with lock:
                        outcomes[json.loads(text).get("status")] += 1
                    break

    threads = [threading.Thread(target=deliver, args=(storm[i::CLIENTS],)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(600)
    say(f"{len(storm)} deliveries ({len(events)} distinct events) by {CLIENTS} clients: answers {dict(answers)}")
    say(f"outcomes {dict(outcomes)}; redeliveries {dict(retried)}")

    result = stack.scenario("storm_result", stripe_url=localstripe.url, references=setup["references"])
    money = result["money"]
    statuses = Counter(m["status"] for m in money.values())
    say(f"events recorded {result['records']} ({result['statuses']}); bookings {dict(statuses)}")
    assert set(answers) <= {200, 409, 503}, answers
    assert result["records"] == result["distinct_ids"] == len(events)
    assert outcomes["duplicate"] >= DELIVERIES - len(events)
    refunded = {str(pk) for pk in setup["refunded"]}
    for booking, state in money.items():
        assert state["charges"] == 1, (booking, state)
        assert state["balanced"] and state["held"] == state["gateway_holds"], (booking, state)
        assert state["held"] == (0 if booking in refunded else 4_000), (booking, state)
