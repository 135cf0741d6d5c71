"""Mentors edit their page from the site; editors approve in Wagtail; the live page shows the approved version."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from PIL import Image as PILImage
from wagtail.models import WorkflowState

from core.catalogue.models import MentorPage
from core.catalogue.profiles import WORKFLOW_NAME, profile_status

pytestmark = pytest.mark.django_db

EDIT_URL = "/mentor/profile/edit/"


def form_data(skills, **overrides):
    data = {
        "headline": "Python for data people",
        "bio": "First paragraph about me.\n\nSecond <b>paragraph</b>.",
        "skills": [skills["python"].pk, skills["django"].pk],
        "languages": ["en", "fr"],
        "hourly_rate": "45.50",
        "currency": "EUR",
    }
    data.update(overrides)
    return data


def approve_in_admin(client, moderator, page: MentorPage):
    """An editor approves the page's current task through the Wagtail admin's workflow action."""
    state = WorkflowState.objects.active().get(object_id=str(page.pk))
    client.force_login(moderator)
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, "approve", state.current_task_state_id])
    response = client.post(url)
    assert response.status_code in (200, 302), response.content[:500]
    client.logout()


def png_upload(name="me.png"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    buffer = io.BytesIO()
    PILImage.new("RGB", (64, 64), (200, 30, 90)).save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture
def mentor(user_factory):
    return user_factory(display_name="Grace Hopper", is_mentor=True, time_zone="America/New_York")


def test_first_save_creates_a_draft_page_waiting_for_review(client, mentor, mentor_index, skills, moderator):
    client.force_login(mentor)
    response = client.post(EDIT_URL, form_data(skills))
    assert response.status_code == 302

    page = MentorPage.objects.get(user=mentor)
    assert page.get_parent().pk == mentor_index.pk
    assert not page.live
    assert page.current_workflow_state.workflow.name == WORKFLOW_NAME
    assert profile_status(mentor).state == "pending"
    assert client.get("/mentors/?q=Grace").content.decode().count('data-mentor="') == 0

    approve_in_admin(client, moderator, page)
    page.refresh_from_db()
    assert page.live
    assert page.headline == "Python for data people"
    assert (page.hourly_rate_minor, page.currency) == (4550, "EUR")
    assert sorted(s.slug for s in page.skills.all()) == ["django", "python"]
    assert page.languages == ["en", "fr"]
    html = client.get(page.url).content.decode()
    assert "Second &lt;b&gt;paragraph&lt;/b&gt;." in html  # plain text, escaped, never HTML
    assert "America/New_York" in html
    assert profile_status(mentor).state == "live"


def test_edit_of_a_live_page_waits_for_approval(client, make_mentor, skills, moderator):
    page = make_mentor("Ana Silva", headline="Old headline", rate=3000, rating="4.50", rating_count=2)
    client.force_login(page.user)
    response = client.post(EDIT_URL, form_data(skills, headline="New headline", hourly_rate="99"))
    assert response.status_code == 302

    page.refresh_from_db()
    assert page.live and page.headline == "Old headline" and page.hourly_rate_minor == 3000
    public = client.get(page.url).content.decode()
    assert "Old headline" in public and "New headline" not in public

    edit = client.get(EDIT_URL).content.decode()
    assert 'data-status="pending"' in edit and "Pending review" in edit
    assert 'value="New headline"' in edit  # the form starts from the draft
    preview = client.get("/mentor/profile/preview/").content.decode()
    assert "New headline" in preview and "Preview of your latest version" in preview

    approve_in_admin(client, moderator, page)
    page.refresh_from_db()
    assert page.headline == "New headline" and (page.hourly_rate_minor, page.currency) == (9900, "EUR")
    # Ratings come from reviews, not from the revision the mentor saved.
    assert (str(page.rating_average), page.rating_count) == ("4.50", 2)
    assert "New headline" in client.get(page.url).content.decode()


def test_changes_requested_then_resubmitted(client, make_mentor, skills, moderator):
    page = make_mentor("Ana Silva", headline="Old headline")
    client.force_login(page.user)
    client.post(EDIT_URL, form_data(skills, headline="Too salesy!!!"))
    task_state = page.current_workflow_state.current_task_state
    task_state.specific.reject(user=moderator, comment="Please tone down the headline.")

    status = profile_status(page.user)
    assert status.state == "changes_requested" and status.comment == "Please tone down the headline."
    assert "Please tone down the headline." in client.get(EDIT_URL).content.decode()

    client.post(EDIT_URL, form_data(skills, headline="Calm headline"))
    page.refresh_from_db()
    state = page.current_workflow_state
    assert state.status == WorkflowState.STATUS_IN_PROGRESS
    state.current_task_state.specific.approve(user=moderator)
    page.refresh_from_db()
    assert page.headline == "Calm headline"


def test_a_second_edit_restarts_review_on_the_newest_text(client, make_mentor, skills, moderator):
    page = make_mentor("Ana Silva")
    client.force_login(page.user)
    client.post(EDIT_URL, form_data(skills, headline="First try"))
    first_state = page.current_workflow_state
    client.post(EDIT_URL, form_data(skills, headline="Second try"))
    first_state.refresh_from_db()
    assert first_state.status == WorkflowState.STATUS_CANCELLED
    page.refresh_from_db()
    approve_in_admin(client, moderator, page)
    page.refresh_from_db()
    assert page.headline == "Second try"


def test_photo_upload_becomes_a_wagtail_image(client, mentor, mentor_index, skills):
    from wagtail.images import get_image_model

    client.force_login(mentor)
    response = client.post(EDIT_URL, {**form_data(skills), "photo": png_upload()})
    assert response.status_code == 302
    image = get_image_model().objects.get()
    assert image.uploaded_by_user == mentor and image.collection.name == "Mentor photos"
    draft = profile_status(mentor).draft
    assert draft.photo_id == image.pk


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"hourly_rate": "10.505", "currency": "USD"}, "hourly_rate"),
        ({"hourly_rate": "1000.5", "currency": "JPY"}, "hourly_rate"),
        ({"hourly_rate": "-5"}, "hourly_rate"),
        ({"currency": "XYZ"}, "currency"),
        ({"languages": ["klingon"]}, "languages"),
        ({"headline": "x" * 141}, "headline"),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(client, make_mentor, skills, overrides, field):
    page = make_mentor("Ana Silva", headline="Kept")
    revisions = page.revisions.count()
    client.force_login(page.user)
    response = client.post(EDIT_URL, form_data(skills, **overrides))
    assert response.status_code == 400
    assert field in response.context["form"].errors
    page.refresh_from_db()
    assert page.revisions.count() == revisions and page.current_workflow_state is None


def test_photo_that_is_not_an_image_is_refused(client, mentor, mentor_index, skills):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(mentor)
    bogus = SimpleUploadedFile("me.png", b"not an image", content_type="image/png")
    response = client.post(EDIT_URL, {**form_data(skills), "photo": bogus})
    assert response.status_code == 400 and "photo" in response.context["form"].errors
    assert not MentorPage.objects.filter(user=mentor).exists()


def test_learners_and_visitors_cannot_edit(client, user_factory, make_mentor, skills):
    page = make_mentor("Ana Silva")
    assert client.get(EDIT_URL).status_code == 302  # to the login page
    learner = user_factory(display_name="Lee Learner")
    client.force_login(learner)
    assert client.get(EDIT_URL).status_code == 403
    assert client.post(EDIT_URL, form_data(skills)).status_code == 403
    assert not MentorPage.objects.filter(user=learner).exists()
    # Nor through the Wagtail admin.
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code in (302, 403)


def test_a_mentor_only_ever_edits_their_own_page(client, make_mentor, skills):
    ana = make_mentor("Ana Silva", headline="Ana's headline")
    ben = make_mentor("Ben Okafor", headline="Ben's headline")
    client.force_login(ben.user)
    # Even naming Ana's page in the form changes only Ben's.
    response = client.post(EDIT_URL, {**form_data(skills, headline="Hijack"), "page": ana.pk, "user": ana.user_id})
    assert response.status_code == 302
    ana.refresh_from_db()
    ben.refresh_from_db()
    assert ana.revisions.count() == 1 and ana.current_workflow_state is None
    assert ana.get_latest_revision_as_object().headline == "Ana's headline"
    assert ben.get_latest_revision_as_object().headline == "Hijack"
    response = client.get(reverse("wagtailadmin_pages:edit", args=[ana.pk]))
    assert response.status_code in (302, 403)
