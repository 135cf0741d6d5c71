"""Django-side steps of the fault tests, run as ``python -m tests.faults.scenario NAME JSON``.

Each step runs in its own short process on the test's private database (the
environment :class:`tests.faults.conftest.Stack` gives it) and prints one JSON
line: the test process itself never holds a connection a fault would break.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import django


def _user(email: str, **extra):
    from core.accounts.models import User

    name = email.split("@")[0]
    return User.objects.create_user(email=email, password="a-Strong-pass-123", display_name=name, **extra)


def _mentor(email: str = "mentor@faults.test"):
    from core.scheduling.models import SchedulingProfile, WeeklyRule

    mentor = _user(email, is_mentor=True)
    SchedulingProfile.objects.create(
        mentor=mentor, min_notice_minutes=0, horizon_days=366, buffer_minutes=0, slot_lengths=[60], slot_step_minutes=60
    )
    for weekday in range(7):
        WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time=time(0, 0), end_time=time(0, 0))
    return mentor


def _group_video() -> None:
    """Enable the SFU backend on the site, so groups bigger than the default mesh may be published.

    Listing its backend contacts no server; these drills never open a room.
    """
    from wagtail.models import Site

    from core.plugins import config
    from core.plugins.models import PluginConfiguration

    site = Site.objects.get(is_default_site=True)
    PluginConfiguration.objects.update_or_create(
        site=site,
        plugin="video_janus",
        defaults={
            "enabled": True,
            "settings": {
                "admin_url": "http://127.0.0.1:9/admin",
                "public_ws_url": "wss://video.example.org/janus",
                "max_participants": 501,  # the largest group a session may have (500) plus the mentor
            },
            "secrets": {"admin_secret": "fault-drill"},
        },
    )
    config.invalidate(site.id)


def _session(mentor, *, start: datetime, capacity: int = 1, price_minor: int = 0, now: datetime | None = None):
    from core.scheduling.services.sessions import create_session

    if capacity > 3:  # more than the default mesh seats besides the mentor
        _group_video()
    return create_session(
        mentor,
        title="Fault drill",
        start=start,
        duration_minutes=60,
        capacity=capacity,
        price_minor=price_minor,
        currency="EUR",
        **({"now": now} if now else {}),
    )


def _cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


# --- PostgreSQL restarted during a booking burst ----------------------------------------------


def booking_burst(learners: int) -> dict:
    """A free 1:1 session and ``learners`` people with API tokens, all wanting it."""
    from rest_framework.authtoken.models import Token

    session = _session(_mentor(), start=datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3))
    tokens = [Token.objects.create(user=_user(f"learner{i}@faults.test")).key for i in range(learners)]
    return {"session": session.pk, "tokens": tokens}


def bookings_of(session: int) -> dict:
    from core.scheduling.models import Booking

    statuses = list(Booking.objects.filter(session_id=session).values_list("status", flat=True))
    active = [s for s in statuses if s in (Booking.CONFIRMED, Booking.PENDING_PAYMENT)]
    return {"active": len(active), "statuses": sorted(statuses)}


# --- Celery worker killed while sending reminders ---------------------------------------------


def reminders_due(sessions: int, learners: int) -> dict:
    """Sessions starting in 10 minutes, each with confirmed learners: everyone is due a 15-minute reminder.

    The booking emails are sent here and now (eager), so the queue holds only what the test puts there.
    """
    from peerlearn.celery import app

    from core.scheduling.services.bookings import book_session

    app.conf.task_always_eager = True

    now = datetime.now(UTC)
    expected = []
    for s in range(sessions):
        mentor = _mentor(f"mentor{s}@faults.test")
        start = now + timedelta(minutes=10)
        session = _session(mentor, start=start, capacity=learners, now=now - timedelta(days=2))
        expected.append(mentor.email)
        for i in range(learners):
            learner = _user(f"learner{s}-{i}@faults.test")
            book_session(session, learner, now=now - timedelta(days=2))
            expected.append(learner.email)
    return {"expected": sorted(expected)}


def enqueue(task: str) -> dict:
    """Put one task on this site's queue, as Celery beat would."""
    from peerlearn.celery import app

    return {"id": app.send_task(task).id, "queue": app.conf.task_default_queue}


def reminders_sent() -> dict:
    from collections import Counter

    from core.notifications.models import Notification, ReminderSent

    claims = Counter(ReminderSent.objects.values_list("user__email", flat=True))
    notes = Counter(Notification.objects.filter(kind="reminder.15m").values_list("user__email", flat=True))
    return {"claims": dict(claims), "notifications": dict(notes)}


# --- Redis restarted with two people in a room ------------------------------------------------


def room(**_: object) -> dict:
    """A session starting in 5 minutes (its room open) with its mentor and one confirmed learner.

    Also a free group session in two days and someone with an API token who has not booked it yet.
    """
    from rest_framework.authtoken.models import Token

    from core.scheduling.services.bookings import book_session

    now = datetime.now(UTC)
    mentor = _user("mentor@faults.test", is_mentor=True)
    learner = _user("learner@faults.test")
    session = _session(mentor, start=now + timedelta(minutes=5), capacity=2, now=now - timedelta(hours=1))
    book_session(session, learner, now=now - timedelta(hours=1))
    other = _session(_mentor("mentor2@faults.test"), start=now + timedelta(days=2), capacity=3)
    booker = _user("booker@faults.test")
    return {
        "other_session": other.pk,
        "booker_token": Token.objects.create(user=booker).key,
        "session": session.pk,
        "mentor": mentor.pk,
        "learner": learner.pk,
        "mentor_cookie": _cookie(mentor),
        "learner_cookie": _cookie(learner),
    }


def notify_loop(user: int, count: int, interval: float) -> dict:
    """Store a notification for ``user`` every ``interval`` seconds; each is pushed live after commit."""
    import time as clock

    from core.notifications import services

    ids = []
    for n in range(count):
        ids.append(services.notify(user, "drill", f"Drill {n}", "A notification of the fault drill.").pk)
        print(json.dumps({"sent": n, "at": clock.time()}), flush=True)
        clock.sleep(interval)
    return {"ids": ids}


def chat_of(session: int) -> dict:
    from core.rooms.models import ChatMessage

    return {"lines": list(ChatMessage.objects.filter(session_id=session).order_by("pk").values_list("text", flat=True))}


# --- payments: a kill before the commit, a webhook storm -----------------------------------------


def _stripe(url: str):
    """The Stripe test harness pointed at the test's localstripe, and the gateway enabled on the site."""
    import stripe
    from wagtail.models import Site

    from core.plugins import config
    from core.plugins.models import PluginConfiguration
    from tests.plugins.payments.harnesses import StripeHarness

    harness = StripeHarness()
    harness.server.url = url
    harness.server.js_url = f"{url}/js.stripe.com/v3/"
    harness._client = stripe.StripeClient("sk_test_harness", base_addresses={"api": url}, max_network_retries=0)
    site = Site.objects.get(is_default_site=True)
    PluginConfiguration.objects.update_or_create(
        site=site,
        plugin=harness.plugin,
        defaults={"enabled": True, "settings": harness.settings(), "secrets": harness.secrets()},
    )
    config.invalidate(site.id)
    return harness


def _paid_bookings(harness, count: int, price_minor: int = 4_000) -> list[tuple]:
    """``count`` learners who booked a seat and paid at the gateway: (booking, start) pairs."""
    from core.payments.services import checkout
    from core.scheduling.services.bookings import book_session

    mentor = _mentor()
    session = _session(
        mentor,
        start=datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=3),
        capacity=count,
        price_minor=price_minor,
    )
    paid = []
    for i in range(count):
        learner = _user(f"payer{i}@faults.test")
        booking = book_session(session, learner)
        started = checkout.start_payment(booking, "stripe", user=learner)
        harness.complete(started.start)
        paid.append((booking, started.start))
    return paid


def killed_before_commit(stripe_url: str) -> dict:
    """The learner pays; the webhook's processing dies (SIGKILL) after the ledger rows, before the commit."""
    from core.payments.services import events

    harness = _stripe(stripe_url)
    [(booking, start)] = _paid_bookings(harness, 1)
    body, headers = harness.succeeded_event(start)
    print(json.dumps({"booking": booking.pk, "reference": start.reference}), flush=True)
    original = events._succeeded

    def succeed_then_die(payment, booking, event):
        result = original(payment, booking, event)
        os.kill(os.getpid(), signal.SIGKILL)  # the ledger rows are written, not committed
        return result

    events._succeeded = succeed_then_die
    events.handle_webhook("stripe", body, headers)
    raise AssertionError("the process should have died before the commit")


def _money(booking_ids: list[int], harness, references: dict[int, str]) -> dict:
    from core.payments.models import LedgerEntry, Payment
    from core.payments.services.ledger import balances
    from core.plugins import PaymentStart
    from core.scheduling.models import Booking

    out = {}
    for booking in Booking.objects.filter(pk__in=booking_ids).order_by("pk"):
        totals = balances(booking=booking)
        start = PaymentStart(reference=references[booking.pk], status="pending")
        out[str(booking.pk)] = {
            "status": booking.status,
            "payment": Payment.objects.filter(booking=booking).values_list("status", flat=True).first(),
            "charges": LedgerEntry.objects.filter(booking=booking, kind="charge").count(),
            "held": totals.held,
            "gateway_holds": harness.holds(start),
            "balanced": totals.balanced,
        }
    return out


def reconcile_once(stripe_url: str, booking: int, reference: str) -> dict:
    from core.payments.tasks import reconcile_payments

    harness = _stripe(stripe_url)
    before = _money([booking], harness, {booking: reference})
    report = reconcile_payments()  # the Celery task's own code, run here as a worker would
    return {"before": before, "report": report, "after": _money([booking], harness, {booking: reference})}


def webhook_storm(stripe_url: str, payments: int, refunded: int, out: str) -> dict:
    """Paid bookings, some refunded at the gateway; every event of them, signed, written to ``out``."""
    harness = _stripe(stripe_url)
    paid = _paid_bookings(harness, payments)
    deliveries = []
    for index, (_booking, start) in enumerate(paid):
        deliveries.append(harness.succeeded_event(start))
        deliveries.append(harness.succeeded_event(start))  # the gateway may report a success twice, new id
        if index < refunded:
            harness.client.v1.refunds.create(params={"payment_intent": start.reference})
            refund_event = harness.refunded_event(start, None)
            deliveries.append(refund_event)
            deliveries.append(harness.refunded_event(start, None))
    Path(out).write_text(json.dumps([[body.decode(), headers] for body, headers in deliveries]))
    return {
        "bookings": [b.pk for b, _ in paid],
        "references": {str(b.pk): s.reference for b, s in paid},
        "refunded": [b.pk for b, _ in paid[:refunded]],
        "events": len(deliveries),
    }


def storm_result(stripe_url: str, references: dict[str, str]) -> dict:
    from core.payments.models import WebhookEventRecord

    harness = _stripe(stripe_url)
    refs = {int(k): v for k, v in references.items()}
    records = list(WebhookEventRecord.objects.values_list("event_id", "status"))
    return {
        "records": len(records),
        "distinct_ids": len({event_id for event_id, _ in records}),
        "statuses": {s: sum(1 for _, x in records if x == s) for s in {x for _, x in records}},
        "money": _money(list(refs), harness, refs),
    }


def main() -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    django.setup()
    name, kwargs = sys.argv[1], json.loads(sys.argv[2] if len(sys.argv) > 2 else "{}")
    print(json.dumps(globals()[name](**kwargs)), flush=True)


if __name__ == "__main__":
    main()
