"""Slot computation: a mentor with a year of weekly hours, overrides and sessions.

    python -m bench.slots [--repeat 20] [--mentors 200]

Runs on ``DATABASE_URL`` when set, else on a fresh SQLite file in a temporary
folder (a throwaway database either way). The mentor (Europe/London, so the
year crosses both daylight-saving changes) has two ranges on weekdays and one
on Saturdays, ~100 date overrides (days off, time off, extra evenings) and ~250
booked sessions; lengths 30/60/90 minutes starting every 15 minutes. Prints the
median and p95 time of ``free_slots`` for a year, a month and a week (database
reads included), the pure computation without the database, and
``mentors_with_free_time`` over ``--mentors`` mentors for 14 days.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.test")
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="bench-slots-")) / "db.sqlite3")
    import django

    django.setup()


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times, value = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))], value


def build(mentors: int):
    from core.accounts.models import User
    from core.scheduling.models import DateOverride, SchedulingProfile, Session, WeeklyRule

    rng = random.Random(7)
    stamp = int(time.time())
    mentor = User.objects.create(
        email=f"year-{stamp}@bench.local", display_name="Year mentor", is_mentor=True, time_zone="Europe/London"
    )
    SchedulingProfile.objects.create(
        mentor=mentor,
        min_notice_minutes=0,
        horizon_days=366,
        buffer_minutes=10,
        slot_lengths=[30, 60, 90],
        slot_step_minutes=15,
    )
    rules = [(d, wall(9), wall(12, 30)) for d in range(5)] + [(d, wall(14), wall(18)) for d in range(5)]
    rules.append((5, wall(10), wall(13)))
    WeeklyRule.objects.bulk_create(
        [WeeklyRule(mentor=mentor, weekday=d, start_time=s, end_time=e) for d, s, e in rules]
    )
    today = date.today()
    overrides = []
    for offset in rng.sample(range(1, 365), 100):
        day = today + timedelta(days=offset)
        kind = rng.choice(["off", "partial", "extra"])
        if kind == "off":
            overrides.append(DateOverride(mentor=mentor, date=day, kind="unavailable"))
        elif kind == "partial":
            overrides.append(
                DateOverride(mentor=mentor, date=day, kind="unavailable", start_time=wall(10), end_time=wall(11))
            )
        else:
            overrides.append(
                DateOverride(mentor=mentor, date=day, kind="available", start_time=wall(19), end_time=wall(21))
            )
    DateOverride.objects.bulk_create(overrides)
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    sessions = []
    taken: set[date] = set()
    for offset in rng.sample(range(1, 365), 250):
        day = today + timedelta(days=offset)
        if day in taken:
            continue
        taken.add(day)
        start = datetime(day.year, day.month, day.day, 15, 0, tzinfo=UTC)
        sessions.append(Session(mentor=mentor, title="Booked", starts_at=start, ends_at=start + timedelta(hours=1)))
    Session.objects.bulk_create(sessions)
    others = User.objects.bulk_create(
        [
            User(email=f"m{i}-{stamp}@bench.local", display_name=f"M{i}", is_mentor=True, time_zone="America/New_York")
            for i in range(mentors)
        ]
    )
    WeeklyRule.objects.bulk_create(
        [WeeklyRule(mentor=m, weekday=(i % 7), start_time=wall(9), end_time=wall(11)) for i, m in enumerate(others)]
    )
    return mentor, [m.pk for m in others], now, len(overrides), len(sessions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--mentors", type=int, default=200)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        settings_dict.setdefault("TEST", {})
        settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_bench_slots"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0, interactive=False)
        old_name = None
    try:
        run(args)
    finally:
        if old_name is not None:
            connection.creation.destroy_test_db(old_name, verbosity=0)


def run(args) -> None:
    from django.db import connection

    from core.scheduling.models import DateOverride, WeeklyRule
    from core.scheduling.services import availability

    mentor, others, now, n_overrides, n_sessions = build(args.mentors)
    print(
        f"{connection.vendor}, mentor in Europe/London: 11 weekly ranges, {n_overrides} overrides, "
        f"{n_sessions} sessions; lengths 30/60/90 every 15 min; {args.repeat} runs each"
    )
    print(f"{'computation':<44} {'slots':>7} {'p50 ms':>9} {'p95 ms':>9}")
    for label, days in (("free_slots, a year", 365), ("free_slots, a month", 30), ("free_slots, a week", 7)):
        p50, p95, slots = timed(
            lambda d=days: availability.free_slots(mentor, now, now + timedelta(days=d), now=now), args.repeat
        )
        print(f"{label:<44} {len(slots):>7} {p50 * 1000:>9.2f} {p95 * 1000:>9.2f}")
    p50, p95, slots = timed(
        lambda: availability.free_slots(mentor, now, now + timedelta(days=7), 60, now=now), args.repeat
    )
    print(f"{'free_slots, a week, 60 min only':<44} {len(slots):>7} {p50 * 1000:>9.2f} {p95 * 1000:>9.2f}")
    # the pure computation, with everything already read
    rules = list(WeeklyRule.objects.filter(mentor=mentor))
    overrides = list(DateOverride.objects.filter(mentor=mentor))
    busy = availability._busy_for([mentor.pk], now, now + timedelta(days=400))[mentor.pk]
    settings = availability.Settings.of(availability.profile_for(mentor))
    zone = availability.zone_of(mentor)
    for label, days in (("compute_slots only (no database), a year", 365), ("compute_slots only, a week", 7)):
        p50, p95, slots = timed(
            lambda d=days: availability.compute_slots(
                zone=zone,
                rules=rules,
                overrides=overrides,
                settings=settings,
                busy=busy,
                start_utc=now,
                end_utc=now + timedelta(days=d),
                now=now,
            ),
            args.repeat,
        )
        print(f"{label:<44} {len(slots):>7} {p50 * 1000:>9.2f} {p95 * 1000:>9.2f}")
    p50, p95, found = timed(lambda: availability.mentors_with_free_time(others, 14), max(3, args.repeat // 4))
    label = f"mentors_with_free_time, {len(others)} mentors, 14 days"
    print(f"{label:<44} {len(found):>7} {p50 * 1000:>9.2f} {p95 * 1000:>9.2f}")


if __name__ == "__main__":
    main()
