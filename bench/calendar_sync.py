"""Calendar sync: what a connected calendar costs an availability read, healthy and hung.

    python -m bench.calendar_sync [--repeat 20]

Runs on a fresh SQLite file (or ``DATABASE_URL``'s server, in a throwaway
database) with a real Radicale server and a socket that never answers (both
on 127.0.0.1, ports 18650-18699; needs the test extras). Prints the median and
p95 of ``availability_report`` for a mentor over two weeks: without a
calendar, with cached busy times, on a cache miss that reads Radicale, on the
first read of a hung server (bounded by ``CALENDAR_READ_BUDGET``) and on the
reads after it (backoff: no wait); then how long a booking's event takes to be
written, moved and deleted.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from bench.slots import setup_django


def timed(fn, repeat: int, before=None) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        if before is not None:
            before()
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    setup_django()
    from django.db import connection

    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        settings_dict.setdefault("TEST", {})
        settings_dict["TEST"]["NAME"] = f"{settings_dict['NAME']}_bench_calendar"
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
    from django.conf import settings
    from django.core.cache import cache
    from peerlearn.celery import app
    from wagtail.models import Site

    from core.accounts.models import User
    from core.calendars import busy, services, sync
    from core.calendars.models import CalendarConnection
    from core.plugins import config
    from core.plugins.models import PluginConfiguration
    from core.scheduling.models import SchedulingProfile, Session, WeeklyRule
    from core.scheduling.services import availability, bookings
    from peerlearn_testing.site import ensure_default_site
    from tests.calendars.servers import PASSWORD, USERNAME, RadicaleServer, SilentServer

    app.conf.task_always_eager = True
    ensure_default_site()
    site = Site.objects.get(is_default_site=True)
    PluginConfiguration.objects.update_or_create(
        site=site,
        plugin="calendar_caldav",
        defaults={"enabled": True, "settings": {"allow_private_hosts": True, "timeout_seconds": 3.0}},
    )
    config.invalidate(site.id)
    radicale = RadicaleServer()
    radicale.start()  # before the silent server picks its port
    silent = SilentServer()
    silent.start()
    try:
        stamp = int(time.time())
        mentor = User.objects.create(email=f"cal-{stamp}@bench.local", is_mentor=True, time_zone="Europe/Paris")
        learner = User.objects.create(email=f"learner-{stamp}@bench.local", time_zone="UTC")
        SchedulingProfile.objects.create(mentor=mentor, horizon_days=30, min_notice_minutes=0, slot_lengths=[60])
        for weekday in range(7):
            WeeklyRule.objects.create(mentor=mentor, weekday=weekday, start_time="08:00", end_time="18:00")
        now = datetime.now(UTC)
        start, end = now, now + timedelta(days=14)

        def read():
            return availability.availability_report(mentor, start, end)

        rows = [("no calendar", *timed(read, args.repeat))]
        calendar_id = radicale.new_calendar()
        for day in range(14):  # a busy fortnight: two events a day
            base = (now + timedelta(days=day)).replace(hour=9, minute=0, second=0, microsecond=0)
            radicale.add_event(calendar_id, base, base + timedelta(hours=1))
            radicale.add_event(calendar_id, base + timedelta(hours=4), base + timedelta(hours=5))
        services.connect(
            mentor, "caldav", {"url": radicale.url, "username": USERNAME, "password": PASSWORD}, calendar_id
        )
        connection = CalendarConnection.objects.get(mentor=mentor)
        rows.append(("Radicale, busy times cached", *timed(read, args.repeat)))
        rows.append(
            ("Radicale, cache expired: one read", *timed(read, args.repeat, before=lambda: busy.forget(connection.pk)))
        )
        assert not read().stale

        connection.settings = {"url": silent.url, "username": USERNAME}
        connection.calendar_id = silent.url + "calendar/"
        connection.save()
        budget = settings.PEERLEARN_CALENDARS["READ_BUDGET"]
        first = []
        for _ in range(max(3, args.repeat // 5)):
            busy.forget(connection.pk)
            began = time.perf_counter()
            report = read()
            first.append(time.perf_counter() - began)
            assert report.stale
        first.sort()
        rows.append((f"hung server, first read (budget {budget:g}s)", statistics.median(first), first[-1]))
        rows.append(("hung server, reads after it (backoff)", *timed(read, args.repeat)))
        cache.clear()  # the breaker may have opened: the writes below start clean

        connection.settings = {"url": radicale.url, "username": USERNAME}
        connection.calendar_id = calendar_id
        connection.save()
        slot = read().slots[0]
        booking = bookings.book_slot(mentor, learner, slot.start, 60)
        session = Session.objects.get(pk=booking.session_id)
        began = time.perf_counter()
        cycles = 0
        for _ in range(max(3, args.repeat // 5)):
            Session.objects.filter(pk=session.pk).update(ends_at=session.ends_at + timedelta(minutes=cycles % 2))
            sync.sync_session(session.pk)
            cycles += 1
        write_move = (time.perf_counter() - began) / cycles
        print(f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}, Radicale 127.0.0.1, {args.repeat} runs")
        print(f"{'availability_report, 14 days':<48} {'p50 ms':>9} {'p95 ms':>9}")
        for label, p50, p95 in rows:
            print(f"{label:<48} {p50 * 1000:>9.1f} {p95 * 1000:>9.1f}")
        print(f"{'event written or moved (sync_session)':<48} {write_move * 1000:>9.1f}")
    finally:
        radicale.stop()
        silent.stop()


if __name__ == "__main__":
    main()
