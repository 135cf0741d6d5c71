"""The REST endpoints: lists with score parts and explanations, and validated, idempotent feedback."""

from __future__ import annotations

import uuid

import pytest

from core.recommendations.models import RecommendationEvent

FEEDBACK = "/api/recommendations/feedback/"


@pytest.fixture
def signed_in(api_client, platform):
    api_client.force_authenticate(platform["newcomer"])
    return api_client


def test_recommendations_carry_parts_explanations_and_impression_ids(signed_in, fitted):
    response = signed_in.get("/api/recommendations/?limit=5")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["personalised"] is True and "content" in body["models"]
    first = body["results"][0]
    assert first["item"] == f"mentor:{fitted['ada'].pk}" and first["kind"] == "mentor"
    assert first["title"] == "Ada Lovelace" and first["url"]
    assert first["explanation"] == "Teaches Django and Python, which you listed"
    assert first["parts"]["content"] > 0 and first["score"] == pytest.approx(sum(first["parts"].values()), abs=1e-5)
    uuid.UUID(first["impression_id"])
    assert {r["kind"] for r in body["results"]} == {"mentor", "session"}
    assert len({r["impression_id"] for r in body["results"]}) == len(body["results"])


def test_mentor_list_has_only_mentors(signed_in):
    body = signed_in.get("/api/recommendations/mentors/").json()
    assert body["results"] and {r["kind"] for r in body["results"]} == {"mentor"}


def test_trending_is_public_and_personal_lists_are_not(api_client, fitted):
    assert api_client.get("/api/recommendations/trending/").status_code == 200
    response = api_client.get("/api/recommendations/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("limit", ["0", "51", "ten"])
def test_bad_limit_is_a_400_naming_the_field(signed_in, limit):
    response = signed_in.get(f"/api/recommendations/?limit={limit}")
    assert response.status_code == 400 and "limit" in response.json()["errors"]


def test_feedback_is_recorded_once_per_impression_and_event(signed_in, platform):
    item = f"mentor:{platform['ada'].pk}"
    payload = {"impression_id": str(uuid.uuid4()), "item": item, "event": "impression", "position": 1}
    first = signed_in.post(FEEDBACK, payload, format="json")
    assert first.status_code == 201 and first.json()["created"] is True
    again = signed_in.post(FEEDBACK, payload, format="json")
    assert again.status_code == 200 and again.json()["created"] is False and again.json()["id"] == first.json()["id"]
    click = signed_in.post(FEEDBACK, {**payload, "event": "click"}, format="json")
    assert click.status_code == 201
    assert RecommendationEvent.objects.filter(impression_id=payload["impression_id"]).count() == 2
    event = RecommendationEvent.objects.get(kind="click")
    assert event.user == platform["newcomer"] and event.item == item and event.surface == "api"


def test_dismiss_hides_the_item(signed_in, fitted):
    item = f"mentor:{fitted['ada'].pk}"
    payload = {"impression_id": str(uuid.uuid4()), "item": item, "event": "dismiss"}
    assert signed_in.post(FEEDBACK, payload, format="json").status_code == 201
    shown = [r["item"] for r in signed_in.get("/api/recommendations/").json()["results"]]
    assert item not in shown


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"item": "mentor:999999", "event": "click"}, "item"),
        ({"item": "course:1", "event": "click"}, "item"),
        ({"item": "session:²", "event": "click"}, "item"),
        ({"item": "mentor:٣", "event": "click"}, "item"),
        ({"item": "mentor:{ada}", "event": "purchase"}, "event"),
        ({"item": "mentor:{ada}", "event": "click", "impression_id": "not-a-uuid"}, "impression_id"),
        ({"event": "click"}, "item"),
        ({"item": "mentor:{ada}", "event": "click", "position": 0}, "position"),
    ],
)
def test_bad_feedback_is_a_400_and_records_nothing(signed_in, platform, payload, field):
    data = {"impression_id": str(uuid.uuid4()), **payload}
    if "item" in data:
        data["item"] = data["item"].format(ada=platform["ada"].pk)
    response = signed_in.post(FEEDBACK, data, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not RecommendationEvent.objects.exists()


def test_an_impression_id_reused_for_another_item_is_a_409(signed_in, platform):
    impression = str(uuid.uuid4())
    ada, bo = f"mentor:{platform['ada'].pk}", f"mentor:{platform['bo'].pk}"
    assert (
        signed_in.post(FEEDBACK, {"impression_id": impression, "item": ada, "event": "impression"}).status_code == 201
    )
    response = signed_in.post(FEEDBACK, {"impression_id": impression, "item": bo, "event": "click"}, format="json")
    assert response.status_code == 409 and response.json()["code"] == "duplicate_impression"
    assert RecommendationEvent.objects.count() == 1


def test_feedback_on_someone_elses_private_session_is_refused(signed_in, platform, make_session, make_booking):
    """A 1:1 booked from availability is seen only by its people: others cannot attach events to it."""
    from core.scheduling.models import Session

    private = make_session(platform["bo"], "Bo and Learner 2", capacity=1, origin=Session.SLOT, in_hours=200)
    make_booking(private, platform["learners"][2])
    payload = {"impression_id": str(uuid.uuid4()), "item": f"session:{private.pk}", "event": "click"}
    response = signed_in.post(FEEDBACK, payload, format="json")
    assert response.status_code == 400 and response.json()["errors"]["item"], response.content
    assert response.json()["errors"]["item"] == [f"No mentor or session 'session:{private.pk}'."], "as if unknown"
    assert not RecommendationEvent.objects.exists()
    # Its learner may; a published session stays open to everyone.
    signed_in.force_authenticate(platform["learners"][2])
    assert signed_in.post(FEEDBACK, payload, format="json").status_code == 201
    public = {"impression_id": str(uuid.uuid4()), "item": f"session:{platform['group'].pk}", "event": "click"}
    signed_in.force_authenticate(platform["newcomer"])
    assert signed_in.post(FEEDBACK, public, format="json").status_code == 201


def test_feedback_needs_a_signed_in_user(api_client, platform):
    payload = {"impression_id": str(uuid.uuid4()), "item": f"mentor:{platform['ada'].pk}", "event": "click"}
    assert api_client.post(FEEDBACK, payload, format="json").status_code == 401


def test_a_broken_recommender_leaves_the_api_working(signed_in, fitted, broken_plugins):
    from core.recommendations import store

    store.refit()
    response = signed_in.get("/api/recommendations/")
    assert response.status_code == 200
    body = response.json()
    assert body["results"] and "test_raises" not in body["models"]


def test_a_reason_that_is_not_text_is_recorded_against_its_plugin_and_the_api_answers(
    signed_in, fitted, broken_plugins
):
    from core.plugins.models import PluginError
    from core.recommendations import store

    store.refit()
    response = signed_in.get("/api/recommendations/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["results"] and all(isinstance(r["explanation"], str) for r in body["results"])
    assert "test_late_garbage_reason" not in body["models"]
    error = PluginError.objects.get(plugin="test_recommender_late_garbage_reason")
    assert error.kind == "bad_result" and "not text" in error.message


def test_endpoints_are_in_the_schema(api_client, db):
    schema = api_client.get("/api/schema/?format=json").json()
    for path in ["recommendations/", "recommendations/mentors/", "recommendations/trending/"]:
        assert f"/api/{path}" in schema["paths"]
    assert "post" in schema["paths"]["/api/recommendations/feedback/"]
