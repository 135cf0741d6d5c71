"""A small platform: skills, mentors with pages and free time, sessions, learners, bookings."""

from __future__ import annotations

import importlib
import sys
from datetime import time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone

FIXTURE_DIST = Path(__file__).parent / "fixture_dist"


@pytest.fixture(autouse=True)
def _fresh_models(settings, tmp_path):
    """Each test stores its fitted models in its own folder and loads them afresh."""
    from core.recommendations import sources, store

    settings.MEDIA_ROOT = str(tmp_path / "media")
    store.forget_loaded()
    sources.forget_memo()
    yield
    store.forget_loaded()
    sources.forget_memo()


@pytest.fixture
def skills(db):
    from core.taxonomy.models import Skill

    names = [("Python", "Programming"), ("Django", "Programming"), ("Pandas", "Programming"), ("Guitar", "Music")]
    return {name.lower(): Skill.objects.create(name=name, category=category) for name, category in names}


@pytest.fixture
def mentor_index(db):
    from wagtail.models import Site

    from core.catalogue.models import MentorIndexPage

    root = Site.objects.get(is_default_site=True).root_page.specific
    index = MentorIndexPage(title="Mentors", slug="mentors")
    root.add_child(instance=index)
    index.save_revision().publish()
    return index


@pytest.fixture
def make_mentor(mentor_index, user_factory):
    """A mentor with a published page; ``free=False`` gives them no weekly hours."""
    from core.catalogue.models import MentorPage
    from core.catalogue.profiles import bio_from_text
    from core.scheduling.models import SchedulingProfile, WeeklyRule

    def make(name, *, skills=(), bio="", free=True, published_days_ago=200, user=None, **user_fields):
        user = user or user_factory(display_name=name, is_mentor=True, **user_fields)
        if not user.is_mentor:
            user.is_mentor = True
            user.save(update_fields=["is_mentor"])
        page = MentorPage(
            title=name,
            slug=name.lower().replace(" ", "-"),
            user=user,
            headline=f"{name} teaches {', '.join(s.name for s in skills)}",
            bio=bio_from_text(bio or f"Hello, I am {name}."),
            languages=["en"],
            hourly_rate_minor=3000,
            currency="USD",
        )
        page.skills = list(skills)
        mentor_index.add_child(instance=page)
        page.save_revision(user=user).publish()
        MentorPage.objects.filter(pk=page.pk).update(
            first_published_at=timezone.now() - timedelta(days=published_days_ago)
        )
        if free:
            SchedulingProfile.objects.create(mentor=user, min_notice_minutes=0, horizon_days=60)
            for day in range(7):
                WeeklyRule.objects.create(mentor=user, weekday=day, start_time=time(0, 0), end_time=time(0, 0))
        return user

    return make


@pytest.fixture
def make_session():
    from core.scheduling.models import Session

    def make(mentor, title="Workshop", *, skills=(), in_hours=72, capacity=5, **extra):
        start = timezone.now() + timedelta(hours=in_hours)
        session = Session.objects.create(
            mentor=mentor,
            title=title,
            description=extra.pop("description", f"{title} for everyone"),
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=capacity,
            price_minor=extra.pop("price_minor", 0),
            currency="USD",
            **extra,
        )
        session.skills.set(skills)
        return session

    return make


@pytest.fixture
def make_booking():
    from core.scheduling.models import Booking

    def make(session, learner, status="confirmed"):
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
def platform(skills, make_mentor, make_session, make_booking, user_factory):
    """Ada (Python, Django), Bo (Python, Pandas), Cy (Guitar, no free time), Di (Guitar, new)."""
    ada = make_mentor("Ada Lovelace", skills=[skills["python"], skills["django"]], bio="Django web apps in Python")
    bo = make_mentor("Bo Pandas", skills=[skills["python"], skills["pandas"]], bio="Data analysis with pandas")
    cy = make_mentor("Cy Strings", skills=[skills["guitar"]], free=False)
    di = make_mentor("Di Chords", skills=[skills["guitar"]], published_days_ago=3)
    past = make_session(ada, "Intro to Django", skills=[skills["django"]], in_hours=-72, status="completed")
    full = make_session(bo, "Pandas clinic", skills=[skills["pandas"]], capacity=1)
    group = make_session(ada, "Django forms", skills=[skills["django"]], capacity=10)
    learners = [user_factory(display_name=f"Learner {n}") for n in range(4)]
    for person in learners[:3]:
        make_booking(past, person, status="completed")
    make_booking(full, learners[0])
    make_booking(group, learners[1])
    newcomer = user_factory(display_name="Newcomer")
    newcomer.interests.set([skills["python"], skills["django"]])
    return {
        "ada": ada,
        "bo": bo,
        "cy": cy,
        "di": di,
        "past": past,
        "full": full,
        "group": group,
        "learners": learners,
        "newcomer": newcomer,
    }


@pytest.fixture
def fitted(platform):
    """The platform with every enabled recommender fitted, blended by the built-in families only.

    Families that installed third-party plugins declare weigh 0 here, so the
    expectations about the built-in blend hold whatever else is installed
    (tests of declared families set their weights themselves).
    """
    from wagtail.models import Site

    from core.recommendations import families, store
    from core.recommendations.models import RecommendationSettings

    outcomes = store.refit()
    assert outcomes and all(o.ok for o in outcomes), outcomes
    declared = families.declared(enabled_only=False)
    if declared:
        conf = RecommendationSettings.for_site(Site.objects.get(is_default_site=True))
        conf.family_weights = {**conf.family_weights, **{f.name: 0.0 for f in declared}}
        conf.save()
    return platform


@pytest.fixture
def broken_plugins(db, settings):
    """Install a distribution whose recommenders raise or hang while scoring."""
    from core.plugins.manager import reset_manager
    from tests.recommendations import broken_plugins

    settings.PEERLEARN_RECOMMENDATIONS = {"SCORE_BUDGET": 0.3}
    broken_plugins.release.clear()
    sys.path.insert(0, str(FIXTURE_DIST))
    importlib.invalidate_caches()
    reset_manager()
    yield
    broken_plugins.release.set()
    sys.path.remove(str(FIXTURE_DIST))
    importlib.invalidate_caches()
    reset_manager()
