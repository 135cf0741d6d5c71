"""The notification centre: store a notification, then push it to the user's open pages.

``notify()`` is the one entry point for the rest of the core. It writes a
:class:`~core.notifications.models.Notification` row and, once the surrounding
transaction commits, sends it over the channel layer to every open
``ws/notifications/`` socket of that user, with the new unread count, so a
badge never counts a notification that was rolled back.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.ops.group_send import group_send
from core.pages.cache import bump_on_commit

from .models import Notification

log = logging.getLogger(__name__)

TITLE_MAX = 200
BODY_MAX = 2000
URL_MAX = 500


def user_group(user_id: int) -> str:
    return f"user-{user_id}"


def notify_user(user_id: int, kind: str, payload: dict[str, Any]) -> None:
    """Send ``payload`` to every open ``ws/notifications/`` socket of the user."""
    group_send(user_group(user_id), {"type": "notify", "kind": kind, "payload": payload})


def push_unread_count(user_id: int) -> None:
    """Tell the user's open pages the current unread count (after a read elsewhere)."""
    group_send(user_group(user_id), {"type": "unread", "count": unread_count(user_id)})


def _safe(fn, *args) -> None:
    """A push is best effort: a dead channel layer must not fail the write that caused it."""
    try:
        fn(*args)
    except Exception:  # logged; the notification itself is stored
        log.exception("live push %s%r failed; the notification stays stored", fn.__name__, args)


def serialize(notification: Notification, unread: int | None = None) -> dict[str, Any]:
    """The JSON form used by the API and the WebSocket alike."""
    data: dict[str, Any] = {
        "id": notification.id,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "created": notification.created.isoformat(),
        "read_at": notification.read_at.isoformat() if notification.read_at else None,
    }
    if unread is not None:
        data["unread_count"] = unread
    return data


def _push_new(notification: Notification) -> None:
    """Push the notification as it was stored (not read back: that was a query per notification)."""
    payload = serialize(notification, unread=unread_count(notification.user_id))
    notify_user(notification.user_id, notification.kind, payload)


def notify(user, kind: str, title: str, body: str = "", url: str = "") -> Notification:
    """Store a notification for ``user`` and push it live once the transaction commits.

    ``user`` is a User or a user id. Over-long texts are cut rather than refused:
    a notification is a consequence of something that already happened.
    """
    user_id = user if isinstance(user, int) else user.pk
    if len(title) > TITLE_MAX:
        title = title[: TITLE_MAX - 1] + "…"
    if len(body) > BODY_MAX:
        body = body[: BODY_MAX - 1] + "…"
    notification = Notification.objects.create(
        user_id=user_id, kind=kind[:64], title=title, body=body, url=url[:URL_MAX]
    )
    transaction.on_commit(lambda: _safe(_push_new, notification))
    return notification


def unread_count(user) -> int:
    user_id = user if isinstance(user, int) else user.pk
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def unread_tag(user_id: int) -> str:
    """The cache tag of a person's unread count (:func:`kept_unread_count`)."""
    return f"notifications:{user_id}"


def kept_unread_count(user) -> int:
    """:func:`unread_count` for the bell on every page, kept until one of the person's notifications
    is made, read or deleted (the receivers and :func:`mark_all_read` bump :func:`unread_tag`)."""
    from core.pages.cache import cached_part

    user_id = user if isinstance(user, int) else user.pk
    return cached_part("notifications-unread", [user_id], [unread_tag(user_id)], lambda: unread_count(user_id))


def kept_recent(user, limit: int) -> list[Notification]:
    """The person's latest ``limit`` notifications (the dashboard's panel), kept as :func:`kept_unread_count` is."""
    from core.pages.cache import cached_part

    user_id = user if isinstance(user, int) else user.pk
    return cached_part(
        "notifications-recent",
        [user_id, limit],
        [unread_tag(user_id)],
        lambda: list(Notification.objects.filter(user_id=user_id)[:limit]),
    )


def mark_read(user, notification_id: int) -> Notification:
    """Mark one of ``user``'s notifications read. Raises ``Notification.DoesNotExist``
    for an unknown id or someone else's notification (they look the same on purpose)."""
    with transaction.atomic():
        notification = Notification.objects.select_for_update().get(pk=notification_id, user_id=user.pk)
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
            transaction.on_commit(lambda: _safe(push_unread_count, user.pk))
    return notification


def mark_all_read(user) -> int:
    """Mark every unread notification of ``user`` read; returns how many changed."""
    with transaction.atomic():
        changed = Notification.objects.filter(user_id=user.pk, read_at__isnull=True).update(read_at=timezone.now())
        if changed:
            bump_on_commit(unread_tag(user.pk))  # an update sends no signal
            transaction.on_commit(lambda: _safe(push_unread_count, user.pk))
    return changed
