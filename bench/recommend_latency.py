"""Latency of one personalised recommendation request, in-process and over HTTP, on a synthetic platform.

    python -m bench.recommend_latency [--learners 10000] [--items 10000] [--requests 500]
                                      [--http-requests 300] [--keep PATH]

Builds a platform in a scratch SQLite file (or the database of ``DATABASE_URL``,
which must be a throwaway one: it is migrated and filled): ``--items`` bookable
items (a fifth mentors with live pages and free weekly hours, the rest
upcoming sessions), ``--learners`` learners with 2 to 4 interests, and a
history shaped like a marketplace's: a long-tailed number of completed
bookings per learner (mean about 4) on past sessions, half of them reviewed,
some upcoming bookings, and about ten clicks and views each. It then fits
every enabled recommender through the product's own ``store.refit`` (the
Celery task's code path), reports fit time and model size (stored blob and
the memory the loaded models take), and times:

* in-process: ``services.recommend`` for a random learner (what the API view
  calls), after a warm-up that loads the models and fills the per-minute caches;
* HTTP: ``GET /api/recommendations/`` with a token on ``manage.py runserver
  --noreload`` started as a subprocess on a free port against the same
  database, one keep-alive connection, sequential requests.

Targets (issue 7): p95 under 5 ms in-process and under 30 ms over HTTP.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django(scratch: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.test")
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = os.path.join(scratch, "latency.sqlite3")
    os.environ.setdefault("MEDIA_ROOT", os.path.join(scratch, "media"))
    import logging

    import django

    django.setup()
    logging.getLogger("wagtail").setLevel(logging.WARNING)
    logging.getLogger("peerlearn.recommendations").setLevel(logging.WARNING)
    from django.conf import settings
    from django.core.management import call_command

    settings.MEDIA_ROOT = os.environ["MEDIA_ROOT"]
    call_command("migrate", verbosity=0)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    q = statistics.quantiles(ordered, n=100, method="inclusive")
    return {"p50": q[49], "p95": q[94], "p99": q[98], "mean": statistics.fmean(ordered), "n": len(ordered)}


def fmt(label: str, stats: dict[str, float]) -> str:
    return (
        f"{label:<28} p50 {stats['p50']:7.2f} ms   p95 {stats['p95']:7.2f} ms   p99 {stats['p99']:7.2f} ms"
        f"   (mean {stats['mean']:.2f}, n={int(stats['n'])})"
    )


# --- the synthetic platform ------------------------------------------------------------


def build(n_learners: int, n_items: int, seed: int) -> list[int]:
    """Fill the database; return the learners' ids."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone
    from wagtail.models import Site

    from core.accounts.models import User
    from core.catalogue.models import MentorIndexPage, MentorPage, Review
    from core.catalogue.profiles import bio_from_text
    from core.recommendations.models import RecommendationEvent
    from core.scheduling.models import Booking, SchedulingProfile, Session, WeeklyRule
    from core.taxonomy.models import Skill

    rng = random.Random(seed)
    now = timezone.now()
    password = make_password(None)
    categories = ["Programming", "Data", "Music", "Languages", "Design", "Business"]
    skills = Skill.objects.bulk_create(
        [Skill(name=f"{c} {n}", slug=f"{c.lower()}-{n}", category=c) for c in categories for n in range(10)]
    )
    by_category = [skills[i * 10 : (i + 1) * 10] for i in range(len(categories))]

    def taste() -> list:
        group = rng.choice(by_category)
        return rng.sample(group, rng.randint(2, 4))

    n_mentors = max(1, n_items // 5)
    n_sessions = n_items - n_mentors
    n_past = max(1, n_items // 2)
    t0 = time.perf_counter()
    with transaction.atomic():
        mentors = User.objects.bulk_create(
            [
                User(email=f"mentor{n}@bench.test", display_name=f"Mentor {n}", is_mentor=True, password=password)
                for n in range(n_mentors)
            ]
        )
        learners = User.objects.bulk_create(
            [
                User(email=f"learner{n}@bench.test", display_name=f"Learner {n}", is_learner=True, password=password)
                for n in range(n_learners)
            ]
        )
        through = User.interests.through
        learner_taste = {u.pk: taste() for u in learners}
        through.objects.bulk_create(
            [through(user_id=uid, skill_id=s.pk) for uid, chosen in learner_taste.items() for s in chosen]
        )
        SchedulingProfile.objects.bulk_create(
            [SchedulingProfile(mentor=m, min_notice_minutes=0, horizon_days=60) for m in mentors]
        )
        WeeklyRule.objects.bulk_create(
            [
                WeeklyRule(mentor=m, weekday=d, start_time=dtime(9, 0), end_time=dtime(17, 0))
                for m in mentors
                for d in range(5)
            ]
        )
    print(f"  {n_mentors} mentors, {n_learners} learners in {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    root = Site.objects.get(is_default_site=True).root_page.specific
    index = MentorIndexPage(title="Mentors", slug="mentors")
    root.add_child(instance=index)
    mentor_taste: dict[int, list] = {}
    with transaction.atomic():
        for n, mentor in enumerate(mentors):
            chosen = taste()
            mentor_taste[mentor.pk] = chosen
            page = MentorPage(
                title=mentor.display_name,
                slug=f"mentor-{n}",
                user=mentor,
                headline=f"Teaches {', '.join(s.name for s in chosen)}",
                bio=bio_from_text(f"I teach {' and '.join(s.name for s in chosen)} to beginners and experts."),
                languages=["en"],
                hourly_rate_minor=rng.randrange(1500, 9000, 500),
                currency="USD",
                live=True,
                first_published_at=now - timedelta(days=rng.randint(1, 400)),
            )
            page.skills = chosen
            index.add_child(instance=page)
    print(f"  {n_mentors} mentor pages in {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    step = timedelta(minutes=70)  # sessions never overlap, so one learner's bookings never do either
    with transaction.atomic():
        future = Session.objects.bulk_create(
            [
                Session(
                    mentor=(m := rng.choice(mentors)),
                    title=f"Workshop {n}",
                    description=f"Hands-on {' '.join(s.name for s in mentor_taste[m.pk])} practice",
                    starts_at=now + timedelta(days=1) + n * step,
                    ends_at=now + timedelta(days=1) + n * step + timedelta(hours=1),
                    capacity=rng.choice([1, 5, 10, 20]),
                    price_minor=rng.randrange(0, 5000, 500),
                    currency="USD",
                )
                for n in range(n_sessions)
            ]
        )
        past = Session.objects.bulk_create(
            [
                Session(
                    mentor=(m := rng.choice(mentors)),
                    title=f"Past workshop {n}",
                    description=f"{' '.join(s.name for s in mentor_taste[m.pk])} session",
                    starts_at=now - timedelta(days=2) - n * step,
                    ends_at=now - timedelta(days=2) - n * step + timedelta(hours=1),
                    capacity=20,
                    status=Session.COMPLETED,
                    currency="USD",
                )
                for n in range(n_past)
            ]
        )
        sthrough = Session.skills.through
        sthrough.objects.bulk_create(
            [sthrough(session_id=s.pk, skill_id=k.pk) for s in [*future, *past] for k in mentor_taste[s.mentor_id][:2]]
        )
    print(f"  {len(future)} upcoming and {len(past)} past sessions in {time.perf_counter() - t0:.1f} s", flush=True)

    t0 = time.perf_counter()
    popular_past = sorted(past, key=lambda s: rng.paretovariate(1.2), reverse=True)
    by_skill_past: dict[int, list] = {}
    for s in past:
        for k in mentor_taste[s.mentor_id][:2]:
            by_skill_past.setdefault(k.pk, []).append(s)
    bookings, reviews_for, events = [], [], []
    seats: dict[int, int] = {}
    for uid, chosen in learner_taste.items():
        count = min(int(rng.expovariate(1 / 4)), 60)
        picked: set[int] = set()
        for _ in range(count):
            pool = by_skill_past.get(rng.choice(chosen).pk) if rng.random() < 0.7 else None
            session = rng.choice(pool) if pool else popular_past[int(rng.paretovariate(1.1)) % len(popular_past)]
            if session.pk in picked:
                continue
            picked.add(session.pk)
            bookings.append(
                Booking(
                    session=session,
                    learner_id=uid,
                    status=Booking.COMPLETED,
                    starts_at=session.starts_at,
                    ends_at=session.ends_at,
                    currency="USD",
                    created_at=session.starts_at - timedelta(days=rng.randint(1, 20)),
                )
            )
        if rng.random() < 0.3:
            session = rng.choice(future)
            if seats.get(session.pk, 0) < session.capacity - 1:
                seats[session.pk] = seats.get(session.pk, 0) + 1
                bookings.append(
                    Booking(
                        session=session,
                        learner_id=uid,
                        status=Booking.CONFIRMED,
                        starts_at=session.starts_at,
                        ends_at=session.ends_at,
                        currency="USD",
                        created_at=now - timedelta(days=rng.randint(0, 10)),
                    )
                )
        for _ in range(rng.randint(3, 17)):
            if rng.random() < 0.5:
                item = f"mentor:{rng.choice(mentors).pk}"
            else:
                item = f"session:{rng.choice(future).pk}"
            kind = rng.choice([RecommendationEvent.CLICK, RecommendationEvent.VIEW, RecommendationEvent.VIEW])
            events.append(
                RecommendationEvent(
                    user_id=uid, item=item, kind=kind, created_at=now - timedelta(hours=rng.randint(1, 24 * 60))
                )
            )
    with transaction.atomic():
        made = Booking.objects.bulk_create(bookings, batch_size=2000)
        reviews_for = [b for b in made if b.status == Booking.COMPLETED and rng.random() < 0.5]
        Review.objects.bulk_create(
            [
                Review(
                    booking=b,
                    learner_id=b.learner_id,
                    mentor_id=b.session.mentor_id,
                    rating=rng.choice([3, 4, 4, 5, 5, 5]),
                    status=Review.APPROVED,
                    created=b.ends_at + timedelta(hours=2),
                )
                for b in reviews_for
            ],
            batch_size=2000,
        )
        RecommendationEvent.objects.bulk_create(events, batch_size=5000)
    print(
        f"  {len(made)} bookings, {len(reviews_for)} reviews, {len(events)} clicks/views"
        f" in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )
    return list(learner_taste)


# --- measuring ------------------------------------------------------------------------------


def fit() -> dict:
    from core.recommendations import store
    from core.recommendations.models import RecommenderModel

    t0 = time.perf_counter()
    outcomes = store.refit()
    total = time.perf_counter() - t0
    for o in outcomes:
        state = f"{o.seconds:7.2f} s" if o.ok else f"FAILED {o.error}"
        print(f"  fit {o.key:<14} {state}")
    sizes = {r.key: r.size_bytes for r in RecommenderModel.objects.all()}
    tracemalloc.start()
    store.forget_loaded()
    before = tracemalloc.get_traced_memory()[0]
    loaded = store.loaded(_site_id())
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    print(f"  fit total {total:.1f} s; stored models {sum(sizes.values()) / 1e6:.1f} MB {sizes}")
    print(f"  loaded {len(loaded)} models: {(after - before) / 1e6:.1f} MB of Python/numpy memory")
    return {"fit_seconds": total, "stored_bytes": sizes, "loaded_bytes": after - before}


def _site_id() -> int:
    from core.plugins.config import default_site_id

    return default_site_id()


def in_process(learners: list[int], requests: int, seed: int) -> dict[str, float]:
    from core.accounts.models import User
    from core.recommendations import services

    rng = random.Random(seed + 1)
    site_id = _site_id()
    users = {u.pk: u for u in User.objects.filter(pk__in=rng.sample(learners, min(len(learners), requests)))}
    ids = list(users)
    for uid in ids[:20]:  # warm-up: models loaded, candidates and free-time caches filled
        services.recommend(users[uid], site_id=site_id)
    samples = []
    for n in range(requests):
        user = users[ids[n % len(ids)]]
        t0 = time.perf_counter()
        result = services.recommend(user, site_id=site_id)
        samples.append((time.perf_counter() - t0) * 1000)
        assert result.items, "an empty list is not a measurement"
    return percentiles(samples)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def over_http(learners: list[int], requests: int, seed: int) -> dict[str, float]:
    from rest_framework.authtoken.models import Token

    rng = random.Random(seed + 2)
    tokens = [Token.objects.get_or_create(user_id=uid)[0].key for uid in rng.sample(learners, min(50, len(learners)))]
    port = free_port()
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", "--nothreading", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            if server.poll() is not None:
                raise SystemExit(f"runserver exited: {server.stderr.read().decode()[-2000:]}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("runserver did not start in 90 s")
            time.sleep(0.2)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

        def get(token: str) -> float:
            t0 = time.perf_counter()
            conn.request("GET", "/api/recommendations/", headers={"Authorization": f"Token {token}"})
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - t0) * 1000
            if response.status != 200:
                raise SystemExit(f"HTTP {response.status}: {body[:500]!r}")
            return elapsed

        for token in tokens[:20]:
            get(token)
        samples = [get(tokens[n % len(tokens)]) for n in range(requests)]
        conn.close()
        return percentiles(samples)
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.recommend_latency", description=__doc__.split("\n\n")[0])
    p.add_argument("--learners", type=int, default=10_000)
    p.add_argument("--items", type=int, default=10_000)
    p.add_argument("--requests", type=int, default=500, help="timed in-process requests")
    p.add_argument("--http-requests", type=int, default=300, help="timed HTTP requests (0 skips HTTP)")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--keep", type=Path, help="build the scratch database in this folder and keep it")
    args = p.parse_args(argv)
    if args.learners < 10 or args.items < 10:
        p.error("--learners and --items must be at least 10")
    scratch = str(args.keep) if args.keep else tempfile.mkdtemp(prefix="recommend-latency-")
    os.makedirs(scratch, exist_ok=True)
    where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else f"SQLite in {scratch}"
    print(f"building {args.learners} learners and {args.items} items ({where})...", flush=True)
    setup_django(scratch)
    learners = build(args.learners, args.items, args.seed)
    print("fitting every enabled recommender (store.refit, the Celery task's code)...", flush=True)
    fitted = fit()
    stats = {"fit": fitted, "in_process": in_process(learners, args.requests, args.seed)}
    print(fmt("in-process recommend()", stats["in_process"]) + "   target p95 < 5 ms")
    if args.http_requests:
        stats["http"] = over_http(learners, args.http_requests, args.seed)
        print(fmt("HTTP /api/recommendations/", stats["http"]) + "   target p95 < 30 ms")
    return stats


if __name__ == "__main__":
    main()
