"""The scheduling demo: availability in several zones, group sessions, bookings in every state, idempotent."""

from __future__ import annotations

import pytest

from core.scheduling.models import Booking, Session, WaitlistEntry, WeeklyRule

pytestmark = pytest.mark.django_db


def test_seed_makes_every_booking_state_and_is_idempotent():
    from core.demo.seed import SeedContext, SeedReport, seed_people, seed_skills
    from core.scheduling import demo

    skills = seed_skills()
    mentors, learners = seed_people(skills, mentors=8, learners=10)
    context = SeedContext(skills=skills, mentors=mentors, learners=learners, home=None, report=SeedReport())
    demo.seed(context)
    first = (Session.objects.count(), Booking.objects.count(), WeeklyRule.objects.count())
    states = set(Booking.objects.values_list("status", flat=True))
    approval_states = {Booking.PENDING_APPROVAL, Booking.DECLINED}  # core.intake's demo makes these
    assert states == {value for value, _ in Booking.STATUS_CHOICES} - approval_states
    assert Session.objects.filter(capacity__gt=1).exists()
    assert WaitlistEntry.objects.exists()
    zones = {m.time_zone for m in mentors if WeeklyRule.objects.filter(mentor=m).exists()}
    assert len(zones) >= 4
    demo.seed(context)
    assert (Session.objects.count(), Booking.objects.count(), WeeklyRule.objects.count()) == first
    assert context.report.counts["mentors with availability"] == 8


def test_group_sessions_teach_the_mentors_own_skills_in_their_own_currency():
    """A data-analysis mentor does not run a JavaScript workshop priced in another currency."""
    from core.catalogue import demo as catalogue_demo
    from core.catalogue.models import MentorPage
    from core.demo.seed import SeedContext, SeedReport, seed_pages, seed_people, seed_skills
    from core.scheduling import demo

    skills = seed_skills()
    mentors, learners = seed_people(skills, mentors=8, learners=10)
    context = SeedContext(skills=skills, mentors=mentors, learners=learners, home=seed_pages(), report=SeedReport())
    catalogue_demo.seed(context)
    demo.seed(context)
    groups = Session.objects.filter(capacity__gt=1, origin=Session.PUBLISHED).select_related("mentor")
    assert groups.count() >= 8
    for session in groups:
        page = MentorPage.objects.get(user=session.mentor)
        assert set(session.skills.all()) <= set(session.mentor.skills.all()), session.title
        assert session.currency == page.currency, session.title
        assert session.price_minor < page.hourly_rate_minor * session.duration_minutes / 60
