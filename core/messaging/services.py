"""Messaging rules: who may write to whom, sending, reading, blocking, reporting.

Views and the API call these functions only. Every refusal is a
:class:`~core.messaging.errors.MessagingRefusal` and writes nothing. A new
message or a read receipt reaches the other person's open pages over their
``ws/notifications/`` socket once the transaction commits.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.api.inputs import refusal as input_refusal
from core.notifications.services import user_group
from core.ops.group_send import group_send
from core.pages.cache import bump_on_commit, cached_part
from core.scheduling.models import Booking

from . import attachments
from .errors import MessagingRefusal
from .models import BODY_MAX, Block, Conversation, Message, MessageReport, MessagingPreference
from .rendering import body_html

log = logging.getLogger(__name__)
User = get_user_model()

#: Bookings that count as "has booked with me" for the first-contact rule.
BOOKED_STATUSES = (Booking.PENDING_PAYMENT, Booking.CONFIRMED, Booking.COMPLETED, Booking.NO_SHOW)
REPORT_REASON_MAX = 500


# --- who may write -----------------------------------------------------------------------------


def has_booked(learner, mentor) -> bool:
    return Booking.objects.filter(learner=learner, session__mentor=mentor, status__in=BOOKED_STATUSES).exists()


def preference(user) -> MessagingPreference:
    found = MessagingPreference.objects.filter(user=user).first()
    return found or MessagingPreference(user=user)


def is_blocked_between(a, b) -> bool:
    return Block.objects.filter(Q(blocker=a, blocked=b) | Q(blocker=b, blocked=a)).exists()


def pair_for(sender, recipient) -> tuple[Any, Any]:
    """``(learner, mentor)`` of a conversation between the two: whoever is written to as a mentor is the mentor."""
    if sender.pk == recipient.pk:
        raise MessagingRefusal(gettext("You cannot write to yourself."), code="self", field="recipient")
    if recipient.is_mentor:
        return sender, recipient
    if sender.is_mentor:
        return recipient, sender
    raise MessagingRefusal(
        gettext("Messages are between a learner and a mentor: neither of you is a mentor."),
        code="not_a_mentor",
        field="recipient",
    )


def check_may_start(sender, recipient) -> tuple[Any, Any]:
    """Refuse a first message the recipient's rules do not allow; returns ``(learner, mentor)``."""
    if not recipient.is_active:
        raise MessagingRefusal(gettext("This person's account is closed."), code="inactive", status=404)
    learner, mentor = pair_for(sender, recipient)
    if is_blocked_between(sender, recipient):
        raise MessagingRefusal(gettext("You cannot message this person."), code="blocked", status=403)
    if sender.pk == learner.pk:
        if preference(mentor).first_contact == MessagingPreference.BOOKED and not has_booked(learner, mentor):
            raise MessagingRefusal(
                gettext("This mentor accepts first messages only from learners who have booked a session with them."),
                code="booking_required",
                status=403,
            )
    elif not has_booked(learner, mentor):
        raise MessagingRefusal(
            gettext("A mentor may write first only to learners who have booked a session with them."),
            code="booking_required",
            status=403,
        )
    return learner, mentor


# --- reading -----------------------------------------------------------------------------------


def conversations_of(user) -> QuerySet[Conversation]:
    """``user``'s conversations, most recent first, with ``unread`` (messages to them not yet read),
    the latest message's text or file name, and whether either side blocked the other (``blocked``)."""
    last = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    return (
        Conversation.objects.filter(Q(learner=user) | Q(mentor=user))
        .select_related("learner", "mentor")
        .annotate(
            unread=Count("messages", filter=Q(messages__read_at__isnull=True) & ~Q(messages__sender=user)),
            last_body=Subquery(last.values("body")[:1]),
            last_attachment=Subquery(last.values("attachment_name")[:1]),
            blocked=Exists(
                Block.objects.filter(
                    Q(blocker=OuterRef("learner"), blocked=OuterRef("mentor"))
                    | Q(blocker=OuterRef("mentor"), blocked=OuterRef("learner"))
                )
            ),
        )
        .order_by("-last_message_at", "-id")
    )


def conversation_for(user, conversation_id: int) -> Conversation:
    """One of ``user``'s conversations; someone else's is "not found" just like a missing one."""
    conversation = (
        Conversation.objects.select_related("learner", "mentor")
        .filter(Q(learner=user) | Q(mentor=user), pk=conversation_id)
        .first()
    )
    if conversation is None:
        raise MessagingRefusal(gettext("No conversation of yours has this id."), code="not_found", status=404)
    return conversation


def existing_conversation(a, b) -> Conversation | None:
    return Conversation.objects.filter(Q(learner=a, mentor=b) | Q(learner=b, mentor=a)).first()


def unread_count(user) -> int:
    return Message.objects.unread_by(user).count()


def unread_tag(user_id: int) -> str:
    """The cache tag of a person's unread message count (:func:`kept_unread_count`)."""
    return f"messages:{user_id}"


def kept_unread_count(user) -> int:
    """:func:`unread_count` for the header of every page, kept until a message to or from the person
    is written or deleted (:mod:`.receivers`) or they read a conversation (:func:`mark_read`)."""
    return cached_part("messages-unread", [user.pk], [unread_tag(user.pk)], lambda: unread_count(user))


def message_for(user, message_id: int) -> Message:
    message = (
        Message.objects.select_related("conversation", "sender")
        .filter(Q(conversation__learner=user) | Q(conversation__mentor=user), pk=message_id)
        .first()
    )
    if message is None:
        raise MessagingRefusal(gettext("No message of yours has this id."), code="not_found", status=404)
    return message


# --- writing -----------------------------------------------------------------------------------


def clean_body(body: str | None) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if found := input_refusal(body):
        raise MessagingRefusal(found[1], code=found[0], field="body")
    if len(body) > BODY_MAX:
        raise MessagingRefusal(
            gettext("A message may be at most %(BODY_MAX)s characters; this one has %(len)s.")
            % {"BODY_MAX": BODY_MAX, "len": len(body)},
            code="too_long",
            field="body",
        )
    return body


def check_rate(sender) -> None:
    """At most ``MESSAGES_PER_MINUTE`` messages per sender per minute, pages and API together."""
    limit = settings.MESSAGES_PER_MINUTE
    key = f"messaging:rate:{sender.pk}:{int(timezone.now().timestamp() // 60)}"
    cache.add(key, 0, timeout=120)
    try:
        sent = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=120)
        sent = 1
    if sent > limit:
        raise MessagingRefusal(
            gettext("You are sending messages too fast (at most %(limit)s a minute); wait a moment.")
            % {"limit": limit},
            code="throttled",
            status=429,
        )


def send(sender, conversation: Conversation, body: str | None = None, upload=None) -> Message:
    """Add a message from ``sender`` to ``conversation`` (text, an attachment, or both)."""
    if not conversation.has_participant(sender):
        raise MessagingRefusal(gettext("No conversation of yours has this id."), code="not_found", status=404)
    body = clean_body(body)
    sniffed = name = None
    if upload is not None:
        sniffed, name = attachments.check(upload)
    if not body and upload is None:
        raise MessagingRefusal(gettext("Write a message or attach a file."), code="empty", field="body")
    recipient = conversation.other(sender)
    if is_blocked_between(sender, recipient):
        raise MessagingRefusal(gettext("You cannot message this person."), code="blocked", status=403)
    check_rate(sender)
    with transaction.atomic():
        message = Message(conversation=conversation, sender=sender, body=body)
        if upload is not None:
            message.attachment_name = name
            message.attachment_type = sniffed.content_type
            message.attachment_size = upload.size
            message.attachment.save(f"file{sniffed.extension}", upload, save=False)
        message.save()
        Conversation.objects.filter(pk=conversation.pk).update(last_message_at=message.created_at)
        transaction.on_commit(lambda: _safe(_push_new, message.pk, recipient.pk))
    return message


def start(sender, recipient, body: str | None = None, upload=None) -> Message:
    """The first message to ``recipient`` (or the next one, when the conversation exists)."""
    conversation = existing_conversation(sender, recipient)
    if conversation is None:
        learner, mentor = check_may_start(sender, recipient)
        clean_body(body)  # bad input is refused before a conversation row exists
        if upload is not None:
            attachments.check(upload)
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(learner=learner, mentor=mentor)
                return send(sender, conversation, body, upload)
        except IntegrityError:  # the other side started it at the same instant
            conversation = existing_conversation(sender, recipient)
            if conversation is None:
                raise
    return send(sender, conversation, body, upload)


def mark_read(reader, conversation: Conversation) -> int:
    """Mark every message to ``reader`` in ``conversation`` read; tells the senders live. Returns how many."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            conversation.messages.filter(read_at__isnull=True).exclude(sender=reader).values_list("id", flat=True)
        )
        if ids:
            Message.objects.filter(pk__in=ids).update(read_at=now)
            bump_on_commit(unread_tag(reader.pk))  # an update sends no signal
            other = conversation.other(reader).pk
            transaction.on_commit(lambda: _safe(_push_read, conversation.pk, ids, now, other, reader.pk))
    return len(ids)


def block(blocker, blocked) -> Block:
    if blocker.pk == blocked.pk:
        raise MessagingRefusal(gettext("You cannot block yourself."), code="self", field="user")
    found, _ = Block.objects.get_or_create(blocker=blocker, blocked=blocked)
    return found


def unblock(blocker, blocked) -> int:
    deleted, _ = Block.objects.filter(blocker=blocker, blocked=blocked).delete()
    return deleted


def report(reporter, message: Message, reason: str) -> MessageReport:
    """Flag a message ``reporter`` received; a second report of the same message updates the reason."""
    if not message.conversation.has_participant(reporter):
        raise MessagingRefusal(gettext("No message of yours has this id."), code="not_found", status=404)
    if message.sender_id == reporter.pk:
        raise MessagingRefusal(gettext("You cannot report your own message."), code="own_message")
    reason = (reason or "").strip()
    if found := input_refusal(reason):
        raise MessagingRefusal(found[1], code=found[0], field="reason")
    if not reason:
        raise MessagingRefusal(gettext("Say briefly what is wrong with this message."), code="required", field="reason")
    if len(reason) > REPORT_REASON_MAX:
        raise MessagingRefusal(
            gettext("A reason may be at most %(REPORT_REASON_MAX)s characters.")
            % {"REPORT_REASON_MAX": REPORT_REASON_MAX},
            code="too_long",
            field="reason",
        )
    flagged, _ = MessageReport.objects.update_or_create(
        message=message, reporter=reporter, defaults={"reason": reason, "resolved": False}
    )
    return flagged


def set_preferences(user, *, first_contact: str | None = None, email_digest: bool | None = None) -> MessagingPreference:
    prefs, _ = MessagingPreference.objects.get_or_create(user=user)
    if first_contact is not None:
        if first_contact not in dict(MessagingPreference.FIRST_CONTACT_CHOICES):
            raise MessagingRefusal(
                gettext("Choose “anyone” or “booked”."), code="invalid_choice", field="first_contact"
            )
        prefs.first_contact = first_contact
    if email_digest is not None:
        prefs.email_digest = email_digest
    prefs.save()
    return prefs


# --- the JSON form and live delivery ----------------------------------------------------------


def attachment_url(message: Message) -> str | None:
    return reverse("messaging:attachment", args=[message.pk]) if message.attachment else None


def serialize(message: Message) -> dict[str, Any]:
    """A message as the API and the socket send it: ``body`` is plain text, ``body_html`` is escaped HTML."""
    return {
        "id": message.pk,
        "conversation": message.conversation_id,
        "sender": {"id": message.sender_id, "name": str(message.sender.display_name or "")},
        "body": message.body,
        "body_html": str(body_html(message.body)),
        "attachment": (
            {
                "name": message.attachment_name,
                "type": message.attachment_type,
                "size": message.attachment_size,
                "url": attachment_url(message),
            }
            if message.attachment
            else None
        ),
        "created_at": message.created_at.isoformat(),
        "read_at": message.read_at.isoformat() if message.read_at else None,
    }


def _send_to_user(user_id: int, event: dict) -> None:
    group_send(user_group(user_id), event)


def _push_new(message_id: int, recipient_id: int) -> None:
    message = Message.objects.select_related("sender").filter(pk=message_id).first()
    if message is None:
        return
    payload = serialize(message)
    payload["unread_count"] = unread_count(recipient_id)
    _send_to_user(recipient_id, {"type": "direct.message", "payload": payload})
    _send_to_user(message.sender_id, {"type": "direct.message", "payload": serialize(message) | {"own": True}})


def _push_read(conversation_id: int, ids: list[int], when, sender_id: int, reader_id: int) -> None:
    _send_to_user(
        sender_id,
        {"type": "direct.read", "payload": {"conversation": conversation_id, "ids": ids, "read_at": when.isoformat()}},
    )
    _send_to_user(reader_id, {"type": "direct.unread", "count": unread_count(reader_id)})


def _safe(fn, *args) -> None:
    """A push is best effort: the message is stored whatever the channel layer does."""
    try:
        fn(*args)
    except Exception:
        log.exception("live push %s failed; the message stays stored", fn.__name__)
