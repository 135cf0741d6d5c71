"""The inbox, a conversation, writing first, attachments, reports, blocks and preferences as pages."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.messaging import services
from core.messaging.models import Block, Message, MessageReport, MessagingPreference

from .conftest import ELF, PNG

pytestmark = pytest.mark.django_db


def test_the_header_shows_the_unread_badge(client, learner, mentor):
    services.start(learner, mentor, "hi")
    services.send(learner, Message.objects.get().conversation, "there")
    client.force_login(mentor)
    html = client.get("/messages/").content.decode()
    assert "data-message-count" in html and ">2</span>" in html
    assert "Lee Learner" in html


def test_a_learner_writes_first_from_the_start_page(client, learner, mentor):
    client.force_login(learner)
    assert "Write to Maya Mentor" in client.get(f"/messages/with/{mentor.pk}/").content.decode()
    response = client.post(f"/messages/with/{mentor.pk}/", {"body": "Hello <script>alert(1)</script>"})
    message = Message.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/messages/{message.conversation_id}/"
    again = client.get(f"/messages/with/{mentor.pk}/")
    assert again.status_code == 302, "an existing conversation is reused"
    page = client.get(response["Location"]).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script>alert(1)" not in page


def test_a_booked_only_mentor_shows_the_reason(client, learner, mentor):
    services.set_preferences(mentor, first_contact=MessagingPreference.BOOKED)
    client.force_login(learner)
    response = client.get(f"/messages/with/{mentor.pk}/")
    assert response.status_code == 403
    assert "only from learners who have booked" in response.content.decode()
    assert client.post(f"/messages/with/{mentor.pk}/", {"body": "hi"}).status_code == 403
    assert not Message.objects.exists()


def test_opening_a_conversation_marks_it_read_and_links_are_safe(client, learner, mentor):
    message = services.start(learner, mentor, "see https://example.org and javascript:alert(1)")
    client.force_login(mentor)
    html = client.get(f"/messages/{message.conversation_id}/").content.decode()
    assert '<a href="https://example.org" rel="nofollow noopener noreferrer" target="_blank">' in html
    assert 'href="javascript' not in html
    message.refresh_from_db()
    assert message.read_at is not None
    client.force_login(learner)
    assert ">Read</span>" in client.get(f"/messages/{message.conversation_id}/").content.decode()


def test_send_with_attachment_and_bad_files_from_the_page(client, learner, mentor):
    first = services.start(learner, mentor, "hi")
    client.force_login(learner)
    url = f"/messages/{first.conversation_id}/"
    ok = client.post(url, {"body": "", "attachment": SimpleUploadedFile("a.png", PNG)})
    assert ok.status_code == 302
    bad = client.post(url, {"body": "look", "attachment": SimpleUploadedFile("b.png", ELF)})
    assert bad.status_code == 400 and "This kind of file cannot be sent" in bad.content.decode()
    nul = client.post(url, {"body": "a\x00b"})
    assert nul.status_code == 400
    assert Message.objects.count() == 2
    sent = Message.objects.exclude(attachment="").get()
    client.force_login(mentor)
    download = client.get(f"/messages/attachments/{sent.pk}/")
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"


def test_strangers_get_404(client, learner, mentor, user_factory, png):
    message = services.start(learner, mentor, "", png())
    client.force_login(user_factory())
    assert client.get(f"/messages/{message.conversation_id}/").status_code == 404
    assert client.get(f"/messages/attachments/{message.pk}/").status_code == 404
    assert client.post(f"/messages/reports/{message.pk}/", {"reason": "x"}).status_code == 404


def test_report_and_block_from_the_page(client, learner, mentor):
    message = services.start(learner, mentor, "spam")
    client.force_login(mentor)
    client.post(f"/messages/reports/{message.pk}/", {"reason": "Spam"})
    assert MessageReport.objects.get().reporter == mentor
    client.post(f"/messages/block/{learner.pk}/")
    assert Block.objects.filter(blocker=mentor, blocked=learner).exists()
    html = client.get(f"/messages/{message.conversation_id}/").content.decode()
    assert "You blocked this person" in html and "data-message-form" not in html
    client.post(f"/messages/unblock/{learner.pk}/")
    assert not Block.objects.exists()


def test_a_mentor_sets_who_may_write_first(client, mentor, learner):
    client.force_login(mentor)
    assert "Who may write to me first" in client.get("/messages/settings/").content.decode()
    client.post("/messages/settings/", {"first_contact": "booked", "email_digest": ""})
    prefs = MessagingPreference.objects.get(user=mentor)
    assert prefs.first_contact == "booked" and prefs.email_digest is False
    client.force_login(learner)
    assert "Who may write to me first" not in client.get("/messages/settings/").content.decode()


def test_editors_see_reported_conversations_in_the_admin(client, learner, mentor, user_factory):
    message = services.start(learner, mentor, "abusive text")
    services.start(user_factory(), user_factory(is_mentor=True), "a quiet one")
    services.report(mentor, message, "Abuse")
    client.force_login(user_factory(is_staff=True, is_superuser=True))
    listing = client.get("/admin/reported_conversations/")
    assert listing.status_code == 200
    assert "Lee Learner" in listing.content.decode() and "a quiet one" not in listing.content.decode()
    inspect = client.get(f"/admin/reported_conversations/inspect/{message.conversation_id}/").content.decode()
    assert "abusive text" in inspect
    reports = client.get("/admin/message_reports/").content.decode()
    assert "Abuse" in reports


def test_sending_too_fast_from_the_page_is_429_with_the_reason(client, learner, mentor, settings):
    settings.MESSAGES_PER_MINUTE = 1
    first = services.start(learner, mentor, "one")
    client.force_login(learner)
    response = client.post(f"/messages/{first.conversation_id}/", {"body": "two"})
    assert response.status_code == 429 and "too fast" in response.content.decode()
    assert Message.objects.count() == 1


def test_the_proxy_never_serves_attachments_from_the_media_folder():
    import re
    from pathlib import Path

    caddyfile = (Path(__file__).resolve().parents[2] / "deploy" / "Caddyfile").read_text()
    assert re.search(r"handle /media/message-attachments/\* \{\s*respond 404\s*\}", caddyfile)
    assert caddyfile.index("/media/message-attachments/") < caddyfile.index("handle_path /media/*")
