"""Webhook processing: how long one verified event takes, and a burst of duplicate deliveries.

    python -m bench.payment_webhooks [--events 200] [--burst 20]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python -m bench.payment_webhooks

Builds a throwaway database (``<name>_bench_payment_webhooks`` on PostgreSQL, an
temporary SQLite file otherwise), bookings waiting for payment, and the bank-transfer
gateway with a webhook secret (no network: what is measured is the core's
work). Then:

* ``--events`` distinct success events, one after the other, through the HTTP
  endpoint (signature check in the plugin, insert-once record, booking and
  payment row locks, ledger entries, booking confirmation): p50/p95 latency and
  events per second;
* ``--burst`` simultaneous deliveries of one event from as many threads, each
  with its own connection: exactly one must be processed, the rest answer
  "duplicate", and the ledger must hold one charge.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-webhook-secret-0123456789"


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.test")
    import django

    django.setup()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def webhook(reference: str, amount: int, event_id: str) -> tuple[bytes, str]:
    """A bank-transfer "payment.received" notice signed as the manual gateway expects."""
    import hashlib
    import hmac

    body = json.dumps(
        {"id": event_id, "type": "payment.received", "reference": reference, "amount_minor": amount, "currency": "EUR"}
    ).encode()
    stamp = int(time.time())
    digest = hmac.new(SECRET.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={stamp},v1={digest}"


def prepare(count: int):
    from wagtail.models import Site

    from core.accounts.models import User
    from core.payments.services import checkout
    from core.payments.services.ledger import freeze_commission
    from core.plugins import config
    from core.plugins.models import PluginConfiguration
    from core.scheduling.services.bookings import book_session
    from core.scheduling.services.sessions import create_session

    site = Site.objects.get(is_default_site=True)
    PluginConfiguration.objects.update_or_create(
        site=site,
        plugin="payment_manual",
        defaults={"enabled": True, "settings": {"reference_prefix": "BENCH"}, "secrets": {"webhook_secret": SECRET}},
    )
    config.invalidate(site.pk)
    mentor = User.objects.create(email="bench-mentor@bench.local", display_name="Mentor", is_mentor=True)
    start = (datetime.now(UTC) + timedelta(days=5)).replace(minute=0, second=0, microsecond=0)
    session = create_session(
        mentor, title="Bench", start=start, duration_minutes=60, capacity=500, price_minor=2_500, currency="EUR"
    )
    payments = []
    for index in range(count):
        learner = User.objects.create(email=f"bench-learner{index}@bench.local", display_name=f"L{index}")
        booking = book_session(session, learner)
        freeze_commission(booking)
        payments.append(checkout.start_payment(booking, "manual", user=learner).payment)
    return payments


def deliver(client, body: bytes, signature: str):
    return client.generic(
        "POST",
        "/payments/webhooks/manual/",
        body,
        content_type="application/json",
        HTTP_X_PEERLEARN_SIGNATURE=signature,
    )


def run(args) -> bool:
    from django.db import connection, connections
    from django.test import Client

    from core.payments.models import LedgerEntry

    payments = prepare(args.events + 1)
    client = Client()
    deliver(client, *webhook(payments[0].reference, payments[0].amount_minor, "warm-up"))  # imports, caches
    latencies = []
    wall = time.perf_counter()
    for index, payment in enumerate(payments[1:]):
        body, signature = webhook(payment.reference, payment.amount_minor, f"evt-{index}")
        started = time.perf_counter()
        response = deliver(client, body, signature)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200 and response.json()["status"] == "processed", response.content
    elapsed = time.perf_counter() - wall
    print(f"database: {connection.vendor}, {os.cpu_count()} CPUs")
    print(
        f"{args.events} distinct events: p50 {statistics.median(latencies) * 1000:.1f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.1f} ms, {args.events / elapsed:.0f} events/s"
    )

    burst_payment = prepare_one()
    body, signature = webhook(burst_payment.reference, burst_payment.amount_minor, "evt-burst")
    barrier = threading.Barrier(args.burst)
    answers: list[str] = []
    times: list[float] = []
    lock = threading.Lock()

    def post() -> None:
        own = Client()
        try:
            barrier.wait()
            started = time.perf_counter()
            status = deliver(own, body, signature).json()["status"]
            with lock:
                answers.append(status)
                times.append(time.perf_counter() - started)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(args.burst)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    charges = LedgerEntry.objects.filter(payment=burst_payment, kind="charge").count()
    ok = answers.count("processed") == 1 and answers.count("duplicate") == args.burst - 1 and charges == 1
    print(
        f"burst of {args.burst} deliveries of one event: {answers.count('processed')} processed, "
        f"{answers.count('duplicate')} duplicate, {charges} ledger charge; "
        f"p50 {statistics.median(times) * 1000:.1f} ms, max {max(times) * 1000:.1f} ms -> {'OK' if ok else 'WRONG'}"
    )
    return ok


def prepare_one():
    from core.accounts.models import User
    from core.payments.services import checkout
    from core.payments.services.ledger import freeze_commission
    from core.scheduling.models import Session
    from core.scheduling.services.bookings import book_session

    learner = User.objects.create(email="bench-burst@bench.local", display_name="Burst")
    booking = book_session(Session.objects.get(title="Bench"), learner)
    freeze_commission(booking)
    return checkout.start_payment(booking, "manual", user=learner).payment


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--burst", type=int, default=20)
    parser.add_argument("--keepdb", action="store_true")
    args = parser.parse_args()
    setup_django()
    from django.core.cache import cache
    from django.db import connection

    settings_dict = connection.settings_dict
    settings_dict.setdefault("TEST", {})
    if connection.vendor == "postgresql":
        settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_bench_payment_webhooks"
    else:  # a file, so concurrent connections wait for each other as on a real site
        import tempfile

        settings_dict["TEST"]["NAME"] = str(Path(tempfile.gettempdir()) / "peerlearn_bench_payment_webhooks.sqlite3")
    print("Creating the throwaway database ...", flush=True)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    cache.clear()
    try:
        ok = run(args)
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
