"""Every absolute link in emails and calendar files follows the one public address (PEERLEARN_BASE_URL).

``PORT=8811 scripts/dev`` sets it to http://127.0.0.1:8811; a deployment sets its own.
"""

from __future__ import annotations

import re

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db

PUBLIC = "http://127.0.0.1:8811"
URL = re.compile(r"""(?:https?|webcal)://[^\s"'<>)\]]+""")


def _texts(message) -> list[str]:
    """The plain body, the HTML alternative and every attachment (the .ics invitations) of one email."""
    texts = [message.body]
    texts += [content for content, _type in getattr(message, "alternatives", [])]
    for attachment in message.attachments:
        content = attachment[1] if isinstance(attachment, tuple) else attachment.get_payload(decode=True)
        texts.append(content.decode() if isinstance(content, bytes) else str(content))
    return [re.sub(r"\r\n[ \t]", "", text) for text in texts]  # unfold iCalendar lines


def _links(texts) -> set[str]:
    return {url.rstrip(".,;") for text in texts for url in URL.findall(text)}


@pytest.fixture
def public_address(settings):
    settings.PEERLEARN_BASE_URL = PUBLIC
    settings.WAGTAILADMIN_BASE_URL = PUBLIC


def test_emails_and_invitations_link_only_to_the_public_address(
    public_address, mentor, learner, make_session, committed, client
):
    from core.notifications import calendar
    from core.scheduling.services.bookings import book_session, cancel_booking

    session = make_session(mentor)
    with committed():
        booking = book_session(session, learner)
    with committed():
        cancel_booking(booking, learner)
    assert len(mail.outbox) >= 3, "confirmations to both and a cancellation"
    found = set()
    for message in mail.outbox:
        found |= _links(_texts(message))
    feed = calendar.render_feed(mentor)
    found |= _links([re.sub(r"\r\n[ \t]", "", feed)])
    client.force_login(learner)
    client.post("/calendar/", {"action": "create"})
    found |= _links([client.get("/calendar/").content.decode()])
    ours = {url for url in found if "127.0.0.1" in url or "localhost" in url or "testserver" in url}
    assert ours, "the mails carry links to the site"
    wrong = sorted(url for url in ours if not re.match(r"(?:https?|webcal)://127\.0\.0\.1:8811/", url))
    assert wrong == [], f"links not at {PUBLIC}: {wrong}"
    assert any("/room/" in url for url in ours) and any(url.endswith("/calendar/") for url in ours)


def test_account_mails_speak_as_peerlearn_at_the_public_address(public_address, client, settings):
    from wagtail.models import Site

    Site.objects.filter(is_default_site=True).update(site_name="PeerLearn")
    client.post("/accounts/password/reset/", {"email": "nobody@example.org"})
    from core.accounts.models import User

    User.objects.create_user("ada@example.org", "a-Strong-pass-123", display_name="Ada")
    mail.outbox.clear()
    client.post("/accounts/password/reset/", {"email": "ada@example.org"})
    assert mail.outbox, "a reset mail"
    body = mail.outbox[0].body
    assert "Hello from PeerLearn!" in body
    assert "127.0.0.1:8811" in body  # the closing line names the public address
    assert "[PeerLearn]" in mail.outbox[0].subject


def test_the_dev_site_answers_at_the_configured_port(settings):
    """seed_demo gives the Wagtail site the public host and port, and its name."""
    from wagtail.models import Site

    from core.demo.seed import seed_pages

    settings.PEERLEARN_BASE_URL = PUBLIC
    seed_pages()
    site = Site.objects.get(is_default_site=True)
    assert (site.hostname, site.port, site.site_name) == ("127.0.0.1", 8811, "PeerLearn")
    assert site.root_url == PUBLIC
