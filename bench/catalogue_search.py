"""Mentor search latency: the catalogue's API and search page over a catalogue of N mentors.

    python -m bench.catalogue_search [--mentors 500] [--repeat 30]

Runs on ``DATABASE_URL`` when it is set (PostgreSQL: Wagtail's database search backend then uses
PostgreSQL full-text search), else on a fresh SQLite file in a temporary folder. It adds N
synthetic mentors with published pages (reused on a second run against the same database), a
weekly availability for a third of them, then times sequential requests through Django's test
client (no network, no server): p50/p95 per query. ``free_within_days`` computes availability
for every mentor that passes the other filters, so it is the one that grows with N.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

QUERIES = [
    ("/api/mentors/", "all, first page"),
    ("/api/mentors/?q=python", "text"),
    ("/api/mentors/?q=pyth", "text prefix fallback"),
    ("/api/mentors/?skill=python", "one skill"),
    ("/api/mentors/?skill=python&language=en&min_price=20&max_price=60&min_rating=3", "combined filters"),
    ("/api/mentors/?q=guitar&max_price=50", "text + price"),
    ("/api/mentors/?free_within_days=7", "free in 7 days"),
    ("/mentors/?skill=python", "HTML search page"),
]


def setup_django() -> str:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerlearn.settings.test")
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(tempfile.mkdtemp(prefix="bench-catalogue-")) / "db.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from django.db import connection

    return connection.vendor


def build(n: int) -> None:
    from datetime import time as wall

    from core.accounts.models import User
    from core.catalogue.models import MentorPage
    from core.catalogue.profiles import bio_from_text, get_or_create_mentor_index
    from core.scheduling.models import WeeklyRule
    from core.taxonomy.models import Skill

    rng = random.Random(7)
    names = ["Python", "Django", "Guitar", "Spanish", "Calculus", "SQL", "Piano", "French", "Statistics", "Figma"]
    skills = [Skill.objects.get_or_create(name=name, defaults={"category": "Bench"})[0] for name in names]
    index = get_or_create_mentor_index()
    existing = set(MentorPage.objects.values_list("user__email", flat=True))
    for i in range(n):
        email = f"bench-mentor-{i}@bench.local"
        if email in existing:
            continue
        user = User.objects.create_user(
            email=email, display_name=f"Bench Mentor {i}", is_mentor=True, time_zone="Europe/London"
        )
        picked = rng.sample(skills, 3)
        page = MentorPage(
            title=user.display_name,
            slug=f"bench-mentor-{i}",
            user=user,
            headline=f"{picked[0].name} and {picked[1].name} lessons",
            bio=bio_from_text(f"I teach {picked[0].name}, {picked[1].name} and {picked[2].name}. " * 3),
            languages=rng.sample(["en", "es", "fr", "hi", "de"], 2),
            hourly_rate_minor=rng.randrange(1000, 9000, 50),
            currency=rng.choice(["USD", "EUR", "GBP"]),
            rating_average=round(rng.uniform(2.5, 5), 2),
            rating_count=rng.randrange(0, 40),
        )
        page.skills = picked
        index.add_child(instance=page)
        page.save_revision().publish()
        if i % 3 == 0:
            WeeklyRule.objects.bulk_create(
                WeeklyRule(mentor=user, weekday=d, start_time=wall(9), end_time=wall(17)) for d in range(5)
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mentors", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    vendor = setup_django()
    t0 = time.perf_counter()
    build(args.mentors)
    from django.test import Client

    from core.catalogue.models import MentorPage

    client = Client()
    print(
        f"database: {vendor}; mentors: {MentorPage.objects.live().count()}; built in {time.perf_counter() - t0:.1f} s"
    )
    print(f"{'query':<22} {'results':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for url, label in QUERIES:
        client.get(url)  # warm caches and renditions
        timings = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            response = client.get(url)
            timings.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        count = response.json()["count"] if url.startswith("/api/") else "-"
        timings.sort()
        p95 = timings[max(0, int(len(timings) * 0.95) - 1)]
        print(f"{label:<22} {count!s:>7} {statistics.median(timings):>8.1f} {p95:>8.1f}")


if __name__ == "__main__":
    main()
