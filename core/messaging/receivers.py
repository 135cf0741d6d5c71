"""What makes the kept unread message counts stale (:func:`.services.kept_unread_count`)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from core.pages.cache import bump_on_commit

from .models import Conversation, Message
from .services import unread_tag


@receiver([post_save, post_delete], sender=Message, dispatch_uid="messaging-unread-stale")
def message_changed(sender, instance: Message, **kwargs) -> None:
    """A message written, edited or deleted: both people's counts (the sender's own never count, but
    an edit in the admin may change who sent it)."""
    people = Conversation.objects.filter(pk=instance.conversation_id).values_list("learner_id", "mentor_id").first()
    if people:
        bump_on_commit(*(unread_tag(pk) for pk in people))


@receiver(post_delete, sender=Conversation, dispatch_uid="messaging-unread-conversation-gone")
def conversation_deleted(sender, instance: Conversation, **kwargs) -> None:
    bump_on_commit(unread_tag(instance.learner_id), unread_tag(instance.mentor_id))
