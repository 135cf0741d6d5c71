"""Demo catalogue: the mentor index, one published page per demo mentor, topics and the skills directory.

Idempotent: pages are found by slug (or by mentor) and only created when missing. Reviews are
seeded later, after scheduling's demo made completed bookings (``core.catalogue.demo_reviews``).
"""

from __future__ import annotations

import random
from typing import Any

from core.taxonomy.models import Skill

from .models import ExchangeRate, MentorIndexPage, MentorPage, SkillsDirectoryPage, TopicPage
from .profiles import _unique_slug, assign_workflow, bio_from_text

# (currency, hourly rates in minor units to pick from): several currencies and exponents.
RATES: list[tuple[str, list[int]]] = [
    ("USD", [2500, 3000, 4000, 4500, 6000]),
    ("EUR", [2000, 3500, 4000, 5500]),
    ("INR", [80000, 120000, 150000, 200000]),
    ("GBP", [2500, 3000, 4500]),
    ("JPY", [3000, 4500, 6000]),
]

HEADLINES = [
    "{a} and {b}, explained by someone who uses them every day",
    "Practical {a} for beginners and improvers",
    "{a} coaching: from first steps to confident work",
    "Learn {a} with {b} on the side",
    "Patient, structured {a} lessons",
]

EXTRA_PARAGRAPHS = [
    "Sessions are hands-on: bring a question, a project or a piece you are stuck on and we work on it together.",
    "I plan each session around your goal and send a short summary with next steps afterwards.",
    "Beginners are very welcome. I also help experienced learners polish the details.",
]

TOPICS: list[tuple[str, str, list[str], str]] = [
    ("Programming", "programming", ["Programming"], "Write software with mentors who ship it for a living."),
    ("Data and machine learning", "data", ["Data", "Maths"], "Analysis, statistics, models and the maths below."),
    ("Languages", "languages", ["Languages"], "Conversation practice and structured lessons in other languages."),
    ("Music", "music", ["Music"], "Instruments and theory, one to one or in small groups."),
    ("Career", "career", ["Career", "Design"], "Interviews, speaking, product work and freelancing."),
]


def seed_index(home: Any) -> MentorIndexPage:
    index = MentorIndexPage.objects.filter(slug="mentors").first()
    if index is None:
        index = MentorIndexPage(
            title="Mentors",
            slug="mentors",
            intro="Search by skill, language, price, rating and free time; every mentor page shows the "
            "mentor's own hours in your time zone.",
            show_in_menus=True,
        )
        home.add_child(instance=index)
        index.save_revision().publish()
    assign_workflow(index)
    return index


def seed_mentor_pages(index: MentorIndexPage, mentors: list[Any]) -> int:
    rng = random.Random(4711)  # the same prices and headlines on every run
    created = 0
    for position, mentor in enumerate(mentors):
        currency, rates = RATES[position % len(RATES)]
        rate = rng.choice(rates)
        headline_template = rng.choice(HEADLINES)
        extra = rng.choice(EXTRA_PARAGRAPHS)
        if MentorPage.objects.filter(user=mentor).exists():
            continue
        skills = list(mentor.skills.all())
        names = [skill.name for skill in skills] or ["Mentoring", "Study skills"]
        page = MentorPage(
            title=mentor.display_name,
            slug=_unique_slug(index, mentor.display_name),
            user=mentor,
            owner=mentor,
            headline=headline_template.format(a=names[0], b=names[1] if len(names) > 1 else names[0])[:140],
            bio=bio_from_text(f"{mentor.bio}\n\n{extra}" if mentor.bio else extra),
            languages=list(mentor.languages or ["en"]),
            hourly_rate_minor=rate,
            currency=currency,
        )
        page.skills = skills
        index.add_child(instance=page)
        page.save_revision(user=mentor).publish()
        created += 1
    return created


def seed_topics(home: Any) -> int:
    created = 0
    for title, slug, categories, intro in TOPICS:
        if TopicPage.objects.filter(slug=slug).exists():
            continue
        topic = TopicPage(title=title, slug=slug, intro=intro, show_in_menus=True)
        topic.skills = list(Skill.objects.filter(category__in=categories))
        home.add_child(instance=topic)
        topic.save_revision().publish()
        created += 1
    return created


def seed_directory(home: Any) -> None:
    if not SkillsDirectoryPage.objects.exists():
        directory = SkillsDirectoryPage(
            title="Skills", slug="skills", intro="Everything PeerLearn mentors teach, by subject.", show_in_menus=True
        )
        home.add_child(instance=directory)
        directory.save_revision().publish()


# Units of each demo currency per US dollar (the default reference currency), as editors would enter them.
DEMO_RATES: dict[str, str] = {"EUR": "0.92", "GBP": "0.79", "INR": "84.10", "JPY": "150"}


def seed_exchange_rates() -> int:
    """Rates for the demo's currencies (against the reference), so the price filter compares them all."""
    from decimal import Decimal

    from .models import default_currency

    created = 0
    for code, value in DEMO_RATES.items():
        if code == default_currency():
            continue
        _, made = ExchangeRate.objects.get_or_create(currency=code, defaults={"per_reference": Decimal(value)})
        created += made
    return created


def seed(context: Any) -> None:
    seed_exchange_rates()
    index = seed_index(context.home)
    seed_mentor_pages(index, context.mentors)
    seed_topics(context.home)
    seed_directory(context.home)
    context.report.counts["mentor pages"] = MentorPage.objects.live().count()
    context.report.counts["topic pages"] = TopicPage.objects.live().count()
    context.report.counts["exchange rates"] = ExchangeRate.objects.count()
