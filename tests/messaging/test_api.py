"""The messaging REST API: conversations, messages, receipts, reports, blocks, hostile input."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.messaging import services
from core.messaging.models import Conversation, Message, MessageReport

from .conftest import ELF, PNG, big_file

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_learner(api_client, learner):
    api_client.force_authenticate(learner)
    return api_client


def test_start_list_and_read_back(as_learner, learner, mentor, api_client):
    response = as_learner.post(
        "/api/conversations/",
        {"recipient": mentor.pk, "body": "Hi <b>there</b> https://example.org/x?a=1&b=2"},
        format="json",
    )
    assert response.status_code == 201, response.content
    sent = response.json()
    assert sent["body"] == "Hi <b>there</b> https://example.org/x?a=1&b=2"
    assert "<b>" not in sent["body_html"] and "&lt;b&gt;there&lt;/b&gt;" in sent["body_html"]
    assert '<a href="https://example.org/x?a=1&amp;b=2" rel="nofollow noopener noreferrer"' in sent["body_html"]
    assert sent["read_at"] is None

    listing = as_learner.get("/api/conversations/").json()
    assert listing["count"] == 1 and listing["results"][0]["mentor"]["id"] == mentor.pk
    assert listing["results"][0]["unread"] == 0

    api_client.force_authenticate(mentor)
    inbox = api_client.get("/api/conversations/").json()
    assert inbox["results"][0]["unread"] == 1
    conversation_id = inbox["results"][0]["id"]
    read = api_client.post(f"/api/conversations/{conversation_id}/read/")
    assert read.json() == {"marked": 1, "unread_count": 0}
    messages = api_client.get(f"/api/conversations/{conversation_id}/messages/?limit=1").json()
    assert messages["count"] == 1 and messages["results"][0]["read_at"] is not None


def test_messages_are_paginated_newest_first(as_learner, learner, mentor):
    first = services.start(learner, mentor, "m0")
    for index in range(1, 25):
        Message.objects.create(conversation=first.conversation, sender=learner, body=f"m{index}")
    page = as_learner.get(f"/api/conversations/{first.conversation_id}/messages/").json()
    assert page["count"] == 25 and len(page["results"]) == 20 and page["next"]
    assert page["results"][0]["body"] == "m24"
    assert as_learner.get(f"/api/conversations/{first.conversation_id}/messages/?limit=0").status_code == 400


def test_someone_elses_conversation_is_not_found(api_client, learner, mentor, user_factory):
    message = services.start(learner, mentor, "private")
    api_client.force_authenticate(user_factory())
    for method, url in [
        ("get", f"/api/conversations/{message.conversation_id}/messages/"),
        ("post", f"/api/conversations/{message.conversation_id}/messages/"),
        ("post", f"/api/conversations/{message.conversation_id}/read/"),
        ("get", f"/api/messages/{message.pk}/attachment/"),
        ("post", f"/api/messages/{message.pk}/report/"),
    ]:
        response = getattr(api_client, method)(url, {"body": "x", "reason": "x"}, format="json")
        assert response.status_code == 404, (url, response.content)
        assert response.json()["code"] == "not_found"


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/conversations/").status_code == 401


def test_attachment_upload_and_download_is_a_download(as_learner, learner, mentor, api_client):
    upload = SimpleUploadedFile("diagram.png", PNG, content_type="image/png")
    response = as_learner.post(
        "/api/conversations/", {"recipient": mentor.pk, "attachment": upload}, format="multipart"
    )
    assert response.status_code == 201, response.content
    attachment = response.json()["attachment"]
    assert attachment["type"] == "image/png" and attachment["name"] == "diagram.png"
    message_id = response.json()["id"]
    api_client.force_authenticate(mentor)
    download = api_client.get(f"/api/messages/{message_id}/attachment/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG
    page = api_client.get(attachment["url"])  # the page address the JSON gives works for a signed-in browser
    assert page.status_code in (200, 302)


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"body": "a\x00b"}, 400, "invalid"),
        ({"body": "x" * 4001}, 400, "invalid"),
        ({"body": ""}, 400, "invalid"),
        ({}, 400, "invalid"),
    ],
    ids=["nul", "huge-body", "empty", "nothing"],
)
def test_hostile_json_bodies_are_refused_and_nothing_is_stored(as_learner, mentor, payload, status, code):
    response = as_learner.post("/api/conversations/", {"recipient": mentor.pk, **payload}, format="json")
    assert response.status_code == status, response.content
    assert response.json()["code"] == code and response.json()["detail"]
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_an_executable_renamed_png_is_refused(as_learner, mentor):
    upload = SimpleUploadedFile("cat.png", ELF, content_type="image/png")
    response = as_learner.post(
        "/api/conversations/", {"recipient": mentor.pk, "attachment": upload}, format="multipart"
    )
    assert response.status_code == 400
    assert "attachment" in response.json()["errors"]
    assert not Message.objects.exists()


def test_a_50_mb_attachment_is_refused_with_413(as_learner, mentor):
    response = as_learner.post(
        "/api/conversations/", {"recipient": mentor.pk, "attachment": big_file(50 * 1024 * 1024)}, format="multipart"
    )
    assert response.status_code == 413, response.content[:300]
    assert response.json()["code"] == "attachment_too_large"
    assert not Message.objects.exists()


def test_report_block_and_preferences(api_client, learner, mentor):
    message = services.start(learner, mentor, "rude words")
    api_client.force_authenticate(mentor)
    assert api_client.post(f"/api/messages/{message.pk}/report/", {"reason": ""}, format="json").status_code == 400
    response = api_client.post(f"/api/messages/{message.pk}/report/", {"reason": "Abusive"}, format="json")
    assert response.status_code == 201 and MessageReport.objects.get().reason == "Abusive"
    assert api_client.post(f"/api/users/{learner.pk}/block/").json() == {"user": learner.pk, "blocked": True}
    assert api_client.get("/api/conversations/").json()["results"][0]["blocked"] is True
    api_client.force_authenticate(learner)
    refused = api_client.post(
        f"/api/conversations/{message.conversation_id}/messages/", {"body": "sorry"}, format="json"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "blocked"
    api_client.force_authenticate(mentor)
    assert api_client.delete(f"/api/users/{learner.pk}/block/").json()["blocked"] is False
    assert api_client.patch("/api/messaging/preferences/", {"first_contact": "booked"}, format="json").json() == {
        "first_contact": "booked",
        "email_digest": True,
    }
    assert (
        api_client.patch("/api/messaging/preferences/", {"first_contact": "nobody"}, format="json").status_code == 400
    )


def test_sending_too_fast_is_429(as_learner, mentor, settings):
    settings.MESSAGES_PER_MINUTE = 2
    for _ in range(2):
        assert (
            as_learner.post("/api/conversations/", {"recipient": mentor.pk, "body": "hi"}, format="json").status_code
            == 201
        )
    response = as_learner.post("/api/conversations/", {"recipient": mentor.pk, "body": "hi"}, format="json")
    assert response.status_code == 429 and response.json()["code"] == "throttled"
    assert Message.objects.count() == 2


def test_the_schema_documents_the_messaging_endpoints(client):
    paths = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in ["/api/conversations/", "/api/conversations/{id}/messages/", "/api/messages/{id}/attachment/"]:
        assert path in paths, path


def test_preferences_take_json_booleans_only(api_client, mentor):
    api_client.force_authenticate(mentor)
    refused = api_client.patch("/api/messaging/preferences/", {"email_digest": 0}, format="json")
    assert refused.status_code == 400 and "email_digest" in refused.json()["errors"]
    assert (
        api_client.patch("/api/messaging/preferences/", {"email_digest": False}, format="json").json()["email_digest"]
        is False
    )


def test_lists_are_documented_as_pages(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    for path in ["/api/conversations/", "/api/conversations/{id}/messages/"]:
        ref = schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert {"count", "next", "previous", "results"} <= set(page["properties"]), path
