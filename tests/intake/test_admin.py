"""Editors see pending approvals in the Wagtail admin (read-only) with the learners' answers."""

from __future__ import annotations

import pytest

from core.scheduling.services.bookings import book_slot

from .conftest import next_slot

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client, user_factory):
    person = user_factory(is_staff=True, is_superuser=True)
    client.force_login(person)
    return person


def test_pending_approvals_are_listed_with_answers_and_counted_on_the_home(
    client, editor, asking_mentor, learner, good_answers
):
    from core.intake.models import ApprovalRequest

    booking = book_slot(asking_mentor, learner, next_slot(), 60, answers=good_answers)
    request = ApprovalRequest.objects.get(booking=booking)
    listing = client.get("/admin/intake/approvals/?decision=")
    assert listing.status_code == 200
    assert learner.display_name in listing.content.decode()
    inspect = client.get(f"/admin/intake/approvals/inspect/{request.pk}/").content.decode()
    assert "What do you want to learn?: Decorators" in inspect and "Your level: Beginner" in inspect
    answers = client.get("/admin/intake/answers/").content.decode()
    assert "Decorators" in answers
    home = client.get("/admin/").content.decode()
    assert "booking awaits approval" in home
    # read-only: no editing or deleting a decision behind the services' back
    assert client.get(f"/admin/intake/approvals/edit/{request.pk}/").status_code in (302, 403, 404)
    assert client.get("/admin/intake/approvals/add/").status_code in (302, 403, 404)


def test_the_approval_deadline_is_a_site_setting(client, editor):
    page = client.get("/admin/settings/intake/approvalpolicy/")
    if page.status_code == 302:  # Wagtail sends to the default site's form
        page = client.get(page.url)
    assert page.status_code == 200 and "hours to decide" in page.content.decode().lower()
