"""Idempotent demo seeding, one function per concern; later apps add theirs."""

from __future__ import annotations

import importlib
import random
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from wagtail.models import Page, Site

from core.accounts.models import User
from core.pages.models import ContentPage, HomePage
from core.taxonomy.models import Skill

from . import data
from .site_pages import SITE_PAGES

DEMO_PASSWORD = "peerlearn-demo"

# Apps that add demo content provide ``<app>.demo.seed(context: SeedContext)``; called in this order.
APP_SEEDERS = [
    "core.catalogue.demo",
    "core.scheduling.demo",
    "core.catalogue.demo_reviews",  # needs scheduling's completed bookings
    "core.payments.demo",
    "core.recommendations.demo",
    "core.rooms.demo",
    "core.intake.demo",  # after the others, so only its own request waits for approval
    "core.analytics.demo",  # last: backfills the event log from everything above, then fits
]


@dataclass
class SeedReport:
    admin_email: str = ""
    admin_password: str = ""
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class SeedContext:
    """What the base seeding made, handed to each app's seeder (which adds counts)."""

    skills: list[Skill]
    mentors: list[User]
    learners: list[User]
    home: HomePage
    report: SeedReport


def seed_skills() -> list[Skill]:
    skills = []
    for category, names in data.SKILLS.items():
        for name in names:
            skill, _ = Skill.objects.update_or_create(name=name, defaults={"category": category})
            skills.append(skill)
    return skills


def _verified(user: User) -> None:
    EmailAddress.objects.update_or_create(user=user, email=user.email, defaults={"verified": True, "primary": True})


def seed_admin(email: str, password: str) -> User:
    admin = User.objects.filter(email=email).first()
    if admin is None:
        admin = User.objects.create_superuser(email=email, password=password, display_name="Site admin")
    else:
        admin.is_staff = admin.is_superuser = True
        admin.set_password(password)
        admin.save()
    _verified(admin)
    return admin


def seed_people(skills: list[Skill], mentors: int, learners: int) -> tuple[list[User], list[User]]:
    rng = random.Random(20261125)  # the same people on every run
    names = [(f, last) for f in data.FIRST_NAMES for last in data.LAST_NAMES]
    rng.shuffle(names)
    created: dict[str, list[User]] = {"mentor": [], "learner": []}
    password_hash = make_password(DEMO_PASSWORD)  # hashing once keeps seeding fast
    for role, count, offset in (("mentor", mentors, 0), ("learner", learners, mentors)):
        for index in range(count):
            first, last = names[offset + index]
            email = f"{role}{index + 1}@demo.peerlearn.local"
            user = User.objects.filter(email=email).first() or User(email=email)
            user.display_name = f"{first} {last}"
            user.time_zone = data.TIME_ZONES[(index + offset) % len(data.TIME_ZONES)]
            user.languages = data.LANGUAGES[index % len(data.LANGUAGES)]
            user.is_mentor = role == "mentor"
            user.is_learner = role == "learner" or index % 4 == 0  # some mentors learn too
            picked = rng.sample(skills, 3)
            if role == "mentor":
                user.bio = rng.choice(data.BIO_TEMPLATES).format(
                    a=picked[0].name, b=picked[1].name, years=rng.randint(3, 15)
                )
            user.password = password_hash
            user.save()
            _verified(user)
            if role == "mentor":
                user.skills.set(picked)
            user.interests.set(rng.sample(skills, rng.randint(2, 4)))
            created[role].append(user)
    return created["mentor"], created["learner"]


def seed_pages() -> HomePage:
    root = Page.get_first_root_node()
    home = HomePage.objects.first()
    if home is None:
        home = HomePage(
            title="Home",
            slug="home",
            hero_title="Learn from people who have done it.",
            hero_text="Book a live session with a mentor who knows the skill you want: "
            "one to one or in a small group, in your time zone, right in the browser.",
            hero_cta_label="Create your free account",
            hero_cta_url="/accounts/signup/",
            body=[
                (
                    "features",
                    [
                        {"title": "Find the right mentor", "text": "Search by skill, language, price and free time."},
                        {
                            "title": "Book a time that is really free",
                            "text": "Times shown in your own zone; no double booking.",
                        },
                        {"title": "Meet in the browser", "text": "Video, chat and screen share: nothing to install."},
                    ],
                ),
                (
                    "call_to_action",
                    {
                        "title": "Know something worth sharing?",
                        "text": "Become a mentor: set your price and your hours.",
                        "button_label": "Become a mentor",
                        "button_url": "/accounts/signup/",
                    },
                ),
            ],
        )
        # Wagtail's install puts a welcome page under the root: the home page replaces it.
        old_home = Page.objects.filter(depth=2, slug="home").exclude(id__in=HomePage.objects.all()).first()
        if old_home is not None:
            old_home.slug = "welcome-old"
            old_home.save()
        root.add_child(instance=home)
        home.save_revision().publish()
        if old_home is not None:
            Site.objects.filter(root_page=old_home).update(root_page=home)
            old_home.delete()
    # The Wagtail site answers at the public address (PEERLEARN_BASE_URL) under its own name.
    public = urlsplit(settings.PEERLEARN_BASE_URL)
    address = {
        "hostname": public.hostname or "localhost",
        "port": public.port or (443 if public.scheme == "https" else 80),
        "site_name": "PeerLearn",
        "root_page": home,
    }
    site = Site.objects.filter(is_default_site=True).first()
    if site is None:
        Site.objects.create(is_default_site=True, **address)
    elif any(getattr(site, key) != value for key, value in address.items()):
        for key, value in address.items():
            setattr(site, key, value)
        site.save()
    seed_site_pages(home)
    return home


def seed_site_pages(home: HomePage) -> None:
    """How it works and About: created when missing, filled when their body is still empty."""
    for spec in SITE_PAGES:
        page = ContentPage.objects.filter(slug=spec["slug"]).first()
        if page is None:
            page = ContentPage(title=spec["title"], slug=spec["slug"], show_in_menus=True)
            home.add_child(instance=page)
        elif page.body:
            continue  # an editor's content stays as it is
        page.intro = page.intro or spec["intro"]
        page.body = spec["body"]
        page.save_revision().publish()


@transaction.atomic
def seed_all(admin_email: str, admin_password: str, mentors: int = 30, learners: int = 30) -> SeedReport:
    skills = seed_skills()
    seed_admin(admin_email, admin_password)
    mentor_users, learner_users = seed_people(skills, mentors, learners)
    home = seed_pages()
    report = SeedReport(
        admin_email=admin_email,
        admin_password=admin_password,
        counts={"skills": len(skills), "mentors": len(mentor_users), "learners": len(learner_users)},
    )
    context = SeedContext(skills=skills, mentors=mentor_users, learners=learner_users, home=home, report=report)
    for module_name in APP_SEEDERS:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.seed(context)
    return report
