"""Catalogue fixtures: a site with a mentor index, skills and published mentor pages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from wagtail.models import Site

from core.catalogue.models import MentorIndexPage, MentorPage
from core.catalogue.profiles import assign_workflow, bio_from_text
from core.taxonomy.models import Skill


@pytest.fixture
def skills(db) -> dict[str, Skill]:
    rows = [
        ("Python", "Programming"),
        ("Django", "Programming"),
        ("Guitar", "Music"),
        ("Spanish", "Languages"),
        ("Calculus", "Maths"),
    ]
    return {name.lower(): Skill.objects.create(name=name, category=category) for name, category in rows}


@pytest.fixture
def site_root(db):
    return Site.objects.get(is_default_site=True).root_page.specific


@pytest.fixture
def mentor_index(site_root) -> MentorIndexPage:
    index = MentorIndexPage(title="Mentors", slug="mentors", intro="Find your mentor.")
    site_root.add_child(instance=index)
    index.save_revision().publish()
    assign_workflow(index)
    return index


@pytest.fixture
def make_mentor(mentor_index, user_factory):
    """A mentor account with a published page; pass ``live=False`` for a draft page."""

    def make(
        name: str,
        *,
        skills: list[Skill] = (),
        languages: list[str] = ("en",),
        rate: int = 3000,
        currency: str = "USD",
        rating: str = "0",
        rating_count: int = 0,
        headline: str = "",
        bio: str = "",
        live: bool = True,
        **user_fields,
    ) -> MentorPage:
        user = user_factory(display_name=name, is_mentor=True, **user_fields)
        page = MentorPage(
            title=name,
            slug=name.lower().replace(" ", "-"),
            user=user,
            headline=headline or f"{name} teaches",
            bio=bio_from_text(bio or f"Hello, I am {name}."),
            languages=list(languages),
            hourly_rate_minor=rate,
            currency=currency,
            live=live,
        )
        page.skills = list(skills)
        mentor_index.add_child(instance=page)
        revision = page.save_revision(user=user)
        if live:
            revision.publish()
        MentorPage.objects.filter(pk=page.pk).update(rating_average=Decimal(rating), rating_count=rating_count)
        page.refresh_from_db()
        return page

    return make


@pytest.fixture
def moderator(user_factory):
    user = user_factory(display_name="Mo Derator", is_staff=True)
    user.groups.add(Group.objects.get(name="Moderators"))
    return user


@pytest.fixture
def make_session():
    """A session published by a mentor (scheduling's model), starting ``in_hours`` from now."""
    from datetime import timedelta

    from django.utils import timezone

    from core.scheduling.models import Session

    def make(mentor, title="Group session", *, skills=(), in_hours=48, minutes=60, capacity=5, price=0, **extra):
        start = timezone.now() + timedelta(hours=in_hours)
        session = Session.objects.create(
            mentor=mentor,
            title=title,
            starts_at=start,
            ends_at=start + timedelta(minutes=minutes),
            capacity=capacity,
            price_minor=price,
            currency=extra.pop("currency", "USD"),
            **extra,
        )
        session.skills.set(skills)
        return session

    return make


@pytest.fixture
def make_booking(make_session):
    """A booking of a past session in the given state (``completed`` by default)."""
    from core.scheduling.models import Booking, Session

    def make(mentor, learner, *, status="completed", session=None):
        if session is None:
            session = make_session(mentor, "Past session", in_hours=-48, status=Session.COMPLETED)
        return Booking.objects.create(
            session=session,
            learner=learner,
            status=status,
            starts_at=session.starts_at,
            ends_at=session.ends_at,
            price_minor=session.price_minor,
            currency=session.currency,
        )

    return make


@pytest.fixture
def exchange_rates(db) -> dict[str, Decimal]:
    """Editors' rates against the reference currency (USD in the tests): EUR, INR and JPY."""
    from core.catalogue.models import ExchangeRate

    rates = {"EUR": Decimal("0.9"), "INR": Decimal("84"), "JPY": Decimal("150")}
    for code, value in rates.items():
        ExchangeRate.objects.create(currency=code, per_reference=value)
    return rates
