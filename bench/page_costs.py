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
page cache emptied) and as every later one (``warm``).
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
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url, HTTP_X_FORWARDED_PROTO="https")  # warm-up
    times, cpu, queries, trips, status = [], [], [], [], 0
    for _ in range(repeat):
        if before:
            before()
        _round_trips[0] = 0
        with CaptureQueriesContext(connection) as captured:
            start, start_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, HTTP_X_FORWARDED_PROTO="https")
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
        queries.append(len(captured))
        trips.append(_round_trips[0])
        status = response.status_code
    times.sort()
    return {
        "status": status,
        "p50_ms": round(statistics.median(times), 1),
        "p90_ms": round(times[int(0.9 * (len(times) - 1))], 1),
        "cpu_ms": round(statistics.median(cpu), 1),
        "queries": round(statistics.median(queries)),  # the median: a process memo rebuilt now and then
        "redis": round(statistics.median(trips)),
    }


def profile(client, url: str, out: Path, name: str) -> None:
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(20):
            client.get(url, HTTP_X_FORWARDED_PROTO="https")
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
        print(f"profiles in {args.profile}")


if __name__ == "__main__":
    main()
