"""The rules of messaging, called as the pages and the API call them."""

from __future__ import annotations

import pytest
from django.core import mail

from core.messaging import services
from core.messaging.errors import MessagingRefusal
from core.messaging.models import Block, Conversation, Message, MessagingPreference

from .conftest import big_file

pytestmark = pytest.mark.django_db


def test_a_learner_writes_to_a_mentor_and_the_pair_has_one_conversation(learner, mentor):
    first = services.start(learner, mentor, "Hello, can you help with pandas?")
    reply = services.start(mentor, learner, "Sure!")  # the mentor replies through the same thread
    assert first.conversation_id == reply.conversation_id
    conversation = Conversation.objects.get()
    assert (conversation.learner, conversation.mentor) == (learner, mentor)
    assert services.unread_count(mentor) == 1 and services.unread_count(learner) == 1


def test_reading_marks_only_the_readers_messages_and_counts_follow(learner, mentor):
    message = services.start(learner, mentor, "one")
    services.send(learner, message.conversation, "two")
    assert services.unread_count(mentor) == 2
    assert services.mark_read(mentor, message.conversation) == 2
    assert services.unread_count(mentor) == 0
    assert not Message.objects.filter(read_at__isnull=True).exists()
    assert services.mark_read(learner, message.conversation) == 0, "your own messages are not 'read' by you"


def test_booked_only_mentor_refuses_first_messages_from_strangers(learner, mentor, book):
    services.set_preferences(mentor, first_contact=MessagingPreference.BOOKED)
    with pytest.raises(MessagingRefusal) as refused:
        services.start(learner, mentor, "hi")
    assert refused.value.code == "booking_required" and refused.value.status == 403
    assert not Conversation.objects.exists() and not Message.objects.exists()
    book(mentor, learner)
    assert services.start(learner, mentor, "hi").pk


def test_a_mentor_writes_first_only_to_learners_who_booked(learner, mentor, book):
    with pytest.raises(MessagingRefusal):
        services.start(mentor, learner, "Want a session?")
    book(mentor, learner)
    assert services.start(mentor, learner, "See you Tuesday").conversation.learner == learner


def test_two_learners_cannot_message_each_other(user_factory):
    with pytest.raises(MessagingRefusal) as refused:
        services.start(user_factory(), user_factory(), "hi")
    assert refused.value.code == "not_a_mentor"


def test_a_block_stops_both_directions_and_unblock_restores(learner, mentor):
    message = services.start(learner, mentor, "hi")
    services.block(mentor, learner)
    for sender in (learner, mentor):
        with pytest.raises(MessagingRefusal) as refused:
            services.send(sender, message.conversation, "still there?")
        assert refused.value.code == "blocked"
    assert Message.objects.count() == 1
    services.unblock(mentor, learner)
    assert services.send(learner, message.conversation, "back").pk
    assert not Block.objects.exists()


def test_report_a_received_message_not_an_own_one(learner, mentor):
    message = services.start(learner, mentor, "buy my course at http://spam.example")
    with pytest.raises(MessagingRefusal):
        services.report(learner, message, "mine")
    flagged = services.report(mentor, message, "Spam")
    assert flagged.conversation == message.conversation
    assert services.report(mentor, message, "Spam, twice").pk == flagged.pk, "one report per person and message"


@pytest.mark.parametrize(
    ("body", "code"),
    [("", "empty"), ("   \n ", "empty"), ("a\x00b", "nul_character"), ("x" * 4001, "too_long")],
)
def test_bad_bodies_are_refused_and_nothing_is_stored(learner, mentor, body, code):
    with pytest.raises(MessagingRefusal) as refused:
        services.start(learner, mentor, body)
    assert refused.value.code == code
    assert not Conversation.objects.exists() and not Message.objects.exists()


def test_an_executable_renamed_png_is_refused(learner, mentor, elf_as_png):
    with pytest.raises(MessagingRefusal) as refused:
        services.start(learner, mentor, "my photo", elf_as_png)
    assert refused.value.code == "attachment_type"
    assert not Message.objects.exists()


def test_a_file_over_the_limit_is_refused(learner, mentor, settings):
    with pytest.raises(MessagingRefusal) as refused:
        services.start(learner, mentor, "", big_file(settings.MESSAGE_ATTACHMENT_MAX_BYTES + 1))
    assert refused.value.code == "attachment_too_large" and refused.value.status == 413
    assert not Message.objects.exists()


def test_attachment_type_and_name_come_from_the_content(learner, mentor, png, text_file):
    image = services.start(learner, mentor, "", png("../../etc/passwd.exe"))
    assert image.attachment_type == "image/png" and image.attachment_name == "passwd.png"
    assert "passwd" not in image.attachment.name, "the stored path is random"
    page = services.start(learner, mentor, "", text_file(b"<script>alert(1)</script>", "page.html"))
    assert page.attachment_type == "text/plain" and page.attachment_name == "page.txt"


def test_sending_is_rate_limited(learner, mentor, settings):
    settings.MESSAGES_PER_MINUTE = 3
    message = services.start(learner, mentor, "1")
    services.send(learner, message.conversation, "2")
    services.send(learner, message.conversation, "3")
    with pytest.raises(MessagingRefusal) as refused:
        services.send(learner, message.conversation, "4")
    assert refused.value.status == 429
    assert Message.objects.count() == 3


def test_unread_digest_emails_once_and_respects_the_opt_out(learner, mentor, user_factory, settings):
    settings.MESSAGE_DIGEST_AFTER_MINUTES = 0
    from core.messaging import digests, tasks

    services.start(learner, mentor, "Are you free on Friday? <b>bold</b>")
    other_mentor = user_factory(is_mentor=True)
    services.start(learner, other_mentor, "hello")
    services.set_preferences(other_mentor, email_digest=False)
    assert tasks.send_unread_digests() == {"sent": 1, "skipped": 1}
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == [mentor.email] and "1 unread message" in sent.subject
    assert "Are you free on Friday?" in sent.body
    assert "&lt;b&gt;bold&lt;/b&gt;" in sent.alternatives[0][0], "the HTML part escapes the body"
    assert digests.send_unread_digests() == {"sent": 0, "skipped": 0}, "a message is in one digest only"


def test_a_message_read_before_the_digest_is_not_emailed(learner, mentor, settings):
    settings.MESSAGE_DIGEST_AFTER_MINUTES = 0
    from core.messaging import digests

    message = services.start(learner, mentor, "hi")
    services.mark_read(mentor, message.conversation)
    assert digests.send_unread_digests() == {"sent": 0, "skipped": 0}
    assert not mail.outbox
