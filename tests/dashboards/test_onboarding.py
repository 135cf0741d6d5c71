"""Onboarding checklists: a new mentor is led to their public page, hours and first session; a new learner
to interests and a first booking; each checklist disappears once everything is done."""

from __future__ import annotations

from datetime import time

import pytest
from wagtail.models import WorkflowState

from core.dashboards.onboarding import DONE, TODO, WAITING, learner_checklist, mentor_checklist
from tests.catalogue.conftest import mentor_index, moderator, site_root, skills  # noqa: F401

pytestmark = pytest.mark.django_db


def states(checklist) -> dict[str, str]:
    return {step.key: step.state for step in checklist.steps}


@pytest.fixture
def new_mentor(user_factory):
    return user_factory(display_name="Nia New", is_mentor=True, is_learner=False, time_zone="Europe/Paris")


def submit_page(mentor, skills):  # noqa: F811
    from core.catalogue.profiles import submit_profile

    return submit_profile(
        mentor,
        headline="Python for beginners",
        bio_text="I teach Python.",
        skills=[skills["python"]],
        languages=["en"],
        hourly_rate_minor=3000,
        currency="EUR",
    )


def test_new_mentor_is_led_step_by_step_until_the_checklist_disappears(
    client,
    new_mentor,
    mentor_index,  # noqa: F811
    skills,  # noqa: F811
    moderator,  # noqa: F811
    make_session,
):
    from core.scheduling.models import WeeklyRule

    checklist = mentor_checklist(new_mentor)
    assert states(checklist) == {"profile": TODO, "availability": TODO, "first_session": TODO}
    client.force_login(new_mentor)
    page = client.get("/dashboard/mentor/").content.decode()
    assert 'data-checklist="mentor"' in page and 'href="/mentor/profile/edit/"' in page
    assert "Create your page" in page
    # the learner dashboard (where a new account lands) shows the mentor's steps too
    assert 'data-checklist="mentor"' in client.get("/dashboard/").content.decode()

    mentor_page = submit_page(new_mentor, skills)
    assert states(mentor_checklist(new_mentor))["profile"] == WAITING
    assert "waiting for approval" in client.get("/dashboard/mentor/").content.decode()

    WeeklyRule.objects.create(mentor=new_mentor, weekday=0, start_time=time(9), end_time=time(12))
    make_session(new_mentor, title="Python clinic", capacity=3)
    assert states(mentor_checklist(new_mentor)) == {"profile": WAITING, "availability": DONE, "first_session": DONE}

    state = WorkflowState.objects.active().get(object_id=str(mentor_page.pk))
    state.current_task_state.specific.approve(user=moderator)
    assert mentor_checklist(new_mentor) is None
    page = client.get("/dashboard/mentor/").content.decode()
    assert "data-checklist" not in page
    assert 'href="/mentor/profile/edit/"' in page  # the page stays one click away


def test_changes_requested_are_shown_with_the_editors_comment(
    new_mentor,
    mentor_index,  # noqa: F811
    skills,  # noqa: F811
    moderator,  # noqa: F811
):
    page = submit_page(new_mentor, skills)
    state = WorkflowState.objects.active().get(object_id=str(page.pk))
    state.current_task_state.specific.reject(user=moderator, comment="Please add a photo.")
    step = mentor_checklist(new_mentor).steps[0]
    assert step.state == TODO and "asked for changes" in step.title and step.text == "Please add a photo."


def test_learner_checklist_interests_then_first_booking(client, learner, mentor, make_session, skills):  # noqa: F811
    from core.scheduling.models import Booking

    checklist = learner_checklist(learner)
    assert states(checklist) == {"interests": TODO, "first_booking": TODO}
    client.force_login(learner)
    page = client.get("/dashboard/").content.decode()
    assert 'data-checklist="learner"' in page and "Choose interests" in page
    assert 'data-checklist="mentor"' not in page  # not a mentor: no mentor steps

    learner.interests.add(skills["python"])
    assert states(learner_checklist(learner)) == {"interests": DONE, "first_booking": TODO}
    session = make_session(mentor)
    Booking.objects.create(
        session=session,
        learner=learner,
        status=Booking.CONFIRMED,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        price_minor=0,
        currency="EUR",
    )
    assert learner_checklist(learner) is None
    assert "data-checklist" not in client.get("/dashboard/").content.decode()


def test_completed_booking_on_the_dashboard_invites_a_rating(client, learner, mentor, make_session):
    from core.catalogue.reviews import submit_review
    from core.scheduling.models import Booking, Session

    session = make_session(mentor)
    Session.objects.filter(pk=session.pk).update(status=Session.COMPLETED)
    booking = Booking.objects.create(
        session=session,
        learner=learner,
        status=Booking.COMPLETED,
        starts_at=session.starts_at,
        ends_at=session.ends_at,
        price_minor=0,
        currency="EUR",
    )
    client.force_login(learner)
    page = client.get("/dashboard/").content.decode()
    assert f'href="/reviews/new/{booking.pk}/"' in page and "Rate this session" in page
    submit_review(learner, booking.pk, 5, "Great")
    assert "Rate this session" not in client.get("/dashboard/").content.decode()


def test_navigation_reaches_reviews_recommendations_topics_and_the_mentor_page(client, new_mentor):
    client.force_login(new_mentor)
    html = client.get("/dashboard/").content.decode()
    for href in ('href="/reviews/"', 'href="/recommendations/"', 'href="/skills/"', 'href="/mentor/profile/edit/"'):
        assert href in html, href
