"""The unread badges of the header (messages, notifications) are kept per person and never stale.

The test settings turn the kept parts off; every test here turns them on. Changes run
inside ``django_capture_on_commit_callbacks(execute=True)``: counts go stale when a change
commits.
"""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.messaging import services as messaging
from core.messaging.models import Conversation
from core.notifications import services as notifications
from core.notifications.models import Notification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("page_cache_on")]


def badges(client) -> tuple[str, str]:
    html = client.get("/dashboard/").content.decode()
    messages = re.search(r"data-message-count[^>]*>([^<]*)<", html).group(1)
    bell = re.search(r"data-notification-count[^>]*>([^<]*)<", html).group(1)
    return messages.strip(), bell.strip()


def count_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        client.get("/dashboard/")
    return sum(1 for q in captured if "messaging_message" in q["sql"] or "notifications_notification" in q["sql"])


def test_the_message_badge_follows_writing_reading_and_deleting(client, learner, mentor, committed):
    client.force_login(mentor)
    assert badges(client)[0] in ("", "0")
    with committed():
        messaging.start(learner, mentor, "hi")
    assert badges(client)[0] == "1"
    conversation = Conversation.objects.get()
    with committed():
        messaging.send(learner, conversation, "there")
    assert badges(client)[0] == "2"
    with committed():
        messaging.mark_read(mentor, conversation)
    assert badges(client)[0] in ("", "0")
    with committed():
        messaging.send(learner, conversation, "still there?")
    assert badges(client)[0] == "1"
    with committed():
        conversation.delete()
    assert badges(client)[0] in ("", "0")


def test_the_bell_follows_new_read_and_all_read(client, learner, committed):
    client.force_login(learner)
    with committed():
        first = notifications.notify(learner, "test", "One")
        notifications.notify(learner, "test", "Two")
    assert badges(client)[1] == "2"
    with committed():
        notifications.mark_read(learner, first.pk)
    assert badges(client)[1] == "1"
    with committed():
        notifications.notify(learner, "test", "Three")
    assert badges(client)[1] == "2"
    with committed():
        notifications.mark_all_read(learner)
    assert badges(client)[1] in ("", "0")
    with committed():
        notifications.notify(learner, "test", "Four")
    assert badges(client)[1] == "1"
    with committed():
        Notification.objects.get(title="Four").delete()
    assert badges(client)[1] in ("", "0")


def test_a_page_asks_no_count_of_the_database_once_kept(client, learner, committed):
    client.force_login(learner)
    client.get("/dashboard/")
    assert count_queries(client) <= 1  # the recent-notifications panel lists; the counts are kept
