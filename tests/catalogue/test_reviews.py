"""Reviews: only the learner of a completed booking, only once; moderated; approved ones rate the mentor."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.catalogue.models import MentorPage, Review
from core.catalogue.reviews import ReviewError, moderate_review, submit_review

pytestmark = pytest.mark.django_db


@pytest.fixture
def ana(make_mentor):
    return make_mentor("Ana Silva")


@pytest.fixture
def learner(user_factory):
    return user_factory(display_name="Lee Learner")


def rating_of(page: MentorPage) -> tuple[str, int]:
    page.refresh_from_db()
    return str(page.rating_average), page.rating_count


def test_learner_reviews_a_completed_booking_once(api_client, ana, learner, make_booking):
    booking = make_booking(ana.user, learner)
    api_client.force_authenticate(learner)
    response = api_client.post(
        "/api/reviews/", {"booking": booking.pk, "rating": 5, "comment": "Great!"}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "pending" and body["rating"] == 5 and body["booking"] == booking.pk
    review = Review.objects.get()
    assert (review.mentor_id, review.learner_id) == (ana.user_id, learner.pk)

    again = api_client.post("/api/reviews/", {"booking": booking.pk, "rating": 1}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_reviewed"
    assert Review.objects.count() == 1
    assert rating_of(ana) == ("0.00", 0)  # pending reviews do not count


@pytest.mark.parametrize("status", ["confirmed", "pending_payment", "cancelled", "no_show", "expired"])
def test_only_completed_bookings_can_be_reviewed(api_client, ana, learner, make_booking, status):
    booking = make_booking(ana.user, learner, status=status)
    api_client.force_authenticate(learner)
    response = api_client.post("/api/reviews/", {"booking": booking.pk, "rating": 4}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "not_completed"
    assert not Review.objects.exists()


def test_someone_elses_booking_is_refused(api_client, ana, learner, user_factory, make_booking):
    booking = make_booking(ana.user, learner)
    stranger = user_factory()
    api_client.force_authenticate(stranger)
    response = api_client.post("/api/reviews/", {"booking": booking.pk, "rating": 5}, format="json")
    assert response.status_code == 403
    api_client.force_authenticate(ana.user)  # not even the mentor
    assert api_client.post("/api/reviews/", {"booking": booking.pk, "rating": 5}, format="json").status_code == 403
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"rating": 6}, 400, "rating"),
        ({"rating": 0}, 400, "rating"),
        ({"rating": "great"}, 400, "rating"),
        ({}, 400, "rating"),
        ({"rating": 4, "comment": "x" * 2001}, 400, "comment"),
        ({"rating": 4, "booking": 999999}, 404, None),
        ({"rating": 4, "booking": "abc"}, 400, "booking"),
    ],
)
def test_bad_review_input(api_client, ana, learner, make_booking, payload, status, field):
    booking = make_booking(ana.user, learner)
    api_client.force_authenticate(learner)
    response = api_client.post("/api/reviews/", {"booking": booking.pk, **payload}, format="json")
    assert response.status_code == status
    if field:
        assert field in response.json()["errors"]
    assert not Review.objects.exists()


def test_anonymous_cannot_review(api_client, ana, learner, make_booking):
    booking = make_booking(ana.user, learner)
    assert api_client.post("/api/reviews/", {"booking": booking.pk, "rating": 5}, format="json").status_code in (
        401,
        403,
    )


def test_moderation_drives_the_mentor_rating(ana, learner, user_factory, make_booking, moderator):
    other = user_factory()
    first = submit_review(learner, make_booking(ana.user, learner).pk, 5, "Superb")
    second = submit_review(other, make_booking(ana.user, other).pk, 2)
    moderate_review(first.pk, Review.APPROVED, moderator)
    assert rating_of(ana) == ("5.00", 1)
    moderate_review(second.pk, Review.APPROVED, moderator)
    assert rating_of(ana) == ("3.50", 2)
    moderate_review(first.pk, Review.REJECTED, moderator, "Duplicate")
    assert rating_of(ana) == ("2.00", 1)
    second.delete()
    assert rating_of(ana) == ("0.00", 0)


def test_rating_survives_publishing_a_later_revision(ana, learner, make_booking, moderator):
    moderate_review(submit_review(learner, make_booking(ana.user, learner).pk, 4).pk, Review.APPROVED, moderator)
    ana.refresh_from_db()
    ana.headline = "Updated"
    ana.save_revision(user=ana.user).publish()
    assert rating_of(ana) == ("4.00", 1)


def test_only_approved_reviews_show_on_the_page_and_api(
    client, api_client, ana, learner, user_factory, make_booking, moderator
):
    shown = submit_review(learner, make_booking(ana.user, learner).pk, 5, "Shown comment")
    hidden_learner = user_factory(display_name="Hidden Person")
    submit_review(hidden_learner, make_booking(ana.user, hidden_learner).pk, 1, "Hidden comment")
    moderate_review(shown.pk, Review.APPROVED, moderator)

    html = client.get(ana.url).content.decode()
    assert "Shown comment" in html and "Lee L." in html
    assert "Hidden comment" not in html
    body = api_client.get(f"/api/mentors/{ana.user_id}/reviews/").json()
    assert [r["comment"] for r in body["results"]] == ["Shown comment"]
    assert body["results"][0]["author"] == "Lee L."
    listing = api_client.get("/api/mentors/?q=Ana").json()["results"][0]
    assert (listing["rating_average"], listing["rating_count"]) == ("5.00", 1)


def test_review_form_on_the_site(client, ana, learner, make_booking):
    booking = make_booking(ana.user, learner)
    client.force_login(learner)
    overview = client.get(reverse("catalogue:my_reviews")).content.decode()
    assert f'data-booking="{booking.pk}"' in overview

    url = reverse("catalogue:review_new", args=[booking.pk])
    assert client.get(url).status_code == 200
    bad = client.post(url, {"rating": "9"})
    assert bad.status_code == 400 and "rating" in bad.context["form"].errors
    response = client.post(url, {"rating": "4", "comment": "Nice"})
    assert response.status_code == 302
    assert Review.objects.get().rating == 4
    assert client.get(url).status_code == 409  # once
    assert f'data-booking="{booking.pk}"' not in client.get(reverse("catalogue:my_reviews")).content.decode()


def test_review_form_refuses_others(client, ana, learner, user_factory, make_booking):
    booking = make_booking(ana.user, learner)
    client.force_login(user_factory())
    url = reverse("catalogue:review_new", args=[booking.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"rating": "5"}).status_code == 403
    assert not Review.objects.exists()


def test_admin_quick_approve_and_edit_go_through_the_service(client, ana, learner, make_booking, moderator):
    review = submit_review(learner, make_booking(ana.user, learner).pk, 3, "OK")
    client.force_login(moderator)
    listing = client.get(reverse("wagtailsnippets_catalogue_review:list"))
    assert listing.status_code == 200
    approve_url = reverse("catalogue_review_moderate", args=[review.pk, "approve"])
    assert approve_url in listing.content.decode()
    assert client.get(approve_url).status_code == 200
    assert client.post(approve_url).status_code == 302
    assert rating_of(ana) == ("3.00", 1)

    edit_url = reverse("wagtailsnippets_catalogue_review:edit", args=[review.pk])
    response = client.post(edit_url, {"status": "rejected", "moderation_note": "Off topic"})
    assert response.status_code == 302, response.content[:300]
    review.refresh_from_db()
    assert (review.status, review.moderation_note, review.moderated_by) == ("rejected", "Off topic", moderator)
    assert rating_of(ana) == ("0.00", 0)
    # Reviews come from learners only: the admin has no "add".
    assert client.get(reverse("wagtailsnippets_catalogue_review:add")).status_code in (302, 403)


def test_learners_cannot_moderate(client, ana, learner, make_booking):
    review = submit_review(learner, make_booking(ana.user, learner).pk, 5)
    client.force_login(learner)
    response = client.post(reverse("catalogue_review_moderate", args=[review.pk, "approve"]))
    assert response.status_code in (302, 403)
    review.refresh_from_db()
    assert review.status == Review.PENDING


def test_service_refuses_unknown_status(ana, learner, make_booking):
    review = submit_review(learner, make_booking(ana.user, learner).pk, 5)
    with pytest.raises(ReviewError) as info:
        moderate_review(review.pk, "published", None)
    assert info.value.field == "status"
