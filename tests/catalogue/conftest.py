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
