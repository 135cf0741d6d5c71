"""Booking race: many learners try to take the same seat at the same instant, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test python -m bench.booking_race [--attempts 100]

Builds a throwaway database (``<name>_bench_booking_race``, dropped at the end
unless ``--keepdb``), then runs three races, each with ``--attempts`` threads
released together from one barrier, each thread with its own connection:

* one 1:1 slot of a mentor's availability (``book_slot``): exactly 1 must win;
* a group session with capacity 10 (``book_session``): exactly 10 must win;
* overlapping slots (10:00 and 10:30, 60 minutes) of one mentor: exactly 1 must win.

Prints successes, refusals and p50/p95/max latency per attempt (from the
release to the answer). PostgreSQL's ``max_connections`` bounds how many
connections can be open at once: the threads share at most ``--connections``
(default: what the server has left, minus a margin), like an application's
pool; waiting for one counts in the latency.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.test")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        sys.exit("Set DATABASE_URL to a PostgreSQL database: the race is about its locks and constraints.")
    import django

    django.setup()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def free_connections(margin: int = 8) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        limit = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM pg_stat_activity")
        used = int(cursor.fetchone()[0])
    return max(1, limit - used - margin)


def race(jobs, connections_allowed: int) -> dict:
    from django.db import connections

    from core.scheduling.services.errors import Conflict

    barrier = threading.Barrier(len(jobs))
    pool = threading.BoundedSemaphore(connections_allowed)
    latencies: list[float] = []
    outcome = {"won": 0, "refused": 0, "errors": []}
    lock = threading.Lock()

    def run(job):
        barrier.wait()
        started = time.perf_counter()
        try:
            with pool:
                try:
                    job()
                    key = "won"
                except Conflict:
                    key = "refused"
                except Exception as exc:  # a deadlock or a constraint that leaked: report it
                    key = repr(exc)
                finally:
                    connections.close_all()
        finally:
            elapsed = time.perf_counter() - started
        with lock:
            latencies.append(elapsed)
            if key in ("won", "refused"):
                outcome[key] += 1
            else:
                outcome["errors"].append(key)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    wall = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    outcome["wall"] = time.perf_counter() - wall
    outcome["p50"] = statistics.median(latencies)
    outcome["p95"] = percentile(latencies, 0.95)
    outcome["max"] = max(latencies)
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=100)
    parser.add_argument("--connections", type=int, default=0, help="connections open at once (0: what is free)")
    parser.add_argument("--keepdb", action="store_true")
    args = parser.parse_args()
    setup_django()

    from django.db import connection

    settings_dict = connection.settings_dict
    settings_dict.setdefault("TEST", {})
    settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_bench_booking_race"
    print(f"Creating the throwaway database {settings_dict['TEST']['NAME']} ...", flush=True)
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=args.keepdb)
    try:
        run(args)
    finally:
        if not args.keepdb:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    from core.accounts.models import User
    from core.scheduling.models import Booking, SchedulingProfile, Session, WeeklyRule
    from core.scheduling.services import bookings
    from core.scheduling.services.sessions import create_session

    stamp = int(time.time())

    def person(tag: str, **extra) -> User:
        return User.objects.create(email=f"{tag}-{stamp}@bench.local", display_name=tag, **extra)

    mentor = person("mentor", is_mentor=True, time_zone="UTC")
    SchedulingProfile.objects.create(
        mentor=mentor, min_notice_minutes=0, horizon_days=60, buffer_minutes=0, slot_lengths=[60], slot_step_minutes=30
    )
    from datetime import time as wall

    for weekday in range(7):
        WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time=wall(9), end_time=wall(17))
    learners = User.objects.bulk_create(
        [
            User(email=f"learner{i}-{stamp}@bench.local", display_name=f"Learner {i}", password="!")
            for i in range(args.attempts)
        ]
    )
    day = (datetime.now(UTC) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    group = create_session(
        person("group-mentor", is_mentor=True),
        title="Bench group",
        start=day.replace(hour=18),
        duration_minutes=60,
        capacity=10,
    )
    # Warm up as a running site is: the policy row exists, modules are imported, one booking made.
    bookings.book_slot(mentor, person("warm-up"), day.replace(hour=15) + timedelta(days=2), 60)
    allowed = args.connections or free_connections()
    allowed = min(allowed, args.attempts)
    from django.db import connection

    print(
        f"PostgreSQL {connection.pg_version // 10000}, {args.attempts} simultaneous attempts per race, "
        f"at most {allowed} connections open at once, {os.cpu_count()} CPUs"
    )
    races = [
        (
            "one 1:1 slot (book_slot)",
            1,
            [lambda u=u: bookings.book_slot(mentor, u, day.replace(hour=10), 60) for u in learners],
        ),
        (
            "group session, capacity 10 (book_session)",
            10,
            [lambda u=u: bookings.book_session(group, u) for u in learners],
        ),
        (
            "overlapping slots 10:00/10:30 of one mentor",
            1,
            [
                lambda u=u, i=i: bookings.book_slot(
                    mentor, u, day.replace(hour=13, minute=30 * (i % 2)) + timedelta(days=1), 60
                )
                for i, u in enumerate(learners)
            ],
        ),
    ]
    print(
        f"{'race':<46} {'won':>4} {'refused':>8} {'errors':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'wall s':>7}"
    )
    ok = True
    for label, expected, jobs in races:
        result = race(jobs, allowed)
        print(
            f"{label:<46} {result['won']:>4} {result['refused']:>8} {len(result['errors']):>7} "
            f"{result['p50'] * 1000:>8.1f} {result['p95'] * 1000:>8.1f} {result['max'] * 1000:>8.1f} "
            f"{result['wall']:>7.2f}"
        )
        for error in sorted(set(result["errors"]))[:3]:
            print(f"    error: {error}")
        ok = ok and result["won"] == expected and not result["errors"]
    held = Booking.objects.active().filter(session__mentor=mentor).count()
    sessions = Session.objects.active().filter(mentor=mentor).count()
    print(f"Afterwards: {sessions} active sessions and {held} active bookings for the 1:1 mentor (expected 3 and 3).")
    print("Result: no double booking." if ok and held == sessions == 3 else "Result: DOUBLE BOOKING OR ERRORS.")
    if not ok:
        sys.exit(1)


if __name__ == "__main__":
    main()
