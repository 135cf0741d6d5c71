"""What one request to each page of the load mix costs in-process: wall time and queries.

    DATABASE_URL=postgres://... REDIS_URL=redis://... python -m bench.page_costs [--repeat 30] [--profile DIR]

Runs under ``peerlearn.settings.production`` (DEBUG off, the cached template
loader, the Redis cache) with Django's test client against a database seeded by
``seed_demo`` (``bench.load`` seeds one), so it shows what the server does per
request without the server: the median and p90 of ``--repeat`` requests after a
warm-up, the median CPU time (what a busy machine blurs least), the number of
queries and of Redis round trips, and with ``--profile DIR`` one pyinstrument
HTML profile per page (``pip install pyinstrument``). Anonymous pages are
measured twice: as the first visitor after a change (``cold``: the anonymous
page cache emptied) and as every later one (``warm``). Last, the crowd's signed-in
cycle, each step's figures: book a free seat through the API, the dashboard the
booking made stale, cancel, the dashboard again (``learner cycle`` profile).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from bench.common import production_env


def setup() -> None:
    env = production_env(LOG_LEVEL="ERROR")
    env["ALLOWED_HOSTS"] += ",testserver"
    os.environ.update(env)
    import django

    django.setup()
    import logging

    logging.disable(logging.WARNING)  # the 404s of the mix


def pages() -> tuple[dict[str, str], dict[str, str], object]:
    """The load mix's URLs (anonymous, signed-in) and a learner to sign in as."""
    from core.accounts.models import User
    from core.catalogue.models import MentorPage
    from core.scheduling.models import Session
    from core.taxonomy.models import Skill

    mentor = MentorPage.objects.live().order_by("pk").first()
    skill = Skill.objects.order_by("slug").first()
    session = Session.objects.exclude(origin=Session.SLOT).order_by("-starts_at").first()
    learner = User.objects.filter(email="learner1@demo.peerlearn.local").first() or User.objects.first()
    anonymous = {
        "home": "/",
        "mentor search": f"/mentors/?skill={skill.slug}",
        "mentor page": mentor.url,
        "session page": f"/sessions/{session.pk}/",
        "404": "/api/nope/",
    }
    signed_in = {
        "dashboard": "/dashboard/",
        "api sessions": "/api/sessions/",
        "api mentors": "/api/mentors/",
        "api recommendations": "/api/recommendations/",
    }
    return anonymous, signed_in, learner


_round_trips = [0]


def count_redis_round_trips() -> None:
    """Count each command (or pipeline) sent to Redis: a busy machine blurs time, not round trips."""
    import redis.connection

    send = redis.connection.AbstractConnection.send_packed_command

    def counted(self, *args, **kwargs):
        _round_trips[0] += 1
        return send(self, *args, **kwargs)

    redis.connection.AbstractConnection.send_packed_command = counted


def measure(client, url: str, repeat: int, before=None) -> dict:
    client.get(url, HTTP_X_FORWARDED_PROTO="https")  # warm-up
    return measure_calls([lambda: client.get(url, HTTP_X_FORWARDED_PROTO="https")], repeat, before)[0]


def measure_calls(calls: list, repeat: int, before=None) -> list[dict]:
    """Figures of each of ``calls`` (requests made in turn, a cycle), over ``repeat`` cycles."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    samples = [{"times": [], "cpu": [], "queries": [], "trips": [], "status": set()} for _ in calls]
    for _ in range(repeat):
        if before:
            before()
        for call, sample in zip(calls, samples, strict=True):
            _round_trips[0] = 0
            with CaptureQueriesContext(connection) as captured:
                start, start_cpu = time.perf_counter(), time.process_time()
                response = call()
                sample["times"].append((time.perf_counter() - start) * 1000)
                sample["cpu"].append((time.process_time() - start_cpu) * 1000)
            sample["queries"].append(len(captured))
            sample["trips"].append(_round_trips[0])
            sample["status"].add(response.status_code)
    figures = []
    for sample in samples:
        times = sorted(sample["times"])
        figures.append(
            {
                "status": "/".join(map(str, sorted(sample["status"]))),  # every answer seen, not the last
                "p50_ms": round(statistics.median(times), 1),
                "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
                "cpu_ms": round(statistics.median(sample["cpu"]), 1),
                "queries": round(statistics.median(sample["queries"])),  # a process memo is rebuilt now and then
                "redis": round(statistics.median(sample["trips"])),
            }
        )
    return figures


def learner_cycle(learner, token: str) -> tuple[list[tuple[str, str]], list] | None:
    """The crowd's signed-in cycle: book a free seat, the dashboard it makes stale, give the seat back,
    the dashboard again. The seat is one the load benchmark prepared (else any with a seat left);
    ``None`` when no session has one."""
    import json

    from django.db.models import Count, F, Q
    from django.test import Client
    from django.utils import timezone

    from core.scheduling.models import Booking, Session

    taken = Count("bookings", filter=Q(bookings__status__in=Booking.ACTIVE_STATUSES))
    open_seats = (
        Session.objects.filter(status=Session.SCHEDULED, origin=Session.PUBLISHED, starts_at__gt=timezone.now())
        .exclude(bookings__learner=learner)
        .annotate(taken=taken)
        .filter(taken__lt=F("capacity"), capacity__gt=1)
        .select_related("mentor")
    )
    session = open_seats.filter(title__startswith="Load test open seat").first() or open_seats.first()
    if session is None:
        return None
    answers = {
        str(q.pk): (q.choices[0] if q.kind == "choice" and q.choices else "Load test")
        for q in session.mentor.booking_questions.filter(required=True)
    }
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    browser = Client()
    browser.force_login(learner)
    book = f"/api/sessions/{session.pk}/book/"
    cancel = f"/api/sessions/{session.pk}/cancel/"
    steps = [
        ("book", book),
        ("dashboard, stale", "/dashboard/"),
        ("cancel", cancel),
        ("dashboard, stale", "/dashboard/"),
    ]
    body = json.dumps({"answers": answers})
    calls = [
        lambda: api.post(book, body, content_type="application/json", HTTP_X_FORWARDED_PROTO="https"),
        lambda: browser.get("/dashboard/", HTTP_X_FORWARDED_PROTO="https"),
        lambda: api.delete(cancel, HTTP_X_FORWARDED_PROTO="https"),
        lambda: browser.get("/dashboard/", HTTP_X_FORWARDED_PROTO="https"),
    ]
    return steps, calls


def purge_queued_tasks() -> None:
    """Drop the tasks the cycle queued (its bookings' emails and notifications): no worker runs here,
    and the next load benchmark's worker would otherwise start by sending them."""
    from peerlearn.celery import app

    purged = app.control.purge()
    print(f"purged {purged} queued tasks (the cycle's emails)")


def profile(client, url: str, out: Path, name: str) -> None:
    profile_calls([lambda: client.get(url, HTTP_X_FORWARDED_PROTO="https")], out, name)


def profile_calls(calls: list, out: Path, name: str, cycles: int = 20) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(cycles):
            for call in calls:
                call()
    (out / f"{name.replace(' ', '_')}.html").write_text(profiler.output_html())
    (out / f"{name.replace(' ', '_')}.txt").write_text(profiler.output_text(unicode=False, color=False))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of each page here")
    args = parser.parse_args(argv)
    setup()
    from django.test import Client
    from rest_framework.authtoken.models import Token

    from core.accounts.models import User

    try:
        from core.pages.cache import clear_page_cache
    except ImportError:  # before the anonymous page cache existed

        def clear_page_cache() -> None:
            return None

    count_redis_round_trips()
    anonymous, signed_in, learner = pages()
    visitor, member = Client(), Client()
    member.force_login(learner)
    token = Token.objects.get_or_create(user=learner)[0].key
    rows = []
    for name, url in anonymous.items():
        rows.append((f"{name} (cold)", url, measure(visitor, url, args.repeat, before=clear_page_cache)))
        rows.append((f"{name} (warm)", url, measure(visitor, url, args.repeat)))
    for name, url in signed_in.items():
        client = member
        if url.startswith("/api/"):
            client = Client(HTTP_AUTHORIZATION=f"Token {token}")
        rows.append((name, url, measure(client, url, args.repeat)))
    # The load benchmark's learner when there is one: the cycle as the crowd makes it.
    cycler = User.objects.filter(email__endswith="@bench.peerlearn.local").order_by("pk").first() or learner
    cycle = learner_cycle(cycler, Token.objects.get_or_create(user=cycler)[0].key)
    if cycle is None:
        print("no session with a free seat: the learner's cycle is left out")
    else:
        steps, calls = cycle
        for (name, url), figures in zip(steps, measure_calls(calls, args.repeat), strict=True):
            rows.append((f"{name} (cycle)", url, figures))
        purge_queued_tasks()
    print("| page | url | status | p50 ms | p90 ms | CPU ms (p50) | queries | Redis round trips |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, url, figures in rows:
        print(
            f"| {name} | `{url}` | {figures['status']} | {figures['p50_ms']} | {figures['p90_ms']}"
            f" | {figures['cpu_ms']} | {figures['queries']} | {figures['redis']} |"
        )
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
        for name, url in anonymous.items():
            clear_page_cache()
            profile(visitor, url, args.profile, name)
        for name, url in signed_in.items():
            client = Client(HTTP_AUTHORIZATION=f"Token {token}") if url.startswith("/api/") else member
            profile(client, url, args.profile, name)
        if cycle is not None:
            profile_calls(cycle[1], args.profile, "learner cycle")
            purge_queued_tasks()
        print(f"profiles in {args.profile}")


if __name__ == "__main__":
    main()
