"""Notification centre figures: live push latency, a reminder beat tick, a calendar feed.

    python -m bench.notifications                      # embedded: SQLite, in-memory channel layer
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0 \\
        python -m bench.notifications                  # real stack: PostgreSQL, Redis pub/sub layer

Builds a throwaway test database (dropped at the end), then prints:

* push: ``notify()`` (store + after-commit push) until every one of ``--tabs``
  open ``ws/notifications/`` sockets of the user received it, through the full
  ASGI application (origin check, session auth): p50/p95/max over ``--pushes``;
* reminders: one beat tick that owes ``--sessions`` sessions x ``--seats``
  learners (+ each mentor) their 24-hour reminder, emails to the local-memory
  backend: reminders per second; then the next tick, which owes nothing;
* feed: rendering the iCalendar feed of a mentor with ``--feed`` sessions.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.test")
    import django

    django.setup()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def make_user(email: str, **extra):
    from core.accounts.models import User

    extra.setdefault("display_name", email.split("@")[0])
    return User.objects.create_user(email=email, password="bench-Strong-pass-1", **extra)


async def measure_push(pushes: int, tabs: int) -> dict:
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator
    from django.conf import settings
    from django.test import Client
    from peerlearn.asgi import application

    from core.notifications import services

    user = await sync_to_async(make_user)("push@bench.local")

    def cookie() -> bytes:
        client = Client()
        client.force_login(user)
        return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode()

    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", await sync_to_async(cookie)())]
    sockets = []
    for _ in range(tabs):
        socket = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        connected, _ = await socket.connect()
        assert connected
        sockets.append(socket)
    await asyncio.sleep(0.2)  # let pub/sub subscriptions settle
    notify = sync_to_async(services.notify)
    latencies, calls = [], []
    for index in range(pushes):
        started = time.perf_counter()
        await notify(user, "bench.push", f"Push {index}")
        calls.append(time.perf_counter() - started)
        for socket in sockets:
            message = await socket.receive_json_from(timeout=5)
            assert message["payload"]["title"] == f"Push {index}"
        latencies.append(time.perf_counter() - started)
    for socket in sockets:
        await socket.disconnect()
    from django.db import connections

    await sync_to_async(connections.close_all)()  # the worker thread's connection, before the database is dropped
    return {"latencies": latencies, "calls": calls}


def seed_reminders(sessions: int, seats: int) -> int:
    from django.utils import timezone

    from core.scheduling.services import bookings
    from core.scheduling.services import sessions as session_services

    now = timezone.now()
    then = now - timedelta(days=3)  # booked long ago: the 24-hour reminder is owed
    mentors = [make_user(f"mentor{m}@bench.local", is_mentor=True) for m in range(max(1, sessions // 10))]
    learners = [make_user(f"learner{n}@bench.local", time_zone="Europe/Berlin") for n in range(seats * 10)]
    made = 0
    for index in range(sessions):
        mentor = mentors[index % len(mentors)]
        start = (now + timedelta(hours=1 + 2 * (index // len(mentors)))).replace(second=0, microsecond=0)
        start += timedelta(minutes=index % len(mentors))
        session = session_services.create_session(
            mentor, title=f"Bench {index}", start=start, duration_minutes=60, capacity=seats, now=then
        )
        for seat in range(seats):
            learner = learners[(index * seats + seat) % len(learners)]
            try:
                bookings.book_session(session, learner, now=then)
                made += 1
            except Exception:  # a learner already busy at that hour: skip the seat
                continue
    return made


def measure_feed(count: int) -> dict:
    from django.utils import timezone

    from core.notifications import calendar
    from core.scheduling.services import sessions as session_services

    mentor = make_user("feed@bench.local", is_mentor=True)
    start = timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    for index in range(count):
        session_services.create_session(
            mentor, title=f"Feed {index}", start=start + timedelta(hours=3 * index), duration_minutes=60
        )
    started = time.perf_counter()
    text = calendar.render_feed(mentor, root="https://peerlearn.example/")
    return {"seconds": time.perf_counter() - started, "bytes": len(text.encode()), "events": text.count("BEGIN:VEVENT")}


def run(args) -> None:
    from django.conf import settings
    from django.core import mail

    from core.notifications import reminders

    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"].rsplit(".", 1)[-1]
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, channel layer: {layer}")

    push = asyncio.run(measure_push(args.pushes, args.tabs))
    ms = [value * 1000 for value in push["latencies"]]
    calls = [value * 1000 for value in push["calls"]]
    print(
        f"push to {args.tabs} open sockets, {args.pushes} notifications: p50 {statistics.median(ms):.1f} ms, "
        f"p95 {percentile(ms, 0.95):.1f} ms, max {max(ms):.1f} ms (notify() call itself p50 "
        f"{statistics.median(calls):.1f} ms)"
    )

    started = time.perf_counter()
    seats = seed_reminders(args.sessions, args.seats)
    print(f"seeded {args.sessions} sessions, {seats} confirmed seats in {time.perf_counter() - started:.1f} s")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    started = time.perf_counter()
    first = reminders.send_due_reminders()
    took = time.perf_counter() - started
    print(
        f"reminder tick: {first['sent']} sent ({len(mail.outbox)} emails), {first['failed']} failed "
        f"in {took:.2f} s = {first['sent'] / took:.0f} reminders/s"
    )
    started = time.perf_counter()
    second = reminders.send_due_reminders()
    print(f"next tick (nothing owed): {second['sent']} sent in {(time.perf_counter() - started) * 1000:.0f} ms")

    feed = measure_feed(args.feed)
    print(
        f"calendar feed: {feed['events']} events, {feed['bytes'] / 1024:.0f} KiB rendered in "
        f"{feed['seconds'] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pushes", type=int, default=200)
    parser.add_argument("--tabs", type=int, default=3)
    parser.add_argument("--sessions", type=int, default=100)
    parser.add_argument("--seats", type=int, default=5)
    parser.add_argument("--feed", type=int, default=300)
    args = parser.parse_args()
    setup_django()
    from django.db import connection
    from peerlearn.celery import app

    app.conf.task_always_eager = True  # session emails in-process: no worker in a benchmark
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
