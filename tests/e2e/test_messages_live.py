"""A mentor keeps a conversation open; the learner sends a message with a file; it appears live.

The real ASGI application (pages and ``ws/notifications/``) runs under uvicorn
in a thread (the ``asgi_server`` fixture of test_dashboard_live). Both people
are signed in with a session cookie made by Django's test client. The learner
sends through the page's form (a real multipart upload, posted with fetch, so
the page stays); the mentor's page shows the message without a reload, and the
learner's page turns "Sent" into "Read" once the mentor's page marked it read.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from .test_dashboard_live import asgi_server  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def signed_in_context(browser, base_url: str, user):
    client = Client()
    client.force_login(user)
    context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "domain": urlsplit(base_url).hostname,
                "path": "/",
            }
        ]
    )
    return context


def test_a_message_with_an_attachment_arrives_live(asgi_server, browser, user_factory, results_dir, tmp_path, settings):  # noqa: F811
    from core.messaging.models import Conversation, Message

    settings.MEDIA_ROOT = str(tmp_path / "media")
    mentor = user_factory(display_name="Maya Mentor", is_mentor=True)
    learner = user_factory(display_name="Lee Learner")
    conversation = Conversation.objects.create(learner=learner, mentor=mentor)
    Message.objects.create(conversation=conversation, sender=learner, body="Hello Maya, may I send you my notebook?")
    url = f"/messages/{conversation.pk}/"
    upload = tmp_path / "diagram.png"
    upload.write_bytes(PNG)

    mentor_context = signed_in_context(browser, asgi_server, mentor)
    learner_context = signed_in_context(browser, asgi_server, learner)
    try:
        mentor_page = mentor_context.new_page()
        mentor_page.goto(url)
        expect(mentor_page.locator("[data-message-list]")).to_contain_text("may I send you my notebook?")
        expect(mentor_page.locator("html")).to_have_attribute("data-notifications", "open")

        inbox_page = mentor_context.new_page()  # the mentor elsewhere on the site: a toast
        inbox_page.goto("/messages/")
        expect(inbox_page.locator("html")).to_have_attribute("data-notifications", "open")

        learner_page = learner_context.new_page()
        learner_page.goto(url)
        expect(learner_page.locator("html")).to_have_attribute("data-notifications", "open")
        learner_page.fill("textarea[name=body]", "Here it is: https://example.org/notes <b>not bold</b>")
        learner_page.set_input_files("input[name=attachment]", str(upload))
        learner_page.get_by_role("button", name="Send").click()  # sent with fetch: the page stays

        arrived = mentor_page.locator("[data-message-id]").last  # no reload: pushed over the socket
        expect(arrived).to_contain_text("Here it is:")
        expect(arrived).to_contain_text("<b>not bold</b>")  # shown as text, never as markup
        expect(arrived.locator("a[href='https://example.org/notes']")).to_have_attribute(
            "rel", "nofollow noopener noreferrer"
        )
        attachment = arrived.locator("[data-slot='attachment-link']")
        expect(attachment).to_have_text("Attachment: diagram.png")
        download = mentor_page.request.get(attachment.get_attribute("href"))
        assert download.status == 200 and download.body() == PNG
        assert download.headers["content-disposition"].startswith("attachment;")
        assert download.headers["x-content-type-options"] == "nosniff"

        toast = inbox_page.locator("[data-notification-toast]").last
        expect(toast).to_contain_text("Message from Lee Learner")
        expect(toast.locator("a")).to_have_attribute("href", url)

        own = learner_page.locator("[data-own]").last
        expect(own.locator("[data-slot='receipt']")).to_have_text("Read")  # the read receipt, live
        mentor_page.screenshot(path=str(results_dir / "messages-live.png"), full_page=True)
    finally:
        mentor_context.close()
        learner_context.close()
