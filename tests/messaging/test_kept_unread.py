"""The unread badges of the header (messages, notifications) and the recent-notifications panel are
kept per person and never stale.

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


def recent_panel(client) -> list[tuple[str, bool]]:
    """The dashboard's recent-notifications panel: (title, unread) per item, newest first."""
    html = client.get("/dashboard/").content.decode()
    items = re.findall(r'data-notification-id="\d+">(.*?)</li>', html, flags=re.S)
    return [(re.search(r"(One|Two|Three)", item).group(1), "(unread)" in item) for item in items]


def test_the_recent_panel_follows_new_read_and_deleted_notifications(client, learner, committed):
    client.force_login(learner)
    assert recent_panel(client) == []
    with committed():
        first = notifications.notify(learner, "test", "One")
        notifications.notify(learner, "test", "Two")
    assert recent_panel(client) == [("Two", True), ("One", True)]
    with committed():
        notifications.mark_read(learner, first.pk)
    assert recent_panel(client) == [("Two", True), ("One", False)]
    with committed():
        notifications.notify(learner, "test", "Three")
        Notification.objects.get(title="Two").delete()
    assert recent_panel(client) == [("Three", True), ("One", False)]
    with committed():
        notifications.mark_all_read(learner)
    assert recent_panel(client) == [("Three", False), ("One", False)]


def test_a_page_asks_the_database_nothing_about_notifications_or_messages_once_kept(client, learner, committed):
    client.force_login(learner)
    with committed():
        notifications.notify(learner, "test", "One")
    client.get("/dashboard/")
    assert count_queries(client) == 0  # the counts and the recent panel are kept
